"""The dock's first-run checklist and its database check.

Three rows — Python packages, models, reference database — each green, or red with
a fix one click away that needs no terminal: install the dependencies, install
models from a file (Models…), choose or create a database. The checklist hides
itself once every row is green. Under the database picker a line says what the
chosen file is (engine/database/db_check.py: a GeoPin database with its views, area and
models, or a results GeoPackage / other file, refused at once); Locate stays off
while the chosen file cannot be searched.

attach(dock) adds both to the dock with a few lines there.
"""
import os

from qgis.PyQt.QtWidgets import QFileDialog, QFrame, QGridLayout, QLabel, QPushButton

from .. import deps
from ..i18n import number, tr

OK_STYLE = "QLabel { color: #1e7b34; }"
BAD_STYLE = "QLabel { color: #a61b1b; }"
BOX_STYLE = "QFrame#geopinChecklist { background: #fff8e1; border: 1px solid #e0c97a; }"


def describe_database(facts):
    """(ok, one line) for the database picker: what the chosen file is."""
    if facts.kind == "missing":
        if not facts.path:
            return False, tr("No reference database chosen: choose one or create one for the map view.")
        return False, tr("{0} does not exist.").format(facts.path)
    if facts.kind == "results":
        return False, tr("{0} is a GeoPin results GeoPackage (layers {1}), not a reference database: choose the "
                         "database the photos are searched in.").format(os.path.basename(facts.path),
                                                                       ", ".join(facts.layers))
    if facts.kind == "geopackage":
        return False, tr("{0} is a GeoPackage but not a GeoPin reference database (layers {1}).").format(
            os.path.basename(facts.path), ", ".join(facts.layers[:5]) or "-")
    if facts.kind == "not-geopackage":
        return False, tr("{0} is not a GeoPackage.").format(os.path.basename(facts.path))
    if facts.views == 0:
        return False, tr("{0} is a GeoPin database without views yet.").format(os.path.basename(facts.path))
    line = tr("{0} views from {1}; models {2}").format(
        number(facts.views, 0), ", ".join(facts.sources) or "-",
        " + ".join(m for m in (facts.embedder, facts.extractor) if m))
    if facts.extent_lonlat:
        lon0, lat0, lon1, lat1 = facts.extent_lonlat
        line += "; " + tr("area {0}–{1} N, {2}–{3} E").format(number(lat0, 4), number(lat1, 4), number(lon0, 4),
                                                             number(lon1, 4))
    if facts.missing_models:
        return False, line + ". " + tr("Missing models: {0}: install them with Models….").format(
            ", ".join(facts.missing_models))
    return True, line + "."


