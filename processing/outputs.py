"""Outputs loaded into the project: styled from resources/styles/ (result_styles.py),
named, and moved into a "GeoPin: <photo>" group like the dock's results."""
from qgis.core import QgsProcessingLayerPostProcessorInterface, QgsProcessingOutputLayerDefinition, QgsProperty

from ..geopin_plugin.log import get_logger
from ..geopin_plugin.result_layers import KIND_PROPERTY
from ..geopin_plugin.result_styles import apply_style

# Post-processors must outlive processAlgorithm (QGIS keeps only a raw pointer).
_POST_PROCESSORS = []


class StyleLayer(QgsProcessingLayerPostProcessorInterface):
    """Style a loaded output and, given a group name, move it into that group."""

    def __init__(self, kind, group_name=""):
        super().__init__()
        self.kind = kind
        self.group_name = group_name

    def postProcessLayer(self, layer, context, feedback):  # noqa: N802
        try:
            apply_style(layer, self.kind)
            layer.setCustomProperty(KIND_PROPERTY, self.kind)  # what_is_in_view finds the estimates by it
            move_to_group(context.project(), layer, self.group_name)
        except Exception:  # a style problem must not fail the algorithm
            get_logger("processing").exception("Could not style the %s layer", self.kind)


def move_to_group(project, layer, group_name):
    """Processing has put the loaded layer in the tree; move it into `group_name`."""
    if project is None or not group_name:
        return None
    root = project.layerTreeRoot()
    node = root.findLayer(layer.id())
    if node is None:
        return None
    group = root.findGroup(group_name) or root.insertGroup(0, group_name)
    if node.parent() is group:
        return node
    moved = node.clone()
    group.addChildNode(moved)
    node.parent().removeChildNode(node)
    return moved


def style_on_load(context, dest_id, kind, layer_name="", group_name=""):
    """Style, name and group an output when Processing loads it into the project."""
    if dest_id and context.willLoadLayerOnCompletion(dest_id):
        post = StyleLayer(kind, group_name)
        _POST_PROCESSORS.append(post)
        del _POST_PROCESSORS[:-64]
        details = context.layerToLoadOnCompletionDetails(dest_id)
        details.setPostProcessor(post)
        if layer_name:
            details.name = layer_name
            if hasattr(details, "forceName"):  # a file output would otherwise keep its file name
                details.forceName = True


def destination_given(value):
    """Whether an optional output really has a destination: the batch dialog and models
    pass a definition with an empty sink for a skipped output."""
    if isinstance(value, QgsProcessingOutputLayerDefinition):
        value = value.sink
    if isinstance(value, QgsProperty):
        value = value.staticValue()
    return value not in (None, "") and str(value).strip() != ""
