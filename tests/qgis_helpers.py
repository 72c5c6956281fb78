"""Helpers for the tests in the real QgsApplication: wait on the event loop, run a
Processing algorithm with a feedback that records what it says, or run qgis_process."""
import os
import subprocess
import time
from pathlib import Path

from qgis.core import QgsProcessingContext, QgsProcessingFeedback, QgsProject
from qgis.PyQt.QtCore import QCoreApplication

QGIS_PROCESS = Path(__file__).resolve().parents[1] / "scripts" / "qgis_process"


def wait_for(predicate, timeout=600):
    """Process events until predicate() is true; TimeoutError after `timeout` seconds."""
    start = time.time()
    while not predicate():
        QCoreApplication.processEvents()
        time.sleep(0.02)
        if time.time() - start > timeout:
            raise TimeoutError("timed out")


class RecordingFeedback(QgsProcessingFeedback):
    """Keeps ("error" | "info" | "warning", text) for each message."""

    def __init__(self):
        super().__init__()
        self.messages = []

    def reportError(self, error, fatalError=False):  # noqa: N802,N803
        self.messages.append(("error", error))

    def pushInfo(self, info):  # noqa: N802
        self.messages.append(("info", info))

    def pushWarning(self, warning):  # noqa: N802
        self.messages.append(("warning", warning))


def run_algorithm(alg, params):
    """(results, ok, messages, context) of `alg` run on the current project."""
    alg.initAlgorithm()
    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    feedback = RecordingFeedback()
    results, ok = alg.run(params, context, feedback)
    return results, ok, feedback.messages, context


def qgis_process(*args, timeout=300):
    """scripts/qgis_process with `args` (this checkout's plugin in the wrapper's own profile)."""
    env = dict(os.environ)
    env.pop("QGIS_CUSTOM_CONFIG_PATH", None)  # pytest-qgis's; the wrapper uses its own profile
    return subprocess.run([str(QGIS_PROCESS), *args], capture_output=True, text=True, timeout=timeout, env=env)
