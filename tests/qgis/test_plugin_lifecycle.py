"""The plugin in a real QgsApplication, loaded the way QGIS loads it (qgis.utils
loadPlugin/startPlugin/unloadPlugin/reloadPlugin): toolbar button, Plugins menu,
provider, dock, and that unloading removes everything it added."""
import os
import subprocess
import sys
import textwrap

import pytest
from qgis.core import QgsApplication
from qgis.gui import QgsMessageBar
from qgis.PyQt.QtCore import QCoreApplication, QObject
from qgis.PyQt.QtWidgets import QMainWindow

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLUGINS_DIR = os.path.join(REPO, "build", "plugins")
HAS_DOCK = os.path.exists(os.path.join(REPO, "geopin_plugin", "gui", "dock.py"))


class RecordingIface(QObject):
    """What a plugin touches of QgisInterface, recording menus, toolbar and docks
    (pytest-qgis's iface ignores them); everything else comes from pytest-qgis's."""

    def __init__(self, base):
        super().__init__()
        self._base = base
        self.window = QMainWindow()
        self.window.setObjectName("QgisApp")
        self.bar = QgsMessageBar(self.window)
        self.menus = {}
        self.toolbar = []
        self.docks = []

    def mainWindow(self):  # noqa: N802
        return self.window

    def messageBar(self):  # noqa: N802
        return self.bar

    def addPluginToMenu(self, name, action):  # noqa: N802
        self.menus.setdefault(name, []).append(action)

    def removePluginMenu(self, name, action):  # noqa: N802
        self.menus[name].remove(action)
        if not self.menus[name]:
            del self.menus[name]

    def addToolBarIcon(self, action):  # noqa: N802
        self.toolbar.append(action)

    def removeToolBarIcon(self, action):  # noqa: N802
        self.toolbar.remove(action)

    def addDockWidget(self, area, dock):  # noqa: N802
        self.window.addDockWidget(area, dock)
        self.docks.append(dock)

    def removeDockWidget(self, dock):  # noqa: N802
        self.window.removeDockWidget(dock)
        self.docks.remove(dock)

    def __getattr__(self, name):
        return getattr(self._base, name)


@pytest.fixture
def qgis_utils(qgis_app, qgis_iface, monkeypatch):
    """qgis.utils with our iface, the build/plugins path, and every Python error
    (which QGIS would show as a traceback dialog or message) recorded instead."""
    import qgis.utils

    iface = RecordingIface(qgis_iface)
    errors = []
    monkeypatch.setattr(qgis.utils, "iface", iface)
    monkeypatch.setattr(qgis.utils, "open_stack_dialog", lambda *args, **kw: errors.append(args))
    if PLUGINS_DIR not in qgis.utils.plugin_paths:
        monkeypatch.setattr(qgis.utils, "plugin_paths", [*qgis.utils.plugin_paths, PLUGINS_DIR])
    if "geopin" not in qgis.utils.available_plugins:
        monkeypatch.setattr(qgis.utils, "available_plugins", [*qgis.utils.available_plugins, "geopin"])

    def on_log(message, tag, level):
        if tag in ("Python error", "Python warning"):
            errors.append((tag, message))

    QgsApplication.messageLog().messageReceived.connect(on_log)
    # Start from a clean slate: modules imported by other tests bypassed QGIS's import hook.
    for name in [m for m in sys.modules if m == "geopin" or m.startswith("geopin.")]:
        del sys.modules[name]
    yield qgis.utils, iface, errors
    QgsApplication.messageLog().messageReceived.disconnect(on_log)
    if qgis.utils.isPluginLoaded("geopin"):
        qgis.utils.unloadPlugin("geopin")


def geopin_modules():
    return sorted(m for m in sys.modules if m == "geopin" or m.startswith("geopin."))


def is_bare_package(module):
    names = [n for n in vars(module) if not n.startswith("__")]
    return hasattr(module, "__path__") and all(isinstance(getattr(module, n), type(sys)) for n in names)


