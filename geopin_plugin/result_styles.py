"""How GeoPin's result layers look: the .qml styles in resources/styles/ (written by
scripts/make_styles.py), legend texts in the user's language with locale numbers,
map tips with thumbnails and the "Show matches" action. The estimate's error circle is
sized in map units with a mm floor, so its legend swatch is the same at every scale."""
import os

from qgis.core import (
    QgsAction,
    QgsColorRampShader,
    QgsMarkerSymbol,
    QgsRasterBandStats,
    QgsRasterShader,
    QgsRendererCategory,
    QgsSingleBandPseudoColorRenderer,
    QgsStyle,
)

from .i18n import label_text, number, tr

PLUGIN_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STYLES_DIR = os.path.join(PLUGIN_ROOT, "resources", "styles")
STYLE_FILES = {
    "candidates": "geopin_candidates.qml",
    "estimates": "geopin_estimates.qml",
    "footprints": "geopin_footprints.qml",
    "coverage": "geopin_coverage.qml",
    "viewcones": "geopin_viewcones.qml",
    "track": "geopin_track.qml",  # album tracks (processing/album_step.py)
    "parcels": "geopin_parcels.qml",  # what is in view (parcel_layers.py)
    "buildings": "geopin_buildings.qml",
    "addresses": "geopin_addresses.qml",
}
# An action's Python runs in QGIS's console namespace: import our package by its real name
# (the plugin folder's name, "geopin" when installed) and pass the layer and feature id.
ACTION_CODE = ("from {package}.gui import match_actions\n"
               "match_actions.open_match_viewer('[% @layer_id %]', [% $id %])")
FILE_URL = "'file://' || if(left({0}, 1) = '/', '', '/') || replace({0}, '\\\\', '/')"


def style_path(kind):
    return os.path.join(STYLES_DIR, STYLE_FILES[kind])


def apply_style(layer, kind):
    """Load resources/styles/geopin_<kind>.qml (vectors) or the heat ramp (posterior),
    then put the legend in the user's language and add the map tip and actions."""
    if kind == "posterior":
        return style_posterior(layer)
    path = style_path(kind)
    if not os.path.exists(path):
        return False
    _, ok = layer.loadNamedStyle(path)
    translate_legend(layer, kind)
    set_map_tip(layer, kind)
    if kind == "candidates":
        add_match_action(layer)
    layer.triggerRepaint()
    return bool(ok)


def _similarity_range_label(lower, upper):
    return tr("similarity {0}–{1}").format(number(lower, 2), number(min(upper, 1.0), 2))


def translate_legend(layer, kind):
    """The .qml files hold English class labels; write them in the user's language."""
    renderer = layer.renderer()
    if renderer is None:
        return
    if kind == "estimates" and renderer.type() == "categorizedSymbol":
        for i, category in enumerate(renderer.categories()):
            if category.value() == ERROR_CIRCLE:
                renderer.updateCategoryLabel(i, error_circle_text())
            else:
                renderer.updateCategoryLabel(i, label_text(str(category.value())))
        add_error_circle_legend(renderer)
    elif kind == "footprints" and renderer.type() == "categorizedSymbol":
        for i, category in enumerate(renderer.categories()):
            renderer.updateCategoryLabel(i, tr("{0} % region").format(number(float(category.value()) * 100, 0)))
    elif kind == "candidates" and renderer.type() == "graduatedSymbol":
        for i, rng in enumerate(renderer.ranges()):
            renderer.updateRangeLabel(i, _similarity_range_label(rng.lowerValue(), rng.upperValue()))


ERROR_CIRCLE = "error circle"  # a legend-only category: no estimate has this label


def error_circle_text():
    """The error radius holds PosteriorConfig.error_mass (68 %) of the posterior's mass."""
    from .engine.estimate.posterior import PosteriorConfig

    return tr("dashed circle: the camera stood inside it with {0} % probability").format(
        number(PosteriorConfig().error_mass * 100, 0))


def add_error_circle_legend(renderer):
    """A legend entry that says what the dashed circle around an estimate means."""
    if any(category.value() == ERROR_CIRCLE for category in renderer.categories()):
        return None
    symbol = QgsMarkerSymbol.createSimple({"name": "circle", "size": "5", "color": "0,0,0,0",
                                           "outline_color": "#555555", "outline_style": "dash",
                                           "outline_width": "0.5"})
    category = QgsRendererCategory(ERROR_CIRCLE, symbol, error_circle_text())
    renderer.addCategory(category)
    return category


