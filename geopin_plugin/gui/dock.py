"""The GeoPin dock panel: drop photos, pick a database, Locate, read the answers.

Each photo runs in its own QgsTask (gui/locate_task.py), one after the other; this
widget shows progress, the estimate, the candidates (click one to zoom the map;
double-click or "Show matches" for the match viewer), adds one layer group per
photo with the map context (gui/map_context.py) and zooms to the estimate's
footprint. Texts and numbers of a result: gui/dock_results.py; the "Advanced"
section: gui/dock_advanced.py.
"""
import os
import time

from qgis.core import (
    Qgis,
    QgsApplication,
    QgsProject,
)
from qgis.gui import QgsDockWidget, QgsFileWidget
from qgis.PyQt.QtCore import QSize, Qt, QTimer, pyqtSignal
from qgis.PyQt.QtGui import QIcon, QPixmap
from qgis.PyQt.QtWidgets import (
    QAction,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from .. import deps, settings
from ..i18n import label_text, tr
from ..log import get_logger
from ..result_layers import cone_summary, is_located
from . import match_actions
from .dock_actions import DockResultActions
from .dock_advanced import AdvancedBox
from .dock_results import PhotoResult, candidate_text, run_done_text, summary_lines
from .locate_task import LocateTask, stage_title
from .photos import THUMB, PhotoDropArea, PhotoListActions, exif_facts, thumbnail

PHOTO_FILTER = "Images (*.jpg *.jpeg *.JPG *.JPEG *.png *.PNG *.tif *.tiff *.webp)"
DATABASE_FILTER = "GeoPin database (*.gpkg)"
RESULT_ICON = QSize(96, 72)
RD_NEW = "EPSG:28992"
LOG = get_logger("dock")


def button(text, object_name, slot, tip=""):
    """A push button with an object name (tests and screenshots find it by it) and a tooltip."""
    widget = QPushButton(text)
    widget.setObjectName(object_name)
    widget.setToolTip(tip)
    widget.clicked.connect(lambda _checked=False: slot())  # clicked(bool) must not reach the slot
    return widget


def button_row(*buttons, stretch=False):
    row = QHBoxLayout()
    for widget in buttons:
        row.addWidget(widget)
    if stretch:
        row.addStretch(1)
    return row


class GeoPinDock(PhotoListActions, DockResultActions, QgsDockWidget):
    install_requested = pyqtSignal()  # the plugin opens its dependency installer

    def __init__(self, iface, parent=None):
        super().__init__(tr("GeoPin"), parent)
        self.setObjectName("GeoPinDock")
        self.iface = iface
        self.photo_paths = []
        self.queue = []
        self.task = None
        self.results = {}  # photo path -> PhotoResult
        self.current = None  # the PhotoResult shown
        self.match_viewer = None
        self.missing_packages = []
        self.first_run = None  # the checklist (gui/first_run.py), attached below

        body = QWidget()
        layout = QVBoxLayout(body)

        self.deps_label = QLabel("")
        self.deps_label.setObjectName("geopinDepsMissing")
        self.deps_label.setWordWrap(True)
        self.deps_label.setStyleSheet("QLabel { background: #fff3cd; padding: 4px; }")
        self.deps_button = button(tr("Install dependencies…"), "geopinDepsInstall", self.install_requested.emit,
                                 tr("Install the Python packages GeoPin needs into your QGIS profile"))
        layout.addWidget(self.deps_label)
        layout.addWidget(self.deps_button)

        self.drop_area = PhotoDropArea()
        self.drop_area.photos_dropped.connect(self.add_photos)
        layout.addWidget(self.drop_area)

        self.photos_list = QListWidget()
        self.photos_list.setObjectName("geopinPhotos")
        self.photos_list.setMaximumHeight(90)
        self.photos_list.setToolTip(tr("The photos to locate; click one to see its result"))
        self.photos_list.currentRowChanged.connect(self._photo_selected)
        self.remove_action = QAction(tr("Remove from the list"), self.photos_list)
        self.remove_action.setObjectName("geopinRemovePhoto")
        self.remove_action.triggered.connect(lambda _checked=False: self.remove_selected_photos())
        self.photos_list.addAction(self.remove_action)
        self.photos_list.setContextMenuPolicy(Qt.ActionsContextMenu)
        self.photos_list.installEventFilter(self)  # the Delete key removes the selected photos
        layout.addWidget(self.photos_list)

        self.browse_button = button(tr("Browse photos…"), "geopinBrowse", self.browse_photo,
                                    tr("Choose one or more photos to locate"))
        self.clear_button = button(tr("Clear"), "geopinClearPhotos", self.clear_photos,
                                   tr("Remove all photos from the list"))
        self.help_button = button(tr("Help"), "geopinHelp", self.show_help,
                                  tr("How to use GeoPin: the manual opens in your web browser"))
        row = button_row(self.browse_button, self.clear_button, stretch=True)
        row.addWidget(self.help_button)
        layout.addLayout(row)

        self.exif_label = QLabel("")
        self.exif_label.setObjectName("geopinExif")
        self.exif_label.setWordWrap(True)
        self.exif_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        layout.addWidget(self.exif_label)

        layout.addWidget(QLabel(tr("Reference database")))
        self.database_widget = QgsFileWidget()
        self.database_widget.setObjectName("geopinDatabase")
        self.database_widget.setStorageMode(QgsFileWidget.GetFile)
        self.database_widget.setFilter(DATABASE_FILTER)
        self.database_widget.setDialogTitle(tr("Choose a GeoPin reference database"))
        database_tip = tr("The GeoPin reference database (.gpkg) to search: made by Processing ▸ GeoPin ▸ "
                          "Build reference database")
        self.database_widget.setToolTip(database_tip)
        self.database_widget.lineEdit().setToolTip(database_tip)
        for browse in self.database_widget.findChildren(QToolButton):
            browse.setToolTip(tr("Choose a GeoPin reference database"))
        self.database_widget.setFilePath(settings.value("database") or "")
        self.database_widget.fileChanged.connect(self._database_changed)
        layout.addWidget(self.database_widget)

        self.advanced = AdvancedBox()
        from .dock_album import add_album_settings

        add_album_settings(self.advanced)  # albums: gui/dock_album.py
        layout.addWidget(self.advanced)

        self.locate_button = button(tr("Locate"), "geopinLocate", self.locate,
                                    tr("Find where each photo of the list was taken"))
        self.cancel_button = button(tr("Cancel"), "geopinCancel", self.cancel, tr("Stop locating"))
        self.cancel_button.setEnabled(False)
        layout.addLayout(button_row(self.locate_button, self.cancel_button))

        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.stage_label = QLabel("")
        self.stage_label.setObjectName("geopinStage")
        self.stage_label.setWordWrap(True)
        layout.addWidget(self.progress)
        layout.addWidget(self.stage_label)

        self.summary_label = QLabel("")
        self.summary_label.setObjectName("geopinSummary")
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        layout.addWidget(self.summary_label)

        self.results_list = QListWidget()
        self.results_list.setObjectName("geopinResults")
        self.results_list.setIconSize(RESULT_ICON)
        self.results_list.setWordWrap(True)
        self.results_list.setToolTip(tr("The reference views most like the photo; click one to see it on the map, "
                                        "double-click to compare the pictures"))
        self.results_list.itemClicked.connect(self._result_clicked)
        self.results_list.itemDoubleClicked.connect(self._result_double_clicked)
        layout.addWidget(self.results_list, 1)

        self.matches_button = button(tr("Show matches"), "geopinShowMatches", self.show_matches,
                                     tr("The photo and the chosen reference side by side, with the matched points"))
        self.save_button = button(tr("Save results…"), "geopinSaveResults", self.save_results_dialog,
                                  tr("Write the results of all photos into a GeoPackage of your choice"))
        self.table_button = button(tr("Results table…"), "geopinResultsTableButton", self.show_results_table,
                                   tr("All located photos in one table, with CSV export"))
        layout.addLayout(button_row(self.matches_button, self.table_button, self.save_button))

        from .parcels_panel import ParcelsPanel
        self.parcels_panel = ParcelsPanel(iface)
        layout.addWidget(self.parcels_panel)

        # a short screen scrolls the panel rather than squeezing the results list to one row
        self.results_list.setMinimumHeight(3 * (RESULT_ICON.height() + 8))
        scroll = QScrollArea()
        scroll.setObjectName("geopinScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.NoFrame)
        scroll.setWidget(body)
        self.setWidget(scroll)
        match_actions.register_dock(self)
        from . import first_run
        self.first_run = first_run.attach(self)
        self.refresh_dependencies()

    # --- compatibility: the shown result --------------------------------------------
    @property
    def result(self):
        return self.current.result if self.current else None

    @property
    def result_layers(self):
        return self.current.layers if self.current else []

    @property
    def photo_path(self):
        row = self.photos_list.currentRow()
        return self.photo_paths[row] if 0 <= row < len(self.photo_paths) else None

    # --- messages ---------------------------------------------------------------
    def notify(self, text, warning=False, error=False):
        """In the dock and in QGIS's message bar (the dock may be hidden)."""
        bar = self.iface.messageBar() if self.iface is not None and hasattr(self.iface, "messageBar") else None
        if bar is not None:
            level = Qgis.Critical if error else Qgis.Warning if warning else Qgis.Info
            bar.pushMessage(tr("GeoPin"), text, level, 10)
        (LOG.error if error else LOG.warning if warning else LOG.info)(text)

    def refresh_dependencies(self, required=None):
        """Locate needs GeoPin's Python packages: say which are missing, offer the installer."""
        self.missing_packages = deps.missing(required)
        missing = bool(self.missing_packages)
        self.deps_label.setVisible(missing)
        self.deps_button.setVisible(missing)
        if missing:
            self.deps_label.setText(tr("Missing Python packages: {0}. Locate needs them.").format(
                ", ".join(self.missing_packages)))
        if self.first_run is not None:
            self.first_run.refresh()
        self._update_buttons()
        return self.missing_packages

    # --- inputs -------------------------------------------------------------
    def browse_photo(self):
        start = os.path.dirname(self.photo_path) if self.photo_path else settings.value("last_photo_dir", "") or ""
        paths, _ = QFileDialog.getOpenFileNames(self, tr("Choose photos"), start, PHOTO_FILTER)
        if paths:
            self.add_photos(paths)

    def set_photo(self, path):
        """Locate this one photo (replaces the list)."""
        self.clear_photos()
        self.add_photos([path])

    def add_photos(self, paths):
        for path in paths:
            if path in self.photo_paths:
                continue
            self.photo_paths.append(path)
            item = QListWidgetItem(os.path.basename(path))
            item.setToolTip(path)
            pixmap = thumbnail(path, 48)
            if pixmap is not None:
                item.setIcon(QIcon(pixmap))
            self.photos_list.addItem(item)
        if paths:
            settings.set_value("last_photo_dir", os.path.dirname(paths[-1]))
            self.photos_list.setCurrentRow(self.photo_paths.index(paths[-1]) if len(paths) == 1 else 0)
        self._update_buttons()

    def clear_photos(self):
        self.photo_paths = []
        self.photos_list.clear()
        self.drop_area.setPixmap(QPixmap())
        self.drop_area.setText(tr("Drop photos here"))
        self.exif_label.setText("")
        self._update_buttons()

    def _photo_selected(self, row):
        path = self.photo_path
        if path is None:
            return
        pixmap = thumbnail(path)
        if pixmap is None:
            self.drop_area.setPixmap(QPixmap())
            self.drop_area.setText(tr("Cannot read {0}").format(os.path.basename(path)))
        else:
            self.drop_area.setPixmap(pixmap.scaled(THUMB * 2, THUMB, Qt.KeepAspectRatio, Qt.SmoothTransformation))
        self.exif_label.setText(exif_facts(path))
        if path in self.results:
            self._show_result(self.results[path])
        elif self.task is None:  # another photo's answer or error must not look like this one's
            self.current = None
            self.summary_label.setText("")
            self.stage_label.setText("")
            self.results_list.clear()
            self.progress.setValue(0)
        self._update_buttons()

    def set_database(self, path):
        self.database_widget.setFilePath(path)
        self._database_changed(path)

    def _database_changed(self, path):
        settings.set_value("database", path or "")
        self._update_buttons()

    def database_path(self):
        return self.database_widget.filePath().strip()

    def _update_buttons(self):
        running = self.task is not None
        ready = bool(self.photo_paths) and bool(self.database_path()) and not self.missing_packages
        ready = ready and (self.first_run is None or self.first_run.database_ok)
        self.locate_button.setEnabled(ready and not running)
        self.cancel_button.setEnabled(running)
        self.matches_button.setEnabled(self._selected_candidate() is not None and not running)
        self.save_button.setEnabled(bool(self.results) and not running)
        self.table_button.setEnabled(bool(self.results))

    # --- run ----------------------------------------------------------------
    def locate(self):
        """Locate every photo of the list, one task after the other; returns the first task."""
        if self.task is not None or not self.photo_paths or self.refresh_dependencies():
            return None
        database = self.database_path()
        if not database or not os.path.exists(database):
            self._fail(tr("Choose an existing reference database first."))
            return None
        try:
            self.area = self.advanced.area_rings(self.iface.mapCanvas() if self.iface is not None else None)
        except ValueError as exc:
            self._fail(str(exc))
            return None
        self.queue = list(self.photo_paths)
        self.run_started, self.run_count = time.monotonic(), len(self.queue)
        return self._start_next()

    def _start_next(self):
        from ..engine.pipeline import PipelineConfig

        if not self.queue:
            self.task = None
            self._update_buttons()
            return None
        photo = self.queue.pop(0)
        config = PipelineConfig(top_k=self.advanced.top_k.value(), verify_top=self.advanced.verify_top.value())
        self.results_list.clear()
        self.summary_label.setText("")
        self.progress.setValue(0)
        try:
            buildings = self.advanced.building_map()
        except ValueError as exc:
            self.queue = []
            self._fail(str(exc))
            return None
        self.task = LocateTask(photo, self.database_path(), config, area=self.area, buildings=buildings)
        self.task.stage_changed.connect(self._stage_changed)
        self.task.done.connect(self._task_done)
        QgsApplication.taskManager().addTask(self.task)
        self._update_buttons()
        return self.task

    def cancel(self):
        if self.task is not None:
            self.queue = []
            self.stage_label.setText(tr("Cancelling…"))
            self.task.cancel()

    def _fail(self, message):
        self.stage_label.setText(message)
        self.notify(message, error=True)

    def _stage_changed(self, stage, overall, message):
        self.progress.setValue(int(round(overall * 100)))
        title = stage_title(stage)
        if stage == "posterior" and message:  # the engine reports the label's code ("no match")
            message = label_text(message)
        name = os.path.basename(self.task.photo_path) if self.task is not None else ""
        self.stage_label.setText(f"{name}: {title}: {message}" if message else f"{name}: {title}")

    def _task_done(self, result, error):
        task = self.task
        if result is None:
            self.progress.setValue(0)
            self._fail(tr("{0}: {1}").format(os.path.basename(task.photo_path), error))
        else:
            self.progress.setValue(100)
            seconds = sum(result.timings.values())
            if not self.queue:
                self.stage_label.setText(run_done_text(self.run_started, self.run_count))
            item = PhotoResult(task.photo_path, result, getattr(task, "query_image", None),
                               getattr(task, "reference_images", {}) or {}, getattr(task, "coverage_m", None),
                               reference_masks=getattr(task, "reference_masks", {}) or {})
            self.results[task.photo_path] = item
            LOG.info("%s: %s, confidence %.2f, ±%.0f m, %d verified, %.1f s", task.photo_path, result.label,
                     result.confidence, result.error_radius_m, result.n_verified, seconds)
            LOG.info("%s: %s", task.photo_path, cone_summary(result))
            self._show_result(item)
            missing = getattr(task, "missing_pictures", None) or []
            if missing:  # e.g. a database without view copies whose source images moved
                self.notify(tr("No picture for {0} of the references: {1}").format(len(missing), missing[0][1]),
                            warning=True)
            self.add_result_layers()
            self.parcels_panel.set_result(os.path.basename(task.photo_path), result)
        if self.queue and not (task is not None and task.isCanceled()):
            self._start_next()
        else:
            self.queue = []
            self.task = None
            self._locate_albums()
            self._update_buttons()

    def _locate_albums(self):
        """Photos taken together, located jointly once all are done (gui/dock_album.py)."""
        from .dock_album import locate_albums

        try:
            locate_albums(self)
        except Exception as exc:  # the photos' own results stand
            LOG.exception("Could not locate the albums")
            self.notify(tr("Could not locate the albums: {0}").format(exc), warning=True)

    # --- results --------------------------------------------------------------
    def _show_result(self, item):
        self.current = item
        self.summary_label.setText("\n".join(summary_lines(item)))
        self.results_list.clear()
        located = is_located(item.result)
        for cand in item.result.candidates:
            entry = QListWidgetItem(candidate_text(cand, located))
            entry.setData(Qt.UserRole, cand.rank)
            rgb = item.reference_images.get(cand.view.view_id)
            if rgb is not None:
                from .match_viewer import rgb_to_qimage

                pix = QPixmap.fromImage(rgb_to_qimage(rgb)).scaled(RESULT_ICON, Qt.KeepAspectRatio,
                                                                   Qt.SmoothTransformation)
                entry.setIcon(QIcon(pix))
            self.results_list.addItem(entry)
        if self.results_list.count():
            self.results_list.setCurrentRow(0)

    def add_result_layers(self):
        """The shown photo's layers (one group per photo), the map context, then the zoom."""
        from ..result_layers import add_geolocation_to_project
        from .map_context import add_background_when_online, add_map_context

        item = self.current
        project = QgsProject.instance()
        try:
            add_map_context(self.database_path(), "", project)
            add_background_when_online(self.advanced.background_map(), project)  # offline: no background
        except ValueError as exc:  # no coverage or background: the results still load
            self.notify(str(exc), warning=True)
        try:
            item.layers = add_geolocation_to_project(project, item.photo, item.result, coverage_m=item.coverage_m)
        except Exception as exc:
            LOG.exception("Could not add the result layers")
            self.summary_label.setText(self.summary_label.text() + "\n" + tr("Could not add layers: {0}").format(exc))
            self.notify(tr("Could not add layers: {0}").format(exc), error=True)
            return []
        self.keep_result_layers(item, project)
        self.zoom_to_result()
        # QGIS zooms to the first layer of a fresh project once the layer tree settles:
        # zoom again after it, so the estimate's footprint is what the user sees.
        QTimer.singleShot(0, self.zoom_to_result)
        QTimer.singleShot(100, self.zoom_to_result)
        return item.layers

    def close_and_cleanup(self):
        """Called by the plugin on unload: cancel a running task, drop references."""
        match_actions.unregister_dock(self)
        self.queue = []
        if self.task is not None:
            try:
                self.task.done.disconnect(self._task_done)
                self.task.stage_changed.disconnect(self._stage_changed)
            except TypeError:
                pass
            self.task.cancel()
            self.task = None
        self.parcels_panel.cleanup()
        self.results = {}
        self.current = None
