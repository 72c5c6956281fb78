"""Shared base for GeoPin algorithms: translation, group, dependency gate."""
import os

from qgis.core import QgsProcessingAlgorithm
from qgis.PyQt.QtGui import QIcon

from ..geopin_plugin import deps
from ..geopin_plugin.i18n import tr

ICON = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "resources", "icon.svg")


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
