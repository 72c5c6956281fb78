"""Write the result-layer styles to resources/styles/*.qml with QGIS's own API
(so the files are valid QML for this QGIS), run once after changing a style:

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/make_styles.py
"""
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "build" / "plugins"))
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO]
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (  # noqa: E402
    QgsApplication,
    QgsCategorizedSymbolRenderer,
    QgsFillSymbol,
    QgsGraduatedSymbolRenderer,
    QgsMapUnitScale,
    QgsMarkerSymbol,
    QgsPalLayerSettings,
    QgsProperty,
    QgsRendererCategory,
    QgsRendererRange,
    QgsSingleSymbolRenderer,
    QgsSimpleMarkerSymbolLayer,
    QgsSimpleMarkerSymbolLayerBase,
    QgsSymbolLayer,
    QgsTextBufferSettings,
    QgsTextFormat,
    QgsUnitTypes,
    QgsVectorLayer,
    QgsVectorLayerSimpleLabeling,
)
from qgis.PyQt.QtCore import Qt  # noqa: E402
from qgis.PyQt.QtGui import QColor  # noqa: E402

STAR_MM = 6.0  # the estimate's star; its error circle is never drawn smaller


def candidates_style(layer):
    # graduated by similarity (cool -> warm); verified candidates drawn larger, by inliers
    breaks = [(0.0, 0.3, "#3b4cc0"), (0.3, 0.45, "#7b9ff9"), (0.45, 0.6, "#c0d4f5"),
              (0.6, 0.75, "#f7a889"), (0.75, 1.01, "#b40426")]
    ranges = []
    for lo, hi, colour in breaks:
        sym = QgsMarkerSymbol.createSimple({"name": "circle", "color": colour, "outline_color": "#222222",
                                            "outline_width": "0.2"})
        sym.symbolLayer(0).setDataDefinedProperty(
            QgsSymbolLayer.PropertySize,
            QgsProperty.fromExpression('if("verified", 3.0 + min("inliers", 200) / 40.0, 2.0)'))
        sym.symbolLayer(0).setDataDefinedProperty(
            QgsSymbolLayer.PropertyStrokeWidth, QgsProperty.fromExpression('if("verified", 0.6, 0.2)'))
        ranges.append(QgsRendererRange(lo, hi, sym, f"similarity {lo:.2f}–{min(hi, 1.0):.2f}"))
    renderer = QgsGraduatedSymbolRenderer("similarity", ranges)
    renderer.setOrderByEnabled(False)
    layer.setRenderer(renderer)


def estimates_style(layer):
    # the error circle: 2 * error_radius_m across in map units (the layer CRS is metres),
    # never smaller than the star. The legend has no feature, so it draws the static size 0
    # at that mm floor, the same at every scale (a buffer geometry generator's swatch was
    # its whole fill symbol, as large as the layer tree allows).
    circle = QgsSimpleMarkerSymbolLayer(QgsSimpleMarkerSymbolLayerBase.Circle, 0.0)
    circle.setSizeUnit(QgsUnitTypes.RenderMapUnits)
    floor = QgsMapUnitScale()
    floor.minSizeMMEnabled = True
    floor.minSizeMM = STAR_MM
    circle.setSizeMapUnitScale(floor)
    circle.setDataDefinedProperty(QgsSymbolLayer.PropertySize, QgsProperty.fromExpression('2 * "error_radius_m"'))
    circle.setStrokeStyle(Qt.DashLine)
    circle.setStrokeWidth(0.5)
    sym = QgsMarkerSymbol()
    sym.deleteSymbolLayer(0)
    sym.appendSymbolLayer(circle)
    pin = QgsSimpleMarkerSymbolLayer(QgsSimpleMarkerSymbolLayerBase.Star, STAR_MM)
    pin.setColor(QColor("#e6007e"))
    pin.setStrokeColor(QColor("#ffffff"))
    pin.setStrokeWidth(0.4)
    sym.appendSymbolLayer(pin)
    categories = []
    for value, colour, label in (("confident", "#e6007e", "confident"), ("uncertain", "#f39c12", "uncertain"),
                                 ("no match", "#7f8c8d", "no match")):
        s = sym.clone()
        s.symbolLayer(1).setColor(QColor(colour))
        s.symbolLayer(0).setStrokeColor(QColor(colour))
        c = QColor(colour)
        c.setAlpha(45)
        s.symbolLayer(0).setColor(c)
        categories.append(QgsRendererCategory(value, s, label))
    layer.setRenderer(QgsCategorizedSymbolRenderer("label", categories))
    settings = QgsPalLayerSettings()
    # the translated label and locale numbers (format_number follows the QGIS locale)
    settings.fieldName = ("\"label_text\" || ' ' || format_number(\"confidence\", 2) || '  ±' || "
                          "format_number(\"error_radius_m\", 0) || ' m'")
    settings.isExpression = True
    fmt = QgsTextFormat()
    fmt.setSize(9)
    buf = QgsTextBufferSettings()
    buf.setEnabled(True)
    buf.setSize(1.0)
    fmt.setBuffer(buf)
    settings.setFormat(fmt)
    settings.placement = QgsPalLayerSettings.OverPoint
    settings.yOffset = -4.0
    layer.setLabeling(QgsVectorLayerSimpleLabeling(settings))
    layer.setLabelsEnabled(True)


