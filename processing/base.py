"""Shared base for GeoPin algorithms: translation, group, dependency gate."""
import os

from qgis.core import QgsProcessingAlgorithm
from qgis.PyQt.QtCore import QUrl
from qgis.PyQt.QtGui import QIcon

from ..geopin_plugin import deps
from ..geopin_plugin.i18n import tr

PLUGIN_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ICON = os.path.join(PLUGIN_ROOT, "resources", "icon.svg")
README = os.path.join(PLUGIN_ROOT, "README.md")


class GeoPinAlgorithm(QgsProcessingAlgorithm):
    def tr(self, text):
        return tr(text)

    def createInstance(self):  # noqa: N802
        return type(self)()

    def icon(self):
        return QIcon(ICON)

    def group(self):
        return self.tr("Photo geolocation")

    def groupId(self):  # noqa: N802
        return "geolocation"

    def canExecute(self):  # noqa: N802
        missing = deps.missing()
        if missing:
            return False, deps.missing_message(missing)
        return True, ""

    def helpUrl(self):  # noqa: N802
        """The dialog's Help button: the README's section on the algorithms (offline)."""
        return QUrl.fromLocalFile(README).toString() + "#processing-algorithms"
