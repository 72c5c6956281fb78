"""The GeoPin dock panel: drop a photo, pick a database, Locate, read the answer.

The work runs in a QgsTask (gui/locate_task.py); this widget only shows progress,
the estimate, the candidates (click one to zoom the map; double-click or "Show
matches" for the match viewer) and adds the result layers to the project.
"""
import os

from qgis.core import (
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsProject,
    QgsRectangle,
)
from qgis.gui import QgsDockWidget, QgsFileWidget
from qgis.PyQt.QtCore import QSize, Qt, pyqtSignal
from qgis.PyQt.QtGui import QIcon, QImageReader, QPixmap
from qgis.PyQt.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from .. import settings
from ..i18n import tr
from ..log import get_logger
from .locate_task import LocateTask, stage_title

PHOTO_FILTER = "Images (*.jpg *.jpeg *.JPG *.JPEG *.png *.PNG *.tif *.tiff *.webp)"
DATABASE_FILTER = "GeoPin database (*.gpkg)"
THUMB = 160
RESULT_ICON = QSize(96, 72)
ZOOM_HALF_WIDTH_M = 60.0
RD_NEW = "EPSG:28992"


def label_text(label):
    return {"confident": tr("confident"), "uncertain": tr("uncertain"), "no match": tr("no match")}.get(label, label)


