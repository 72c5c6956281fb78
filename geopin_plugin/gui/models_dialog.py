"""Plugins ▸ GeoPin ▸ Models…: which models are installed where, and installing
more from a file (engine/model_install.py): a models ZIP (a manifest.json with
each file's sha256 — the plugin ZIP itself is one) or one ONNX file with its model
card. Folders are searched in the order shown; the first copy whose sha256 matches
its manifest is used."""
import os

from qgis.PyQt.QtCore import QUrl, pyqtSignal
from qgis.PyQt.QtGui import QDesktopServices
from qgis.PyQt.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from ..i18n import tr
from ..log import get_logger

LOG = get_logger("models")


class ModelsDialog(QDialog):
    changed = pyqtSignal()  # models were installed

    COLUMNS = ("file", "where", "presets", "status", "folder")

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("geopinModelsDialog")
        self.setWindowTitle(tr("GeoPin: models"))
        self.resize(820, 360)
        layout = QVBoxLayout(self)
        from ..engine.models import model_dirs

        order = " → ".join(str(d) for d in model_dirs())
        intro = QLabel(tr("GeoPin looks for its models in these folders, in this order: {0}. The plugin ZIP ships "
                          "the default models; install others from a models ZIP or an ONNX file with its model "
                          "card.").format(order))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setObjectName("geopinModelsTable")
        self.table.setHorizontalHeaderLabels([tr("File"), tr("Where"), tr("Used as"), tr("Status"), tr("Folder")])
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.table)
        self.status = QLabel("")
        self.status.setObjectName("geopinModelsStatus")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        buttons = QDialogButtonBox()
        self.zip_button = QPushButton(tr("Install models ZIP…"))
        self.zip_button.setObjectName("geopinModelsInstallZip")
        self.zip_button.clicked.connect(lambda: self.install_zip())
        self.onnx_button = QPushButton(tr("Install ONNX model…"))
        self.onnx_button.setObjectName("geopinModelsInstallOnnx")
        self.onnx_button.clicked.connect(lambda: self.install_onnx())
        self.folder_button = QPushButton(tr("Open user models folder"))
        self.folder_button.clicked.connect(self.open_folder)
        for b in (self.zip_button, self.onnx_button, self.folder_button):
            buttons.addButton(b, QDialogButtonBox.ActionRole)
        buttons.addButton(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.refresh()

    def refresh(self):
        from ..engine import model_install

        rows = model_install.installed()
        self.table.setRowCount(len(rows))
        where_text = {"plugin": tr("plugin"), "user": tr("user"), "GEOPIN_MODELS_DIR": "GEOPIN_MODELS_DIR"}
        for r, m in enumerate(rows):
            values = (m.file, where_text.get(m.where, m.where), ", ".join(m.presets) or "-",
                      tr("ok") if m.status == "ok" else m.status, str(m.folder))
            for c, value in enumerate(values):
                self.table.setItem(r, c, QTableWidgetItem(value))
        self.table.resizeColumnsToContents()
        missing = model_install.missing_runtime()
        self.status.setText(tr("Missing models: {0}.").format(", ".join(missing)) if missing else
                            tr("The default models are installed."))
        return rows

    def _done(self, message, ok=True):
        (LOG.info if ok else LOG.warning)(message)
        self.refresh()
        self.status.setText(message)
        if ok:
            self.changed.emit()

    def install_zip(self, path=None):
        from ..engine.model_install import install_models_zip
        from ..engine.models import ModelError

        path = path or QFileDialog.getOpenFileName(self, tr("Models ZIP"), "", tr("ZIP files (*.zip)"))[0]
        if not path:
            return None
        try:
            names = install_models_zip(path)
        except (ModelError, OSError) as exc:
            self._done(tr("Could not install models from {0}: {1}").format(os.path.basename(path), exc), ok=False)
            return None
        self._done(tr("Installed {0}.").format(", ".join(names)))
        return names

    def install_onnx(self, path=None):
        from ..engine.models import ModelError

        path = path or QFileDialog.getOpenFileName(self, tr("ONNX model"), "", tr("ONNX models (*.onnx)"))[0]
        if not path:
            return None
        try:
            from ..engine.model_install import install_onnx

            installed = install_onnx(path)
        except ImportError as exc:  # onnxruntime reads the model card
            self._done(tr("Install the Python dependencies first ({0}).").format(exc.name or exc), ok=False)
            return None
        except (ModelError, OSError) as exc:
            self._done(tr("Could not install {0}: {1}").format(os.path.basename(path), exc), ok=False)
            return None
        self._done(tr("Installed {0}: choose it as the embedding model under Advanced.").format(installed))
        return installed

    def open_folder(self):
        from ..engine.paths import user_models_dir

        folder = user_models_dir()
        folder.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))
