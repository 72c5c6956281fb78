"""Plugins ▸ GeoPin ▸ Install dependencies…

Runs pip with QGIS's own Python interpreter (a QProcess, so QGIS stays responsive)
into a folder outside the plugin folder (deps.deps_dir(): a plugin update does not
wipe it), with constraints generated from the running interpreter so QGIS's numpy,
PROJ etc. are never replaced, wheels only. Online, *Install* first checks that the
package index answers through QGIS's proxy settings and lets pip plan (--dry-run):
the dialog says what it will download and how big, and a second click downloads
and installs. Offline, *Use a folder of wheels…* installs from wheel files copied
there (--no-index --find-links). The pip log is shown live; a failure is told in
one plain sentence (pip_plan.explain_failure); afterwards the imports are verified
for real."""
import os
import tempfile

from qgis.PyQt.QtCore import QProcess, QProcessEnvironment, pyqtSignal
from qgis.PyQt.QtGui import QFontDatabase
from qgis.PyQt.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
)

from .. import constraints, deps, pip_plan
from ..i18n import tr
from ..log import get_logger

LOG = get_logger("deps")


class InstallDependenciesDialog(QDialog):
    """`required` maps import names to pip names (default deps.REQUIRED);
    `requirements_file`, `target` and `pip_args` default to the real installation."""

    installFinished = pyqtSignal(bool)  # noqa: N815 (Qt style)

    def __init__(self, parent=None, requirements_file=None, target=None, required=None, pip_args=(),
                 wheel_dir=None, plan_first=None, proxy_url=None):
        super().__init__(parent)
        self.requirements_file = requirements_file or deps.REQUIREMENTS_FILE
        self.target = target or deps.deps_dir()
        self.required = required  # None: deps.missing()/verify_imports() defaults (an index library included)
        self.pip_args = list(pip_args)
        self.wheel_dir = wheel_dir
        # online installs plan first (network check, sizes); tests and offline folders need no network
        self.plan_first = (not wheel_dir and "--no-index" not in self.pip_args) if plan_first is None else plan_first
        self.proxy_url = pip_plan.qgis_proxy_url() if proxy_url is None else proxy_url
        self.planned = None  # [(name, version, bytes)] once pip has planned
        self.mode = None  # "plan" | "install" while pip runs
        self.process = None
        self.python = None
        self.succeeded = None
        self._tmp = None
        self._output = []

        self.setWindowTitle(tr("GeoPin: install Python dependencies"))
        self.resize(720, 460)
        layout = QVBoxLayout(self)
        missing = deps.missing(self.required)
        needed = self.required.values() if self.required is not None else [*deps.REQUIRED.values(), deps.INDEX_PIP]
        intro = tr("GeoPin needs these Python packages: {0}.").format(", ".join(sorted(needed)))
        if missing:
            intro += " " + tr("Missing now: {0}.").format(", ".join(missing))
        intro += " " + tr("They are installed with pip into {0} (outside the plugin folder).").format(self.target)
        self.intro = QLabel(intro)
        self.intro.setWordWrap(True)
        layout.addWidget(self.intro)

        self.log_view = QPlainTextEdit()
        self.log_view.setReadOnly(True)
        self.log_view.setFont(QFontDatabase.systemFont(QFontDatabase.FixedFont))
        layout.addWidget(self.log_view)

        self.status = QLabel(tr("Ready."))
        self.status.setWordWrap(True)
        layout.addWidget(self.status)

        self.buttons = QDialogButtonBox()
        self.install_button = QPushButton(tr("Install"))
        self.install_button.setObjectName("geopinInstallDeps")
        self.buttons.addButton(self.install_button, QDialogButtonBox.ActionRole)
        self.folder_button = QPushButton(tr("Use a folder of wheels…"))
        self.folder_button.setObjectName("geopinInstallFromFolder")
        self.folder_button.setToolTip(tr("Offline: install from .whl files downloaded on another machine with "
                                         "pip download --only-binary :all: -r requirements/runtime.txt"))
        self.buttons.addButton(self.folder_button, QDialogButtonBox.ActionRole)
        self.folder_button.clicked.connect(self.choose_wheel_folder)
        self.close_button = self.buttons.addButton(QDialogButtonBox.Close)
        self.install_button.clicked.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    # -- running pip ------------------------------------------------------------------
    def _report_file(self):
        return os.path.join(self._tmp.name, "plan.json")

    def command(self, plan=False):
        """The pip command line (constraints written to a temporary file first)."""
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="geopin-pip-")
        constraints_file = os.path.join(self._tmp.name, "constraints.txt")
        with open(constraints_file, "w", encoding="utf-8") as fh:
            fh.write("\n".join(constraints.constraints()) + "\n")
        cmd = deps.pip_command(self.target, constraints_file, self.requirements_file, self.pip_args,
                               wheel_dir=self.wheel_dir, report=self._report_file() if plan else None)
        self.python = cmd[0]
        return cmd

    def is_running(self):
        return self.process is not None and self.process.state() != QProcess.NotRunning

    def choose_wheel_folder(self, folder=None):
        """Offline: install from a folder of .whl files (no network check, no index)."""
        folder = folder or QFileDialog.getExistingDirectory(self, tr("Folder with the wheel files"))
        if not folder:
            return
        self.wheel_dir, self.plan_first, self.planned = folder, False, None
        self.status.setText(tr("Installing from the wheels in {0} (no internet needed).").format(folder))
        self.start()

    def start(self):
        """First click online: check the index and plan; then (or offline) install."""
        if self.is_running():
            return
        self.succeeded = None
        plan = self.plan_first and self.planned is None
        if plan and not pip_plan.index_reachable():
            self._report(False, tr("GeoPin could not reach the Python package index (pypi.org): connect to the "
                                   "internet, set QGIS's proxy under Settings ▸ Options ▸ Network, or install "
                                   "from a folder of wheel files."))
            return
        try:
            cmd = self.command(plan=plan)
        except deps.PythonNotFound as exc:  # never fall back to another Python on PATH
            self._report(False, str(exc))
            return
        os.makedirs(self.target, exist_ok=True)
        self.mode = "plan" if plan else "install"
        self.install_button.setEnabled(False)
        self.folder_button.setEnabled(False)
        self._output = []
        self.append_log("$ " + " ".join(cmd) + "\n")
        self.status.setText(tr("Finding the packages for this QGIS…") if plan else
                            tr("Installing… (this can take a few minutes)"))
        LOG.info("%s dependencies: %s", "Planning" if plan else "Installing", " ".join(cmd))

        self.process = QProcess(self)
        env = QProcessEnvironment.systemEnvironment()
        env.insert("PYTHONUNBUFFERED", "1")
        env.insert("PIP_NO_INPUT", "1")
        for key, value in pip_plan.proxy_environment(self.proxy_url).items():
            env.insert(key, value)  # QGIS's proxy (Settings ▸ Options ▸ Network) for pip too
        self.process.setProcessEnvironment(env)
        self.process.setProcessChannelMode(QProcess.MergedChannels)
        self.process.readyReadStandardOutput.connect(self._read_output)
        self.process.finished.connect(self._finished)
        self.process.errorOccurred.connect(self._error)
        self.process.start(cmd[0], cmd[1:])

    def append_log(self, text):
        self.log_view.moveCursor(self.log_view.textCursor().End)
        self.log_view.insertPlainText(text)
        self.log_view.ensureCursorVisible()

    def _read_output(self):
        text = bytes(self.process.readAllStandardOutput()).decode("utf-8", errors="replace")
        self._output.append(text)
        self.append_log(text)

    def _error(self, error):
        if error == QProcess.FailedToStart:
            self._report(False, tr("Could not start Python ({0}): {1}").format(
                self.python, self.process.errorString()))

    def _finished(self, exit_code, exit_status):
        self._read_output()
        output = "".join(self._output)
        if self.mode == "plan" and exit_code != 0 and "no such option" in output:
            self.plan_first = False  # a pip too old to plan (QGIS 3.22 on Windows): install directly
            self.mode = None
            self.start()
            return
        if exit_status != QProcess.NormalExit or exit_code != 0:
            self._report(False, pip_plan.explain_failure(output, exit_code, self.wheel_dir))
            return
        if self.mode == "plan":
            self._planned()
            return
        deps.add_deps_dir_to_path(self.target)
        errors = deps.verify_imports(self.required)
        if errors:
            for name, message in errors.items():
                self.append_log(f"import {name}: {message}\n")
            self._report(False, tr("Installed, but these packages cannot be imported: {0}. "
                                   "Restart QGIS and try again.").format(", ".join(sorted(errors))))
        else:
            self._report(True, tr("All dependencies are installed and import correctly."))

    def _planned(self):
        """pip has planned: say what will be downloaded and how big; the next click installs."""
        self.mode = None
        items = [(name, version, pip_plan.wheel_size(name, version, url))
                 for name, version, url in pip_plan.planned_downloads(self._report_file())]
        self.planned = items
        lines, total = pip_plan.describe_plan(items)
        self.append_log("\n" + "\n".join(lines) + "\n")
        self.status.setText(tr("pip will download {0} packages, {1:.0f} MB in all, into {2}. Click Install to "
                               "download and install them.").format(len(items), total / 1e6, self.target))
        self.install_button.setText(tr("Download {0:.0f} MB and install").format(total / 1e6))
        self.install_button.setEnabled(True)
        self.folder_button.setEnabled(True)

    def _report(self, ok, message):
        if self.succeeded is not None:  # errorOccurred and finished may both arrive
            return
        self.mode = None
        self.succeeded = ok
        self.status.setText(message)
        self.append_log(message + "\n")
        (LOG.info if ok else LOG.error)(message)
        self.install_button.setEnabled(True)
        self.folder_button.setEnabled(True)
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
        self.installFinished.emit(ok)

    def reject(self):
        if self.is_running():
            self.process.kill()
            self.process.waitForFinished(3000)
        super().reject()