def footprints_style(layer):
    categories = []
    for level, colour, alpha in ((0.9, "#ff9f1c", 50), (0.5, "#e6007e", 80)):
        c = QColor(colour)
        c.setAlpha(alpha)
        sym = QgsFillSymbol.createSimple({"color": f"{c.red()},{c.green()},{c.blue()},{alpha}",
                                          "outline_color": colour, "outline_width": "0.4"})
        categories.append(QgsRendererCategory(level, sym, f"{int(level * 100)} % region"))
    layer.setRenderer(QgsCategorizedSymbolRenderer("level", categories))


def coverage_style(layer):
    # the reference database's views: small, quiet dots under the results
    sym = QgsMarkerSymbol.createSimple({"name": "circle", "color": "44,127,184,200", "outline_color": "#ffffff",
                                        "outline_width": "0.2", "size": "1.6", "size_unit": "MM"})
    layer.setRenderer(QgsSingleSymbolRenderer(sym))


def viewcones_style(layer):
    # where the camera looked: a translucent teal wedge, apart from the magenta/orange
    # footprints it overlaps and from the candidates' blue-red ramp
    sym = QgsFillSymbol.createSimple({"color": "0,150,170,60", "outline_color": "#007a8a", "outline_width": "0.5"})
    layer.setRenderer(QgsSingleSymbolRenderer(sym))


def track_style(layer):
    # an album's track: a dark line with an arrow at the middle of every leg (capture order)
    from qgis.core import QgsLineSymbol, QgsMarkerLineSymbolLayer

    sym = QgsLineSymbol.createSimple({"line_color": "#5b2c6f", "line_width": "0.6", "line_style": "dash"})
    arrows = QgsMarkerLineSymbolLayer(True)
    arrows.setPlacement(QgsMarkerLineSymbolLayer.SegmentCenter)
    head = QgsMarkerSymbol.createSimple({"name": "filled_arrowhead", "color": "#5b2c6f", "outline_color": "#ffffff",
                                         "outline_width": "0.2", "size": "3.2"})
    arrows.setSubSymbol(head)
    sym.appendSymbolLayer(arrows)
    layer.setRenderer(QgsSingleSymbolRenderer(sym))


def coverage_fields():
    from qgis.core import QgsField, QgsFields
    from qgis.PyQt.QtCore import QVariant

    fields = QgsFields()
    for name in ("source", "capture_time", "attribution", "licence"):
        fields.append(QgsField(name, QVariant.String))
    return fields


def main():
    app = QgsApplication([], False)
    app.initQgis()
    from geopin.geopin_plugin import result_layers as rl, result_styles
    from geopin.geopin_plugin.album_layers import track_fields

    out = Path(result_styles.STYLES_DIR)
    out.mkdir(parents=True, exist_ok=True)
    for kind, geometry, fields, styler in (
        ("candidates", "Point", rl.candidate_fields(), candidates_style),
        ("estimates", "Point", rl.estimate_fields(), estimates_style),
        ("footprints", "MultiPolygon", rl.footprint_fields(), footprints_style),
        ("coverage", "Point", coverage_fields(), coverage_style),
        ("viewcones", "Polygon", rl.viewcone_fields(), viewcones_style),
        ("track", "LineString", track_fields(), track_style),
    ):
        layer = QgsVectorLayer(f"{geometry}?crs=EPSG:28992", kind, "memory")
        layer.dataProvider().addAttributes(fields.toList())
        layer.updateFields()
        styler(layer)
        if kind == "footprints":
            layer.setOpacity(1.0)
        path = result_styles.style_path(kind)
        msg, ok = layer.saveNamedStyle(path)
        print(path, "ok" if ok else msg)
    app.exitQgis()


if __name__ == "__main__":
    main()
