"""The candidates layer's "Show matches" action (result_styles.ACTION_CODE) lands
here: find the dock that holds the photo's result in memory and open its match
viewer on that candidate."""
from qgis.core import QgsProject

from ..i18n import tr

DOCKS = []  # open GeoPin docks (the plugin has one; tests may make more)


def register_dock(dock):
    if dock not in DOCKS:
        DOCKS.append(dock)


def unregister_dock(dock):
    if dock in DOCKS:
        DOCKS.remove(dock)


def open_match_viewer(layer_id, feature_id):
    layer = QgsProject.instance().mapLayer(layer_id)
    if layer is None:
        return None
    feature = layer.getFeature(int(feature_id))
    if not feature.isValid():
        return None
    for dock in list(DOCKS):
        viewer = dock.show_matches_for(feature["photo"], int(feature["rank"]))
        if viewer is not None:
            return viewer
    message = tr("The matches of {0} are no longer in memory: locate the photo again in the GeoPin dock.").format(
        feature["photo_name"])
    for dock in DOCKS:
        dock.notify(message, warning=True)
    return None
