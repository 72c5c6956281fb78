"""Plugins ▸ GeoPin ▸ Install dependencies…

Runs pip with QGIS's own Python interpreter (a QProcess, so QGIS stays responsive)
into a folder outside the plugin folder (deps.deps_dir(): a plugin update does not
wipe it), with constraints generated from the running interpreter so QGIS's numpy,
PROJ etc. are never replaced. The pip log is shown live; afterwards the imports are
verified for real and the result is reported in the dialog."""
import os
import tempfile

from qgis.PyQt.QtCore import QProcess, QProcessEnvironment, pyqtSignal
from qgis.PyQt.QtGui import QFontDatabase
from qgis.PyQt.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
)

from .. import constraints, deps
from ..i18n import tr
from ..log import get_logger

LOG = get_logger("deps")


class InstallDependenciesDialog(QDialog):
    """`required` maps import names to pip names (default deps.REQUIRED);
    `requirements_file`, `target` and `pip_args` default to the real installation."""

    installFinished = pyqtSignal(bool)  # noqa: N815 (Qt style)

    def __init__(self, parent=None, requirements_file=None, target=None, required=None, pip_args=()):
        super().__init__(parent)
        self.requirements_file = requirements_file or deps.REQUIREMENTS_FILE
        self.target = target or deps.deps_dir()
        self.required = deps.REQUIRED if required is None else required
        self.pip_args = list(pip_args)
        self.process = None
        self.python = None
        self.succeeded = None
        self._tmp = None

        self.setWindowTitle(tr("GeoPin: install Python dependencies"))
        self.resize(720, 460)
        layout = QVBoxLayout(self)
        missing = deps.missing(self.required)
        intro = tr("GeoPin needs these Python packages: {0}.").format(", ".join(sorted(self.required.values())))
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
        self.buttons.addButton(self.install_button, QDialogButtonBox.ActionRole)
        self.close_button = self.buttons.addButton(QDialogButtonBox.Close)
        self.install_button.clicked.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    # -- running pip ------------------------------------------------------------------
    def command(self):
        """The pip command line (constraints written to a temporary file first)."""
        self._tmp = tempfile.TemporaryDirectory(prefix="geopin-pip-")
        constraints_file = os.path.join(self._tmp.name, "constraints.txt")
        with open(constraints_file, "w", encoding="utf-8") as fh:
            fh.write("\n".join(constraints.constraints()) + "\n")
        cmd = deps.pip_command(self.target, constraints_file, self.requirements_file, self.pip_args)
        self.python = cmd[0]
        return cmd

    def is_running(self):
        return self.process is not None and self.process.state() != QProcess.NotRunning

    def start(self):
        if self.is_running():
            return
        self.succeeded = None
        try:
            cmd = self.command()
        except deps.PythonNotFound as exc:  # never fall back to another Python on PATH
            self._report(False, str(exc))
            return
        os.makedirs(self.target, exist_ok=True)
        self.install_button.setEnabled(False)
        self.append_log("$ " + " ".join(cmd) + "\n")
        self.status.setText(tr("Installing… (this can take a few minutes)"))
        LOG.info("Installing dependencies: %s", " ".join(cmd))

        self.process = QProcess(self)
        env = QProcessEnvironment.systemEnvironment()
        env.insert("PYTHONUNBUFFERED", "1")
        env.insert("PIP_NO_INPUT", "1")
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
        data = bytes(self.process.readAllStandardOutput())
        self.append_log(data.decode("utf-8", errors="replace"))

    def _error(self, error):
        if error == QProcess.FailedToStart:
            self._report(False, tr("Could not start Python ({0}): {1}").format(
                self.python, self.process.errorString()))

    def _finished(self, exit_code, exit_status):
        self._read_output()
        if exit_status != QProcess.NormalExit or exit_code != 0:
            self._report(False, tr("pip failed (exit code {0}); see the log above.").format(exit_code))
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

    def _report(self, ok, message):
        if self.succeeded is not None:  # errorOccurred and finished may both arrive
            return
        self.succeeded = ok
        self.status.setText(message)
        self.append_log(message + "\n")
        (LOG.info if ok else LOG.error)(message)
        self.install_button.setEnabled(True)
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
        self.installFinished.emit(ok)

    def reject(self):
        if self.is_running():
            self.process.kill()
            self.process.waitForFinished(3000)
        super().reject()
