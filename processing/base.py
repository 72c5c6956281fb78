"""Shared base for GeoPin algorithms: translation, group, dependency gate, and adding
a parameter with its help (shared parameter groups: params.py)."""
import os

from qgis.core import QgsProcessingAlgorithm, QgsProcessingException, QgsProcessingParameterDefinition
from qgis.PyQt.QtGui import QIcon

from ..geopin_plugin import deps
from ..geopin_plugin.i18n import tr

PLUGIN_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ICON = os.path.join(PLUGIN_ROOT, "resources", "icon.svg")


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
        """The dialog's Help button: the README rendered to HTML (offline), at the algorithms."""
        from ..geopin_plugin.help import PROCESSING_SECTION, help_url

        return help_url(PROCESSING_SECTION).toString()

    def add(self, parameter, help_text=None, advanced=False):
        """Add `parameter`, with its tooltip in the dialog and the Model Designer
        (setHelp: QGIS 3.16+) and under "Advanced parameters" when `advanced`."""
        if help_text and hasattr(parameter, "setHelp"):
            parameter.setHelp(help_text)
        if advanced:
            parameter.setFlags(parameter.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
        self.addParameter(parameter)

    def required_sink(self, parameters, name, context, fields, wkb_type, crs):
        """(sink, destination id) of a feature sink that must be created."""
        sink, dest_id = self.parameterAsSink(parameters, name, context, fields, wkb_type, crs)
        if sink is None:
            raise QgsProcessingException(self.invalidSinkError(parameters, name))
        return sink, dest_id
