"""The "geopin" Processing provider, registered in initProcessing()."""
from qgis.core import QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

from ..geopin_plugin.i18n import tr
from ..geopin_plugin.log import get_logger
from .base import ICON

# (module, class): one module per algorithm, imported lazily so the provider stays light.
ALGORITHMS = [
    ("build_reference_database", "BuildReferenceDatabase"),
    ("geolocate_photos", "GeolocatePhotos"),
    ("import_street_imagery", "ImportStreetImagery"),
    ("evaluate", "Evaluate"),
    ("what_is_in_view", "WhatIsInView"),
]


def algorithm_classes():
    classes = []
    for module_name, class_name in ALGORITHMS:
        try:
            # The equivalent of `from .module import Class`: it goes through
            # builtins.__import__, which QGIS hooks to record the plugin's modules
            # so that unloading/reloading the plugin purges them (importlib would not).
            module = __import__(module_name, globals(), None, [class_name], 1)
            classes.append(getattr(module, class_name))
        except Exception:  # an exception escaping loadAlgorithms would abort QGIS
            get_logger("provider").exception("Could not load algorithm %s", module_name)
    return classes


class GeoPinProvider(QgsProcessingProvider):
    def id(self):
        return "geopin"

    def name(self):
        return "GeoPin"

    def longName(self):  # noqa: N802
        return tr("GeoPin photo geolocation")

    def icon(self):
        return QIcon(ICON)

    def loadAlgorithms(self):  # noqa: N802
        for cls in algorithm_classes():
            self.addAlgorithm(cls())
