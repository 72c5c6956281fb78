"""The dock's actions on results: zoom to an answer or a candidate, highlight a candidate
on the map, open the match viewer (from the list or the candidates layer's action),
save results, keep them in
the results GeoPackage beside the project, the results table, and Help."""
import os

from qgis.core import QgsRectangle
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtWidgets import QFileDialog

from .. import settings
from ..i18n import tr
from ..log import get_logger
from .dock_results import layer_of, save_results, zoom_canvas, zoom_rectangle

DATABASE_FILTER = "GeoPackage (*.gpkg)"
LOG = get_logger("dock")
ZOOM_HALF_WIDTH_M = 60.0  # a candidate clicked in the list: the map 120 m wide around it


class DockResultActions:
    """Mixed into GeoPinDock (uses its current, results, results_list, notify...)."""

    def zoom_to_result(self):
        if self.current is None:
            return None
        rect = zoom_rectangle(self.current.result)
        return self.zoom_to_rd_rectangle(rect) if rect is not None else None

    def _candidate_by_rank(self, rank, item=None):
        item = item or self.current
        for cand in item.result.candidates if item else []:
            if cand.rank == rank:
                return cand
        return None

    def _selected_candidate(self):
        entry = self.results_list.currentItem()
        if entry is None or self.current is None:
            return None
        return self._candidate_by_rank(entry.data(Qt.UserRole))

    def _result_clicked(self, entry):
        cand = self._candidate_by_rank(entry.data(Qt.UserRole))
        if cand is not None:
            self.zoom_to_rd(cand.view.x, cand.view.y, ZOOM_HALF_WIDTH_M)
            self.highlight_candidate(cand)
        self._update_buttons()

    def _result_double_clicked(self, entry):
        self._result_clicked(entry)
        self.show_matches()

    def zoom_to_rd(self, x, y, half_width_m):
        """Centre the map canvas on an RD New point, whatever the canvas CRS."""
        return self.zoom_to_rd_rectangle(QgsRectangle(x - half_width_m, y - half_width_m,
                                                      x + half_width_m, y + half_width_m))

    def zoom_to_rd_rectangle(self, rect):
        canvas = self.iface.mapCanvas() if self.iface is not None else None
        return zoom_canvas(canvas, rect) if canvas is not None else None

    def highlight_candidate(self, cand):
        """Select the candidate on the map (its layer in the shown photo's group)."""
        try:
            layer = layer_of(self.current, "candidates") if self.current else None
            if layer is None:
                return None
            ids = [f.id() for f in layer.getFeatures(f'"rank" = {int(cand.rank)}')]
        except RuntimeError:  # the layer was removed from the project
            return None
        layer.selectByIds(ids)
        return ids

    def show_matches(self):
        cand = self._selected_candidate()
        return self._open_viewer(self.current, cand) if cand is not None else None

    def show_matches_for(self, photo, rank):
        """The candidates layer's action: the viewer of `photo`'s candidate `rank`, if in memory."""
        item = self.results.get(photo)
        cand = self._candidate_by_rank(rank, item) if item else None
        if cand is None:
            return None
        if item is not self.current:
            self._show_result(item)
        return self._open_viewer(item, cand)

    def _open_viewer(self, item, cand):
        if item is None or item.query_image is None:
            return None
        if cand.view.view_id not in item.reference_images:
            self.summary_label.setText(tr("No reference image for view {0}").format(cand.view.view_id))
            return None
        from ..engine.estimate.viewcone import view_cone
        from .match_viewer import MatchViewer

        viewer = MatchViewer(item.query_image, item.result.candidates, item.reference_images,
                             item.result.candidates.index(cand), item.result.query_feature_size, self,
                             on_candidate=self.highlight_candidate, cone=view_cone(item.result),
                             reference_masks=item.reference_masks)
        viewer.setAttribute(Qt.WA_DeleteOnClose)
        viewer.show()
        self.match_viewer = viewer
        return viewer

    def save_results_dialog(self):
        start = settings.value("last_save_dir", "") or ""
        path, _ = QFileDialog.getSaveFileName(self, tr("Save results"), start, DATABASE_FILTER)
        return self.save_results(path) if path else None

    def save_results(self, path):
        if not path.lower().endswith(".gpkg"):
            path += ".gpkg"
        try:
            written = save_results(path, list(self.results.values()))
        except OSError as exc:
            self._fail(str(exc))
            return None
        settings.set_value("last_save_dir", os.path.dirname(path))
        self.notify(tr("Results of {0} photos saved to {1}").format(len(self.results), path))
        return written

    def show_help(self):
        from ..help import open_help

        return open_help()

    def show_results_table(self):
        """A table of every located photo (list order) with CSV export; returns the dialog."""
        from .results_table import ResultsTable, result_row

        rows = [result_row(path, self.results[path].result) for path in self.photo_paths if path in self.results]
        rows += [result_row(path, item.result) for path, item in self.results.items() if path not in self.photo_paths]
        dialog = ResultsTable(rows, self)
        dialog.setAttribute(Qt.WA_DeleteOnClose)
        dialog.show()
        self.results_table = dialog
        return dialog

    def keep_result_layers(self, item, project):
        """Write the layers into the results GeoPackage (beside the project, or in the
        profile while it has no file), so they survive saving and reopening the project."""
        from ..results_file import results_folder, store_result

        path = results_folder(project)
        try:
            path = store_result(path, item.photo, item.layers, project)
        except (OSError, RuntimeError) as exc:
            LOG.exception("Could not write the results to %s", path)
            self.notify(tr("The results of {0} could not be written to {1} ({2}): they are lost when the project is "
                           "closed unless you use Save results…").format(os.path.basename(item.photo), path, exc),
                        warning=True)
            return None
        return path