def assert_loaded(utils, iface):
    assert utils.isPluginLoaded("geopin")
    provider = QgsApplication.processingRegistry().providerById("geopin")
    assert provider is not None, "initProcessing() did not register the provider"
    assert provider.name() == "GeoPin"
    names = {a.objectName() for a in iface.toolbar}
    assert names == {"geopinToggleDock"}
    menu = iface.menus["&GeoPin"]
    assert {a.objectName() for a in menu} == {"geopinToggleDock", "geopinInstallDeps", "geopinModels"}
    toggle = next(a for a in menu if a.objectName() == "geopinToggleDock")
    assert toggle.isCheckable() and toggle.text()
    return utils.plugins["geopin"]


def assert_unloaded(utils, iface):
    assert not utils.isPluginLoaded("geopin")
    assert QgsApplication.processingRegistry().providerById("geopin") is None
    assert iface.menus == {} and iface.toolbar == [] and iface.docks == []
    # QGIS purges the modules its import hook recorded; parent packages reached only
    # through relative imports are not recorded, so allow empty package __init__s.
    stale = [m for m in geopin_modules() if not is_bare_package(sys.modules[m])]
    assert stale == [], "modules left behind after unload (reload would use stale code)"
    import logging

    assert not [h for h in logging.getLogger("geopin").handlers if type(h).__name__ == "QgsMessageLogHandler"]


def test_load_unload_reload_twice(qgis_utils):
    utils, iface, errors = qgis_utils
    for _ in range(2):
        assert utils.loadPlugin("geopin")
        assert utils.startPlugin("geopin")
        assert_loaded(utils, iface)
        QCoreApplication.processEvents()  # runs the deferred dependency check
        assert utils.reloadPlugin("geopin")  # what Plugin Reloader does
        assert_loaded(utils, iface)
        assert utils.unloadPlugin("geopin")
        assert_unloaded(utils, iface)
    assert errors == []


def test_processing_only_start_like_qgis_process(qgis_utils):
    utils, iface, errors = qgis_utils
    assert utils.loadPlugin("geopin")
    assert utils.startProcessingPlugin("geopin")
    assert QgsApplication.processingRegistry().providerById("geopin") is not None
    assert iface.toolbar == [] and iface.menus == {}
    assert utils.unloadPlugin("geopin")
    assert QgsApplication.processingRegistry().providerById("geopin") is None
    assert errors == []


@pytest.mark.skipif(not HAS_DOCK, reason="geopin_plugin/gui/dock.py (issue 5) not written yet")
def test_toolbar_button_toggles_dock_and_unload_removes_it(qgis_utils):
    utils, iface, errors = qgis_utils
    assert utils.loadPlugin("geopin") and utils.startPlugin("geopin")
    plugin = utils.plugins["geopin"]
    plugin.toggle_action.trigger()
    QCoreApplication.processEvents()
    assert len(iface.docks) == 1
    dock = iface.docks[0]
    assert type(dock).__name__ == "GeoPinDock" and dock.windowTitle()
    assert not dock.isHidden()
    plugin.toggle_action.trigger()
    assert dock.isHidden() and not plugin.toggle_action.isChecked()
    plugin.toggle_action.trigger()
    assert not dock.isHidden() and iface.docks == [dock]
    assert utils.unloadPlugin("geopin")
    assert_unloaded(utils, iface)
    assert errors == []