class PhotoDropArea(QLabel):
    """A label that shows the photo's thumbnail and accepts a dropped image file."""

    photo_dropped = pyqtSignal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("geopinPhotoDrop")
        self.setAcceptDrops(True)
        self.setAlignment(Qt.AlignCenter)
        self.setMinimumHeight(THUMB * 3 // 4)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)
        self.setStyleSheet("QLabel#geopinPhotoDrop { border: 2px dashed #999; border-radius: 6px; color: #666; }")
        self.setText(tr("Drop a photo here"))

    @staticmethod
    def _local_file(mime):
        for url in mime.urls() if mime.hasUrls() else []:
            path = url.toLocalFile()
            if path and os.path.isfile(path):
                return path
        return None

    def dragEnterEvent(self, event):  # noqa: N802
        if self._local_file(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event):  # noqa: N802
        path = self._local_file(event.mimeData())
        if path:
            event.acceptProposedAction()
            self.photo_dropped.emit(path)


def thumbnail(path, size=THUMB):
    """A scaled QPixmap read without decoding the full image (fast on 8000×4000 panoramas)."""
    reader = QImageReader(path)
    reader.setAutoTransform(True)
    full = reader.size()
    if full.isValid() and full.width() > 0:
        reader.setScaledSize(full.scaled(size * 2, size * 2, Qt.KeepAspectRatio))
    image = reader.read()
    if image.isNull():
        return None
    return QPixmap.fromImage(image)


class GeoPinDock(QgsDockWidget):
    def __init__(self, iface, parent=None):
        super().__init__(tr("GeoPin"), parent)
        self.setObjectName("GeoPinDock")
        self.iface = iface
        self.photo_path = None
        self.task = None
        self.result = None
        self.result_photo = None
        self.result_layers = []
        self.reference_images = {}
        self.query_image = None

        body = QWidget()
        layout = QVBoxLayout(body)

        self.drop_area = PhotoDropArea()
        self.drop_area.photo_dropped.connect(self.set_photo)
        layout.addWidget(self.drop_area)

        row = QHBoxLayout()
        self.browse_button = QPushButton(tr("Browse photo…"))
        self.browse_button.setObjectName("geopinBrowse")
        self.browse_button.clicked.connect(self.browse_photo)
        row.addWidget(self.browse_button)
        row.addStretch(1)
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
        self.database_widget.setFilePath(settings.value("database") or "")
        self.database_widget.fileChanged.connect(self._database_changed)
        layout.addWidget(self.database_widget)

        row = QHBoxLayout()
        self.locate_button = QPushButton(tr("Locate"))
        self.locate_button.setObjectName("geopinLocate")
        self.locate_button.clicked.connect(self.locate)
        self.cancel_button = QPushButton(tr("Cancel"))
        self.cancel_button.setObjectName("geopinCancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.setEnabled(False)
        row.addWidget(self.locate_button)
        row.addWidget(self.cancel_button)
        layout.addLayout(row)

        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.stage_label = QLabel("")
        self.stage_label.setObjectName("geopinStage")
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
        self.results_list.itemClicked.connect(self._result_clicked)
        self.results_list.itemDoubleClicked.connect(self._result_double_clicked)
        layout.addWidget(self.results_list, 1)

        self.matches_button = QPushButton(tr("Show matches"))
        self.matches_button.setObjectName("geopinShowMatches")
        self.matches_button.setEnabled(False)
        self.matches_button.clicked.connect(self.show_matches)
        layout.addWidget(self.matches_button)

        from .parcels_panel import ParcelsPanel
        self.parcels_panel = ParcelsPanel(iface)
        layout.addWidget(self.parcels_panel)

        self.setWidget(body)
        self._update_buttons()

    # --- inputs -------------------------------------------------------------
    def browse_photo(self):
        start = os.path.dirname(self.photo_path) if self.photo_path else settings.value("last_photo_dir", "") or ""
        path, _ = QFileDialog.getOpenFileName(self, tr("Choose a photo"), start, PHOTO_FILTER)
        if path:
            self.set_photo(path)

    def set_photo(self, path):
        self.photo_path = path
        settings.set_value("last_photo_dir", os.path.dirname(path))
        pixmap = thumbnail(path)
        if pixmap is None:
            self.drop_area.setPixmap(QPixmap())
            self.drop_area.setText(tr("Cannot read {0}").format(os.path.basename(path)))
        else:
            self.drop_area.setPixmap(pixmap.scaled(THUMB * 2, THUMB, Qt.KeepAspectRatio, Qt.SmoothTransformation))
        self.exif_label.setText(self._exif_facts(path))
        self._update_buttons()

    def _exif_facts(self, path):
        facts = [os.path.basename(path)]
        try:
            from ..engine.images import read_exif

            exif = read_exif(path) or {}
        except Exception as exc:  # a broken EXIF block is a fact to show, not an error
            get_logger("dock").info("No EXIF for %s: %s", path, exc)
            exif = {}
        if exif.get("lat") is not None and exif.get("lon") is not None:
            facts.append(tr("EXIF position {0:.6f}, {1:.6f}").format(exif["lat"], exif["lon"]))
        else:
            facts.append(tr("No GPS position in EXIF"))
        if exif.get("capture_time"):
            facts.append(tr("Taken {0}").format(exif["capture_time"]))
        if exif.get("heading") is not None:
            facts.append(tr("Heading {0:.0f}°").format(float(exif["heading"])))
        for key in ("make", "model"):
            if exif.get(key):
                facts.append(str(exif[key]))
        return " · ".join(facts)

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
        self.locate_button.setEnabled(bool(self.photo_path) and bool(self.database_path()) and not running)
        self.cancel_button.setEnabled(running)
        self.matches_button.setEnabled(self._selected_candidate() is not None and not running)

    # --- run ----------------------------------------------------------------
    def locate(self):
        if self.task is not None or not self.photo_path:
            return None
        database = self.database_path()
        if not database or not os.path.exists(database):
            self.summary_label.setText(tr("Choose an existing reference database first."))
            return None
        from ..engine.pipeline import PipelineConfig

        config = PipelineConfig(top_k=settings.value("top_k"), verify_top=settings.value("verify_top"))
        self.results_list.clear()
        self.summary_label.setText("")
        self.progress.setValue(0)
        self.task = LocateTask(self.photo_path, database, config)
        self.task.stage_changed.connect(self._stage_changed)
        self.task.done.connect(self._task_done)
        QgsApplication.taskManager().addTask(self.task)
        self._update_buttons()
        return self.task

    def cancel(self):
        if self.task is not None:
            self.stage_label.setText(tr("Cancelling…"))
            self.task.cancel()

    def _stage_changed(self, stage, overall, message):
        self.progress.setValue(int(round(overall * 100)))
        title = stage_title(stage)
        self.stage_label.setText(f"{title}: {message}" if message else title)

    def _task_done(self, result, error):
        task, self.task = self.task, None
        if result is None:
            self.progress.setValue(0)
            self.stage_label.setText(error)
            self._update_buttons()
            return
        self.progress.setValue(100)
        self.stage_label.setText(tr("Done in {0:.1f} s").format(sum(result.timings.values())))
        self.result = result
        self.result_photo = task.photo_path
        self.query_image = getattr(task, "query_image", None)
        self.reference_images = getattr(task, "reference_images", {}) or {}
        self._show_result(result)
        self.add_result_layers()
        self.parcels_panel.set_result(os.path.basename(self.result_photo), result)
        self._update_buttons()

    # --- results --------------------------------------------------------------
    def _show_result(self, result):
        lines = [
            tr("{0} · confidence {1:.2f} · ± {2:.0f} m · {3} verified").format(
                label_text(result.label), result.confidence, result.error_radius_m, result.n_verified
            )
        ]
        if result.lat is not None:
            lines.append(tr("Estimate {0:.6f}, {1:.6f} (RD {2:.0f}, {3:.0f})").format(
                result.lat, result.lon, result.x, result.y))
        if getattr(result, "exif_distance_m", None) is not None:
            lines.append(tr("{0:.0f} m from the photo's EXIF position").format(result.exif_distance_m))
        self.summary_label.setText("\n".join(lines))
        for cand in result.candidates:
            text = tr("#{0} · sim {1:.3f} · {2} inliers{3}\n{4} · {5:.0f} m from estimate").format(
                cand.rank, cand.similarity, cand.inliers, " ✔" if cand.verified else "",
                cand.view.source or "", cand.distance_m if cand.distance_m is not None else float("nan"),
            )
            item = QListWidgetItem(text)
            item.setData(Qt.UserRole, cand.rank)
            rgb = self.reference_images.get(cand.view.view_id)
            if rgb is not None:
                from .match_viewer import rgb_to_qimage

                pix = QPixmap.fromImage(rgb_to_qimage(rgb)).scaled(RESULT_ICON, Qt.KeepAspectRatio, Qt.SmoothTransformation)
                item.setIcon(QIcon(pix))
            self.results_list.addItem(item)
        if self.results_list.count():
            self.results_list.setCurrentRow(0)

    def add_result_layers(self):
        from ..result_layers import add_geolocation_to_project

        try:
            self.result_layers = add_geolocation_to_project(
                QgsProject.instance(), os.path.basename(self.result_photo), self.result
            )
        except Exception as exc:
            get_logger("dock").exception("Could not add the result layers")
            self.summary_label.setText(self.summary_label.text() + "\n" + tr("Could not add layers: {0}").format(exc))
            return []
        if self.result.x is not None:
            self.zoom_to_rd(self.result.x, self.result.y, max(ZOOM_HALF_WIDTH_M, 2 * self.result.error_radius_m))
        return self.result_layers

    def _candidate_by_rank(self, rank):
        for cand in self.result.candidates if self.result else []:
            if cand.rank == rank:
                return cand
        return None

    def _selected_candidate(self):
        item = self.results_list.currentItem()
        if item is None or self.result is None:
            return None
        return self._candidate_by_rank(item.data(Qt.UserRole))

    def _result_clicked(self, item):
        cand = self._candidate_by_rank(item.data(Qt.UserRole))
        if cand is not None:
            self.zoom_to_rd(cand.view.x, cand.view.y, ZOOM_HALF_WIDTH_M)
        self._update_buttons()

    def _result_double_clicked(self, item):
        self._result_clicked(item)
        self.show_matches()

    def zoom_to_rd(self, x, y, half_width_m):
        """Centre the map canvas on an RD New point, whatever the canvas CRS."""
        canvas = self.iface.mapCanvas() if self.iface is not None else None
        if canvas is None:
            return None
        rect = QgsRectangle(x - half_width_m, y - half_width_m, x + half_width_m, y + half_width_m)
        dest = canvas.mapSettings().destinationCrs()
        if dest.isValid() and dest.authid() != RD_NEW:
            transform = QgsCoordinateTransform(
                QgsCoordinateReferenceSystem(RD_NEW), dest, QgsProject.instance().transformContext()
            )
            rect = transform.transformBoundingBox(rect)
        canvas.setExtent(rect)
        canvas.refresh()
        return rect

    def show_matches(self):
        cand = self._selected_candidate()
        if cand is None or self.query_image is None:
            return None
        reference = self.reference_images.get(cand.view.view_id)
        if reference is None:
            self.summary_label.setText(tr("No reference image for view {0}").format(cand.view.view_id))
            return None
        from .match_viewer import MatchViewer

        viewer = MatchViewer(self.query_image, reference, cand, self.result.query_feature_size, self)
        viewer.setAttribute(Qt.WA_DeleteOnClose)
        viewer.show()
        self.match_viewer = viewer
        return viewer

    def close_and_cleanup(self):
        """Called by the plugin on unload: cancel a running task, drop references."""
        if self.task is not None:
            try:
                self.task.done.disconnect(self._task_done)
                self.task.stage_changed.disconnect(self._stage_changed)
            except TypeError:
                pass
            self.task.cancel()
            self.task = None
        self.parcels_panel.cleanup()
        self.result = None
        self.reference_images = {}
        self.query_image = None
        self.result_layers = []