def style_unlocated_candidates(layer):
    """Candidates of a photo that was not located: small grey dots (the similarity colours
    would make the strongest of them look like an answer)."""
    from qgis.core import QgsRuleBasedRenderer

    symbol = QgsMarkerSymbol.createSimple({"name": "circle", "size": "2", "color": "#9e9e9e",
                                           "outline_color": "#555555", "outline_width": "0.2"})
    root = QgsRuleBasedRenderer.Rule(None)
    root.appendChild(QgsRuleBasedRenderer.Rule(symbol, 0, 0, "", tr("not located: candidates only")))
    renderer = QgsRuleBasedRenderer(root)
    layer.setRenderer(renderer)
    layer.triggerRepaint()
    return renderer


def map_tip_template(kind):
    """HTML map tips: the reference (candidates) or the query photo (estimate) as a thumbnail."""
    if kind == "candidates":
        return ("<b>#[% \"rank\" %]</b> · [% \"source\" %] · [% \"capture_time\" %]<br>"
                + tr("similarity") + " [% format_number(\"similarity\", 3) %] · [% \"inliers\" %] "
                + tr("inliers") + "<br><img src=\"[% " + FILE_URL.format('"ref_image"') + " %]\" width=\"240\">"
                + "<br><small>[% \"attribution\" %]</small>")
    if kind == "estimates":
        return ("<b>[% \"photo_name\" %]</b>: [% \"label_text\" %] · " + tr("confidence")
                + " [% format_number(\"confidence\", 2) %]<br><img src=\"[% "
                + FILE_URL.format('"photo"') + " %]\" width=\"240\">")
    if kind == "viewcones":
        return ("<b>[% \"photo_name\" %]</b>: " + tr("camera heading")
                + " [% format_number(\"heading_deg\", 0) %]° ± [% format_number(\"heading_sd_deg\", 0) %]° · "
                + tr("field of view") + " [% format_number(\"fov_deg\", 0) %]°<br>" + tr("heading pinned by")
                + " [% \"pinned_ref\" %]")
    if kind == "coverage":
        return ("<b>[% \"source\" %]</b> · [% \"capture_time\" %]<br>" + tr("view")
                + " [% $id %] · [% \"attribution\" %]")
    return ""


def set_map_tip(layer, kind):
    template = map_tip_template(kind)
    if template:
        layer.setMapTipTemplate(template)
        layer.setDisplayExpression('"photo_name"' if kind in ("estimates", "viewcones") else '"source"')


def add_match_action(layer):
    """A feature action on the candidates: open the match viewer for that candidate."""
    manager = layer.actions()
    title = tr("Show matches")
    for action in manager.actions():
        if action.name() == title:
            return action
    package = __name__.rsplit(".", 1)[0]
    action = QgsAction(QgsAction.GenericPython, title, ACTION_CODE.format(package=package), "", False, title,
                       {"Feature", "Canvas"})
    manager.addAction(action)
    return action


def style_posterior(layer):
    """A heat ramp from transparent (low) to red/yellow (high) over the layer's values."""
    provider = layer.dataProvider()
    stats = provider.bandStatistics(1, QgsRasterBandStats.Max)
    vmax = float(stats.maximumValue) if stats.maximumValue > 0 else 1.0
    ramp = QgsStyle.defaultStyle().colorRamp("Magma") or QgsStyle.defaultStyle().colorRamp("Reds")
    fn = QgsColorRampShader(0.0, vmax)
    fn.setColorRampType(QgsColorRampShader.Interpolated)
    items = []
    steps = 8
    for i in range(steps + 1):
        value = vmax * i / steps
        color = ramp.color(1.0 - 0.9 * i / steps) if ramp is not None else None
        if color is None:
            continue
        color.setAlpha(0 if i == 0 else int(90 + 140 * i / steps))
        label = tr("{0} per km²").format(number(value * 1e6, 1))  # probability density, per km² to read easily
        items.append(QgsColorRampShader.ColorRampItem(value, color, label))
    fn.setColorRampItemList(items)
    shader = QgsRasterShader()
    shader.setRasterShaderFunction(fn)
    renderer = QgsSingleBandPseudoColorRenderer(provider, 1, shader)
    renderer.setClassificationMin(0.0)
    renderer.setClassificationMax(vmax)
    layer.setRenderer(renderer)
    layer.renderer().setOpacity(0.75)
    layer.triggerRepaint()
    return True