class FirstRunChecklist(QFrame):
    ROWS = ("deps", "models", "database")

    def __init__(self, dock):
        super().__init__()
        self.dock = dock
        self.setObjectName("geopinChecklist")
        self.setStyleSheet(BOX_STYLE)
        grid = QGridLayout(self)
        title = QLabel("<b>" + tr("Before the first photo") + "</b>")
        grid.addWidget(title, 0, 0, 1, 3)
        self.labels, self.buttons = {}, {}
        fixes = {
            "deps": [(tr("Install dependencies…"), "geopinChecklistDeps", dock.install_requested.emit,
                      tr("Install the Python packages GeoPin needs into your QGIS profile"))],
            "models": [(tr("Install models…"), "geopinChecklistModels", self.show_models,
                        tr("Show the installed models, or install models from a ZIP or an ONNX file"))],
            "database": [(tr("Choose…"), "geopinChecklistChooseDb", self.choose_database,
                          tr("Choose an existing GeoPin reference database")),
                         (tr("Create for the map view…"), "geopinChecklistCreateDb", self.create_database,
                          tr("Build a reference database of street-level imagery for the area of the map view"))],
        }
        for i, key in enumerate(self.ROWS):
            label = QLabel("")  # the state on its own line, its fixes under it
            label.setObjectName(f"geopinChecklist_{key}")
            label.setWordWrap(True)
            grid.addWidget(label, 1 + 2 * i, 0, 1, 3)
            self.labels[key] = label
            self.buttons[key] = []
            for col, (text, name, slot, tip) in enumerate(fixes[key]):
                btn = QPushButton(text)
                btn.setObjectName(name)
                btn.setToolTip(tip)
                btn.clicked.connect(slot)
                grid.addWidget(btn, 2 + 2 * i, col)
                self.buttons[key].append(btn)
        grid.setColumnStretch(2, 1)
        self.database_label = QLabel("")
        self.database_label.setObjectName("geopinDatabaseCheck")
        self.database_label.setWordWrap(True)
        self.state = {}
        self.database_facts = None
        self.models_dialog = None
        self.create_dialog = None

    # --- the checks ------------------------------------------------------------------
    def refresh(self):
        """Run the three checks (cheap: find_spec, sha256 of the runtime models, a read-only query)."""
        from ..engine.database import db_check
        from ..engine import model_install

        missing = deps.missing()
        self._set("deps", not missing, tr("Python packages: installed.") if not missing else
                  tr("Python packages missing: {0}.").format(", ".join(missing)))
        models = model_install.missing_runtime()
        self._set("models", not models, tr("Models: installed.") if not models else
                  tr("Models missing: {0}.").format(", ".join(models)))
        self.database_facts = db_check.inspect(self.dock.database_path())
        ok, line = describe_database(self.database_facts)
        self._set("database", ok, (tr("Reference database: ready.") if ok else
                                   tr("Reference database: not ready.")))
        self.database_label.setText(line)
        self.database_label.setStyleSheet(OK_STYLE if ok else BAD_STYLE)
        self.database_label.setVisible(bool(self.dock.database_path()) or not ok)
        self.setVisible(not all(self.state.values()))
        return dict(self.state)

    def _set(self, key, ok, text):
        self.state[key] = ok
        self.labels[key].setText(("✔ " if ok else "✘ ") + text)
        self.labels[key].setStyleSheet(OK_STYLE if ok else BAD_STYLE)
        for btn in self.buttons[key]:
            btn.setVisible(not ok or key == "database")

    @property
    def database_ok(self):
        return bool(self.state.get("database"))

    # --- the fixes -----------------------------------------------------------------------
    def show_models(self):
        from .models_dialog import ModelsDialog

        if self.models_dialog is None:
            self.models_dialog = ModelsDialog(self.dock)
            self.models_dialog.changed.connect(self.refresh)
        self.models_dialog.show()
        self.models_dialog.raise_()
        return self.models_dialog

    def choose_database(self, path=None):
        if not path:
            start = os.path.dirname(self.dock.database_path()) if self.dock.database_path() else ""
            path, _ = QFileDialog.getOpenFileName(self.dock, tr("Choose a reference database"), start,
                                                  tr("GeoPin database (*.gpkg)"))
        if path:
            self.dock.set_database(path)
        return path

    def create_database(self):
        from .create_db import CreateDatabaseDialog

        if self.create_dialog is None:
            self.create_dialog = CreateDatabaseDialog(self.dock)
            self.create_dialog.created.connect(self.dock.set_database)
        self.create_dialog.show()
        self.create_dialog.raise_()
        return self.create_dialog


def attach(dock):
    """Put the checklist at the top of the dock and the database line under its picker."""
    checklist = FirstRunChecklist(dock)
    body = dock.widget()
    if hasattr(body, "widget"):  # the dock's body sits in a scroll area
        body = body.widget()
    layout = body.layout()
    layout.insertWidget(0, checklist)
    layout.insertWidget(layout.indexOf(dock.database_widget) + 1, checklist.database_label)
    def changed(_path):
        checklist.refresh()
        dock._update_buttons()  # Locate follows the check
    dock.database_widget.fileChanged.connect(changed)
    return checklist
