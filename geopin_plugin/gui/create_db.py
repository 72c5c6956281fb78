"""The dock's "Create a reference database for the map view": the existing
Processing algorithms (import street-level imagery, build from a folder) run as a
QGIS task with progress and cancel, and the new database becomes the dock's.

Sources: Panoramax (open, no token), Mapillary (a QGIS authentication
configuration holds the token), the City of Amsterdam panoramas, or a folder of
geotagged photos and panoramas. The area is the map view's extent.
"""
import os

from qgis.core import (
    QgsApplication,
    QgsProcessingAlgRunnerTask,
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProject,
)
from qgis.gui import QgsAuthConfigSelect, QgsFileWidget
from qgis.PyQt.QtCore import pyqtSignal
from qgis.PyQt.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
)

from ..i18n import tr
from ..log import get_logger

LOG = get_logger("create-db")
# (key, the import algorithm's SOURCE index or None for a folder)
SOURCES = (("panoramax", 1), ("mapillary", 0), ("amsterdam", 4), ("folder", None))


def source_label(key):
    return {"panoramax": tr("Panoramax (open, no account)"),
            "mapillary": tr("Mapillary (access token in a QGIS authentication configuration)"),
            "amsterdam": tr("Amsterdam panoramas (City of Amsterdam)"),
            "folder": tr("A folder of geotagged photos and panoramas")}[key]


def algorithm(alg_id):
    """The registered algorithm, or (the dock used without the provider) its class."""
    alg = QgsApplication.processingRegistry().createAlgorithmById(alg_id)
    if alg is not None:
        return alg
    if alg_id.endswith("importstreetimagery"):
        from ...processing.import_street_imagery import ImportStreetImagery as cls
    else:
        from ...processing.build_reference_database import BuildReferenceDatabase as cls
    alg = cls()
    alg.initAlgorithm()
    return alg