def test_missing_dependency_warns_and_algorithms_refuse_to_run(qgis_utils, monkeypatch):
    utils, iface, errors = qgis_utils
    assert utils.loadPlugin("geopin")
    deps = __import__("geopin.geopin_plugin.deps", fromlist=["REQUIRED"])  # via QGIS's import hook
    monkeypatch.setitem(deps.REQUIRED, "geopin_no_such_module", "geopin-no-such-package")
    assert utils.startPlugin("geopin")
    plugin = utils.plugins["geopin"]
    assert plugin.check_dependencies() == ["geopin-no-such-package"]
    QCoreApplication.processEvents()
    item = iface.bar.currentItem()
    assert item is not None and "geopin-no-such-package" in item.text()  # message bar, not a dialog

    provider = QgsApplication.processingRegistry().providerById("geopin")
    provider_module = sys.modules["geopin.processing.provider"]
    written = [m for m, _ in provider_module.ALGORITHMS if os.path.exists(os.path.join(REPO, "processing", m + ".py"))]
    algorithms = provider.algorithms()
    assert len(algorithms) == len(written), "algorithms must stay listed when dependencies are missing"

    base = __import__("geopin.processing.base", fromlist=["GeoPinAlgorithm"])

    class Probe(base.GeoPinAlgorithm):
        def name(self):
            return "probe"

        def displayName(self):  # noqa: N802
            return "probe"

        def initAlgorithm(self, config=None):  # noqa: N802
            pass

        def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
            return {}

    for alg in [*algorithms, Probe()]:
        ok, message = alg.canExecute()
        assert ok is False
        assert "geopin-no-such-package" in message and "Install dependencies" in message
    monkeypatch.delitem(deps.REQUIRED, "geopin_no_such_module")
    assert all(alg.canExecute() == (True, "") for alg in [*algorithms, Probe()])
    assert utils.unloadPlugin("geopin")
    assert errors == []


def test_class_factory_is_light():
    """classFactory and the provider start (what QGIS runs at start-up) import no
    torch, onnxruntime, cv2 or hnswlib: those load when an algorithm or the dock runs."""
    code = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {PLUGINS_DIR!r})
        from qgis.core import QgsApplication
        from qgis.PyQt.QtWidgets import QMainWindow
        app = QgsApplication([], True)
        app.initQgis()
        HEAVY = ("torch", "onnxruntime", "cv2", "hnswlib", "kornia")
        class Iface:
            def __init__(self): self.w = QMainWindow()
            def mainWindow(self): return self.w
            def __getattr__(self, name): return lambda *a, **k: None
        import geopin
        plugin = geopin.classFactory(Iface())
        after_factory = sorted(m for m in sys.modules if m.split(".")[0] in HEAVY)
        plugin.initProcessing()
        after_provider = sorted(m for m in sys.modules if m.split(".")[0] in HEAVY)
        print("FACTORY", after_factory)
        print("PROVIDER", after_provider)
        """
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/", env=env, timeout=120)
    assert "FACTORY" in result.stdout, result.stdout + result.stderr
    assert "FACTORY []" in result.stdout, result.stdout
    assert "PROVIDER []" in result.stdout, result.stdout


def test_missing_qgis_provided_package_gets_a_system_hint(qgis_app, monkeypatch):
    from geopin.geopin_plugin import deps

    monkeypatch.setitem(deps.FROM_QGIS, "geopin_no_such_numpy", "scipy")
    assert "scipy" in deps.missing()
    message = deps.missing_message(["hnswlib", "scipy"])
    assert "Install hnswlib from the menu" in message
    assert "scipy normally come with QGIS" in message and "python3-scipy" in message
    assert "Install dependencies" not in deps.missing_message(["scipy"])


def test_install_action_opens_non_modal_installer_and_unload_closes_it(qgis_utils):
    utils, iface, errors = qgis_utils
    assert utils.loadPlugin("geopin") and utils.startPlugin("geopin")
    plugin = utils.plugins["geopin"]
    plugin.install_action.trigger()
    dialog = plugin.installer
    assert dialog is not None and dialog.isVisible() and not dialog.isModal()
    assert dialog.windowTitle() and dialog.install_button.isEnabled()
    plugin.install_action.trigger()
    assert plugin.installer is dialog  # one dialog, raised again
    assert utils.unloadPlugin("geopin")
    assert not dialog.isVisible()
    assert_unloaded(utils, iface)
    assert errors == []
