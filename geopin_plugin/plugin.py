"""QGIS glue: provider, toolbar button and menu entries, dock panel, translator."""
import os

from qgis.core import Qgis, QgsApplication
from qgis.PyQt.QtCore import Qt, QTimer
from qgis.PyQt.QtGui import QIcon
from qgis.PyQt.QtWidgets import QAction, QPushButton

from . import deps, settings
from .i18n import install_translator, remove_translator, tr
from .log import get_logger, install_qgis_handler, remove_qgis_handler

PLUGIN_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ICON = os.path.join(PLUGIN_ROOT, "resources", "icon.svg")
MENU = "&GeoPin"
SHORTCUT = "Ctrl+Alt+G"  # show/hide the panel; changeable in Settings ▸ Keyboard Shortcuts


class GeoPinPlugin:
    def __init__(self, iface):
        self.iface = iface
        self.provider = None
        self.dock = None
        self.installer = None
        self.models_dialog = None
        self.check_timer = None
        self.deps_message = None  # the message bar item about missing packages
        self.actions = []  # (action, on toolbar too)
        self.log_handler = install_qgis_handler()
        self.translator = install_translator()
        deps.add_deps_dir_to_path()

    # Called by QGIS (and qgis_process) before initGui: the provider must live here.
    def initProcessing(self):  # noqa: N802
        from ..processing.provider import GeoPinProvider

        self.provider = GeoPinProvider()
        QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self):  # noqa: N802
        self.initProcessing()
        self.toggle_action = QAction(QIcon(ICON), tr("GeoPin photo geolocation"), self.iface.mainWindow())
        self.toggle_action.setObjectName("geopinToggleDock")
        self.toggle_action.setCheckable(True)
        self.toggle_action.toggled.connect(self.set_dock_visible)
        self.toggle_action.setToolTip(tr("Show or hide the GeoPin panel ({0})").format(SHORTCUT))
        if hasattr(self.iface, "registerMainWindowAction"):  # QGIS's shortcut manager lists it
            self.iface.registerMainWindowAction(self.toggle_action, SHORTCUT)
        self.iface.addToolBarIcon(self.toggle_action)
        self.iface.addPluginToMenu(MENU, self.toggle_action)

        self.install_action = QAction(tr("Install dependencies…"), self.iface.mainWindow())
        self.install_action.setObjectName("geopinInstallDeps")
        self.install_action.triggered.connect(self.show_installer)
        self.iface.addPluginToMenu(MENU, self.install_action)
        self.models_action = QAction(tr("Models…"), self.iface.mainWindow())
        self.models_action.setObjectName("geopinModels")
        self.models_action.triggered.connect(self.show_models)
        self.iface.addPluginToMenu(MENU, self.models_action)
        self.actions = [(self.toggle_action, True), (self.install_action, False), (self.models_action, False)]
        # Non-blocking: run the (cheap) check once the event loop is idle; a timer we
        # own, so an unload before it fires cancels it.
        self.check_timer = QTimer()
        self.check_timer.setSingleShot(True)
        self.check_timer.timeout.connect(self.check_dependencies)
        self.check_timer.start(0)
        if settings.value("dock_open"):  # it was open when QGIS closed
            self.toggle_action.setChecked(True)

    def check_dependencies(self):
        """Warn (once) with a short text and an "Install dependencies…" button; the full
        text goes to the GeoPin log. The warning goes away once nothing is missing."""
        missing = deps.missing()
        self._clear_deps_message()
        if missing:
            get_logger().warning("%s", deps.missing_message(missing))
            self._push_warning(tr("Missing Python packages: {0}.").format(", ".join(missing)),
                               tr("Install dependencies…"), "geopinDepsInstallBar", self.show_installer)
        else:
            self._warn_missing_models()
        if self.dock is not None:
            self.dock.refresh_dependencies()
        return missing

    def _warn_missing_models(self):
        """Models are checked at start too (their sha256 against the manifest), with a Models… button."""
        from .engine.model_install import missing_runtime

        models = missing_runtime()
        if models:
            self._push_warning(tr("Models missing: {0}.").format(", ".join(models)), tr("Models…"),
                               "geopinModelsBar", self.show_models)
        return models

    def _push_warning(self, text, button_text, button_name, slot):
        """A warning in the message bar with one fixing button; kept as the deps message."""
        bar = self.iface.messageBar()
        item = bar.createMessage("GeoPin", text)
        button = QPushButton(button_text, item)
        button.setObjectName(button_name)
        button.clicked.connect(slot)
        item.layout().addWidget(button)
        item.setLevel(Qgis.Warning)
        bar.pushItem(item)
        self.deps_message = item

    def _clear_deps_message(self):
        if self.deps_message is not None:
            try:
                self.iface.messageBar().popWidget(self.deps_message)
            except RuntimeError:  # already closed by the user
                pass
            self.deps_message = None

    def show_installer(self):
        """Non-modal: QGIS stays usable while pip runs."""
        from .gui.install_dialog import InstallDependenciesDialog

        if self.installer is None:
            self.installer = InstallDependenciesDialog(self.iface.mainWindow())
            self.installer.installFinished.connect(self.installation_finished)
        self.installer.show()
        self.installer.raise_()
        self.installer.activateWindow()

    def show_models(self):
        from .gui.models_dialog import ModelsDialog

        if self.models_dialog is None:
            self.models_dialog = ModelsDialog(self.iface.mainWindow())
            self.models_dialog.changed.connect(lambda: self.dock is not None and self.dock.refresh_dependencies())
        self.models_dialog.refresh()
        self.models_dialog.show()
        self.models_dialog.raise_()
        return self.models_dialog

    def installation_finished(self, ok):
        if ok:
            self.iface.messageBar().pushSuccess("GeoPin", tr("Python dependencies installed."))
        self.check_dependencies()

    def set_dock_visible(self, visible):
        if visible and self.dock is None:
            from .gui.dock import GeoPinDock

            self.dock = GeoPinDock(self.iface, self.iface.mainWindow())
            self.dock.visibilityChanged.connect(self.toggle_action.setChecked)
            self.dock.visibilityChanged.connect(self.remember_dock)
            self.dock.install_requested.connect(self.show_installer)
            self.iface.addDockWidget(Qt.RightDockWidgetArea, self.dock)
        if self.dock is not None:
            self.dock.setVisible(visible)

    def remember_dock(self, visible):
        """The user opened or closed the panel (not QGIS closing its window)."""
        window = self.iface.mainWindow()
        if window is not None and window.isVisible():
            settings.set_value("dock_open", bool(visible))

    def unload(self):
        self._clear_deps_message()
        if hasattr(self.iface, "unregisterMainWindowAction") and self.actions:
            self.iface.unregisterMainWindowAction(self.toggle_action)
        if self.check_timer is not None:
            self.check_timer.stop()
            self.check_timer = None
        if self.models_dialog is not None:
            self.models_dialog.deleteLater()
            self.models_dialog = None
        if self.installer is not None:
            self.installer.reject()  # stops a running pip
            self.installer.deleteLater()
            self.installer = None
        for action, on_toolbar in self.actions:
            self.iface.removePluginMenu(MENU, action)
            if on_toolbar:
                self.iface.removeToolBarIcon(action)
            action.deleteLater()
        self.actions = []
        if self.dock is not None:
            self.dock.visibilityChanged.disconnect(self.remember_dock)  # unloading is not closing the panel
            self.iface.removeDockWidget(self.dock)
            self.dock.close_and_cleanup()
            self.dock.deleteLater()
            self.dock = None
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
        remove_translator(self.translator)
        remove_qgis_handler(self.log_handler)
