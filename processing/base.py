"""Shared base for GeoPin algorithms: translation, group, dependency gate, and adding
a parameter with its help (shared parameter groups: params.py).

The dependency gate holds however an algorithm is run: the toolbox asks canExecute(),
processing.run() and qgis_process call checkParameterValues(), and a direct alg.run()
reaches prepareAlgorithm()/processAlgorithm(), which every subclass gets wrapped
(__init_subclass__): each raises a QgsProcessingException naming the missing
packages before any of the engine is imported."""
import functools
import os

from qgis.core import QgsProcessingAlgorithm, QgsProcessingException, QgsProcessingParameterDefinition
from qgis.PyQt.QtGui import QIcon

from ..geopin_plugin import deps
from ..geopin_plugin.i18n import tr

PLUGIN_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ICON = os.path.join(PLUGIN_ROOT, "resources", "icon.svg")


def missing_dependencies(required=None):
    """Pip names of the packages an algorithm needs and this QGIS lacks."""
    return deps.missing(required)


def _guarded(method):
    @functools.wraps(method)
    def run(self, *args, **kwargs):
        self.require_dependencies()
        return method(self, *args, **kwargs)
    run._geopin_guarded = True
    return run


class GeoPinAlgorithm(QgsProcessingAlgorithm):
    # import name -> pip name of what the algorithm needs; None: all of GeoPin's (deps.missing())
    dependencies = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in ("prepareAlgorithm", "processAlgorithm"):
            method = cls.__dict__.get(name)
            if method is not None and not getattr(method, "_geopin_guarded", False):
                setattr(cls, name, _guarded(method))

    def tr(self, text):
        return tr(text)

    def require_dependencies(self):
        missing = missing_dependencies(self.dependencies)
        if missing:
            raise QgsProcessingException(deps.missing_message(missing))

    def checkParameterValues(self, parameters, context):  # noqa: N802
        missing = missing_dependencies(self.dependencies)
        if missing:
            return False, deps.missing_message(missing)
        return super().checkParameterValues(parameters, context)

    def createInstance(self):  # noqa: N802
        return type(self)()

    def icon(self):
        return QIcon(ICON)

    def group(self):
        return self.tr("Photo geolocation")

    def groupId(self):  # noqa: N802
        return "geolocation"

    def canExecute(self):  # noqa: N802
        missing = missing_dependencies(self.dependencies)
        if missing:
            return False, deps.missing_message(missing)
        return True, ""

    def helpUrl(self):  # noqa: N802
        """The dialog's Help button: the README rendered to HTML (offline), at the algorithms."""
        from ..geopin_plugin.help import PROCESSING_SECTION, help_url

        return help_url(PROCESSING_SECTION).toString()

    @staticmethod
    def progress_for(feedback):
        """The engine's progress(stage, fraction, message) (engine/types.py) on the
        algorithm's feedback: every algorithm reports the engine's progress this way."""
        def progress(stage, fraction, message):
            feedback.setProgress(100.0 * fraction)
            if message:
                feedback.setProgressText(message)

        return progress

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