class CreateDatabaseDialog(QDialog):
    created = pyqtSignal(str)  # the new database's path

    def __init__(self, dock):
        super().__init__(dock)
        self.dock = dock
        self.setObjectName("geopinCreateDatabase")
        self.setWindowTitle(tr("GeoPin: create a reference database"))
        self.task = None
        self.context = None
        self.feedback = None
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.source = QComboBox()
        self.source.setObjectName("geopinCreateSource")
        for key, _index in SOURCES:
            self.source.addItem(source_label(key), key)
        self.source.currentIndexChanged.connect(self._source_changed)
        form.addRow(tr("Source"), self.source)
        self.auth = QgsAuthConfigSelect(self)
        self.auth_label = QLabel(tr("Access token"))
        form.addRow(self.auth_label, self.auth)
        self.folder = QgsFileWidget()
        self.folder.setStorageMode(QgsFileWidget.GetDirectory)
        self.folder_label = QLabel(tr("Folder"))
        form.addRow(self.folder_label, self.folder)
        self.max_images = QSpinBox()
        self.max_images.setRange(1, 100000)
        self.max_images.setValue(200)
        form.addRow(tr("At most this many images"), self.max_images)
        self.output = QgsFileWidget()
        self.output.setObjectName("geopinCreateOutput")
        self.output.setStorageMode(QgsFileWidget.SaveFile)
        self.output.setFilter(tr("GeoPin database (*.gpkg)"))
        form.addRow(tr("New database"), self.output)
        layout.addLayout(form)
        self.area_label = QLabel("")
        self.area_label.setWordWrap(True)
        layout.addWidget(self.area_label)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        layout.addWidget(self.progress)
        self.status = QLabel("")
        self.status.setObjectName("geopinCreateStatus")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        buttons = QDialogButtonBox()
        self.create_button = QPushButton(tr("Create"))
        self.create_button.setObjectName("geopinCreateRun")
        self.create_button.clicked.connect(self.start)
        self.cancel_button = QPushButton(tr("Cancel"))
        self.cancel_button.setObjectName("geopinCreateCancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        buttons.addButton(self.create_button, QDialogButtonBox.ActionRole)
        buttons.addButton(self.cancel_button, QDialogButtonBox.ActionRole)
        buttons.addButton(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._source_changed()

    def _source_changed(self, *_):
        key = self.source.currentData()
        for widget in (self.auth, self.auth_label):
            widget.setVisible(key == "mapillary")
        for widget in (self.folder, self.folder_label):
            widget.setVisible(key == "folder")
        extent, crs = self.map_extent()
        self.area_label.setText(tr("Area: the map view ({0})").format(extent) if key != "folder" else
                                tr("Area: wherever the photos were taken (their EXIF GPS)"))

    def map_extent(self):
        """The map canvas extent as a Processing extent string, and its CRS id."""
        canvas = self.dock.iface.mapCanvas() if self.dock.iface is not None else None
        if canvas is None:
            return "", ""
        r = canvas.extent()
        crs = canvas.mapSettings().destinationCrs().authid()
        return f"{r.xMinimum()},{r.xMaximum()},{r.yMinimum()},{r.yMaximum()} [{crs}]", crs

    def parameters(self):
        """(algorithm id, parameters) for the chosen source; ValueError with a user message."""
        output = self.output.filePath().strip()
        if not output:
            raise ValueError(tr("Choose where to save the new database."))
        if not output.lower().endswith(".gpkg"):
            output += ".gpkg"
        key = self.source.currentData()
        if key == "folder":
            folder = self.folder.filePath().strip()
            if not folder or not os.path.isdir(folder):
                raise ValueError(tr("Choose the folder with the photos."))
            return "geopin:buildreferencedatabase", {"INPUT": folder, "DATABASE": output}
        extent, _crs = self.map_extent()
        if not extent:
            raise ValueError(tr("Open a map first: the database covers the map view."))
        params = {"SOURCE": dict(SOURCES)[key], "EXTENT": extent, "MAX_IMAGES": self.max_images.value(),
                  "DATABASE": output}
        if key == "mapillary":
            if not self.auth.configId():
                raise ValueError(tr("Mapillary needs an access token: choose or add an authentication "
                                    "configuration that holds it."))
            params["AUTH_CONFIG"] = self.auth.configId()
        return "geopin:importstreetimagery", params

    def start(self):
        """Run the algorithm as a QGIS task; returns the task (None when a field is missing)."""
        if self.task is not None:
            return None
        try:
            alg_id, params = self.parameters()
        except ValueError as exc:
            self.status.setText(str(exc))
            return None
        alg = algorithm(alg_id)
        self.context = QgsProcessingContext()
        self.context.setProject(QgsProject.instance())
        self.feedback = QgsProcessingFeedback()
        self.feedback.progressChanged.connect(lambda p: self.progress.setValue(int(p)))
        self.task = QgsProcessingAlgRunnerTask(alg, params, self.context, self.feedback)
        self.task.executed.connect(lambda ok, results: self._finished(ok, results, params["DATABASE"]))
        self.create_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.status.setText(tr("Creating {0}…").format(params["DATABASE"]))
        LOG.info("Creating a reference database: %s %s", alg_id, params)
        QgsApplication.taskManager().addTask(self.task)
        return self.task

    def cancel(self):
        if self.task is not None:
            self.feedback.cancel()
            self.task.cancel()

    def _finished(self, ok, results, database):
        self.task = None
        self.create_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        if ok and os.path.exists(results.get("DATABASE") or database):
            path = results.get("DATABASE") or database
            self.status.setText(tr("Created {0}; Locate now searches it.").format(path))
            self.progress.setValue(100)
            self.created.emit(path)
        elif self.feedback is not None and self.feedback.isCanceled():
            self.status.setText(tr("Cancelled; the views stored so far stay in the database and a new run "
                                   "continues it."))
        else:
            log = [line for line in (self.feedback.textLog() if self.feedback else "").splitlines() if line.strip()]
            self.status.setText(tr("The database could not be created: {0}").format(
                log[-1] if log else tr("see the GeoPin log (View ▸ Panels ▸ Log Messages)")))
