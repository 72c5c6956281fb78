"""Geolocation results as QGIS features and layers (EPSG:28992), shared by the
Processing algorithm and the dock: field definitions, features, the posterior
GeoTIFF and the styles in resources/styles/."""
import os
import tempfile

from qgis.core import (
    QgsColorRampShader,
    QgsCoordinateReferenceSystem,
    QgsFeature,
    QgsField,
    QgsFields,
    QgsGeometry,
    QgsPointXY,
    QgsProject,
    QgsRasterBandStats,
    QgsRasterLayer,
    QgsRasterShader,
    QgsSingleBandPseudoColorRenderer,
    QgsStyle,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QVariant

from .i18n import tr

RD_NEW = "EPSG:28992"
PLUGIN_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STYLES_DIR = os.path.join(PLUGIN_ROOT, "resources", "styles")
STYLE_FILES = {
    "candidates": "geopin_candidates.qml",
    "estimates": "geopin_estimates.qml",
    "footprints": "geopin_footprints.qml",
}


def rd_crs():
    return QgsCoordinateReferenceSystem(RD_NEW)


def _fields(spec):
    fields = QgsFields()
    for name, kind in spec:
        fields.append(QgsField(name, kind))
    return fields


def candidate_fields():
    return _fields([
        ("photo", QVariant.String), ("rank", QVariant.Int), ("retrieval_rank", QVariant.Int),
        ("similarity", QVariant.Double), ("inliers", QVariant.Int), ("verified", QVariant.Bool),
        ("weight", QVariant.Double), ("view_id", QVariant.LongLong), ("ref_image", QVariant.String),
        ("source", QVariant.String), ("pano_id", QVariant.String), ("heading", QVariant.Double),
        ("attribution", QVariant.String), ("dist_to_estimate", QVariant.Double),
    ])


def estimate_fields():
    return _fields([
        ("photo", QVariant.String), ("confidence", QVariant.Double), ("label", QVariant.String),
        ("error_radius_m", QVariant.Double), ("n_verified", QVariant.Int), ("n_candidates", QVariant.Int),
        ("lat", QVariant.Double), ("lon", QVariant.Double),
        ("exif_lat", QVariant.Double), ("exif_lon", QVariant.Double), ("exif_dist_m", QVariant.Double),
        ("seconds", QVariant.Double), ("error", QVariant.String),
    ])


def footprint_fields():
    return _fields([("photo", QVariant.String), ("level", QVariant.Double), ("area_m2", QVariant.Double)])


def _num(v):
    return None if v is None else float(v)


def candidate_features(photo, geo, fields=None):
    fields = fields or candidate_fields()
    out = []
    for c in geo.candidates:
        f = QgsFeature(fields)
        f.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(float(c.view.x), float(c.view.y))))
        v = c.view
        f.setAttributes([
            photo, int(c.rank), int(c.retrieval_rank), float(c.similarity), int(c.inliers), bool(c.verified),
            float(c.weight), int(v.view_id), v.view_image_path or v.image_path or "", v.source or "",
            v.pano_id or "", _num(v.heading), v.attribution or "", _num(c.distance_m),
        ])
        out.append(f)
    return out


def estimate_feature(photo, geo, fields=None):
    fields = fields or estimate_fields()
    f = QgsFeature(fields)
    if geo.x is not None:
        f.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(geo.x, geo.y)))
    f.setAttributes([
        photo, float(geo.confidence), geo.label, float(geo.error_radius_m), int(geo.n_verified),
        len(geo.candidates), _num(geo.lat), _num(geo.lon), _num(geo.exif_lat), _num(geo.exif_lon),
        _num(geo.exif_distance_m), float(sum(geo.timings.values())), geo.message or None,
    ])
    return f


def error_feature(photo, error, fields=None):
    """An estimate row without geometry for a photo that could not be processed."""
    fields = fields or estimate_fields()
    f = QgsFeature(fields)
    f.setAttributes([photo, 0.0, "error", None, 0, 0, None, None, None, None, None, None, error])
    return f


def ring_points(ring):
    return [QgsPointXY(float(x), float(y)) for x, y in ring]


def footprint_features(photo, geo, fields=None):
    """One multipolygon feature per HDR level (outer rings of every region)."""
    fields = fields or footprint_fields()
    out = []
    for level in sorted(geo.footprints, reverse=True):  # 90 % first, 50 % drawn on top
        rings = geo.footprints[level]
        if not rings:
            continue
        geom = QgsGeometry.fromMultiPolygonXY([[ring_points(r)] for r in rings])
        f = QgsFeature(fields)
        f.setGeometry(geom)
        f.setAttributes([photo, float(level), float(geom.area())])
        out.append(f)
    return out


def write_posterior_geotiff(path, grid, geotransform):
    """The posterior density (probability per m²) as a Float32 GeoTIFF in EPSG:28992."""
    from osgeo import gdal, osr

    rows, cols = grid.shape
    driver = gdal.GetDriverByName("GTiff")
    ds = driver.Create(str(path), cols, rows, 1, gdal.GDT_Float32, options=["COMPRESS=DEFLATE"])
    if ds is None:
        raise OSError(tr("Cannot write {0}").format(path))
    ds.SetGeoTransform(tuple(float(v) for v in geotransform))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(28992)
    ds.SetProjection(srs.ExportToWkt())
    band = ds.GetRasterBand(1)
    band.WriteArray(grid)
    band.SetNoDataValue(0.0)
    band.SetDescription("posterior density (1/m2)")
    ds.FlushCache()
    ds = None
    return str(path)


# --- styles -----------------------------------------------------------------------
def style_path(kind):
    return os.path.join(STYLES_DIR, STYLE_FILES[kind])


def apply_style(layer, kind):
    """Load resources/styles/geopin_<kind>.qml (vectors) or the heat ramp (posterior)."""
    if kind == "posterior":
        return style_posterior(layer)
    path = style_path(kind)
    if not os.path.exists(path):
        return False
    _, ok = layer.loadNamedStyle(path)
    layer.triggerRepaint()
    return bool(ok)


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
        items.append(QgsColorRampShader.ColorRampItem(value, color, f"{value:.2e}"))
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


# --- the dock's layers ---------------------------------------------------------------
def memory_layer(kind, geometry, name, fields, features):
    layer = QgsVectorLayer(f"{geometry}?crs={RD_NEW}", name, "memory")
    provider = layer.dataProvider()
    provider.addAttributes(fields.toList())
    layer.updateFields()
    provider.addFeatures(features)
    layer.updateExtents()
    apply_style(layer, kind)
    return layer


def geolocation_layers(photo, geo, posterior_dir=None):
    """Styled layers for one result: candidates, estimate, footprints (+ posterior raster)."""
    layers = []
    layers.append(memory_layer("estimates", "Point", tr("Estimate"), estimate_fields(), [estimate_feature(photo, geo)]))
    layers.append(memory_layer("candidates", "Point", tr("Candidates"), candidate_fields(),
                               candidate_features(photo, geo)))
    layers.append(memory_layer("footprints", "MultiPolygon", tr("Footprints"), footprint_fields(),
                               footprint_features(photo, geo)))
    if geo.posterior is not None and geo.posterior.size:
        folder = posterior_dir or tempfile.mkdtemp(prefix="geopin_")
        stem = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in os.path.splitext(photo)[0])[:60]
        path = write_posterior_geotiff(os.path.join(folder, f"posterior_{stem}.tif"), geo.posterior, geo.geotransform)
        raster = QgsRasterLayer(path, tr("Posterior"))
        if raster.isValid():
            style_posterior(raster)
            layers.append(raster)
    return layers


def add_geolocation_to_project(project, photo, geo, posterior_dir=None):
    """Add the result layers in a group "GeoPin: <photo>" at the top of the layer tree.
    The layers are in EPSG:28992; QGIS reprojects them on the fly to any project CRS."""
    project = project or QgsProject.instance()
    layers = geolocation_layers(photo, geo, posterior_dir)
    root = project.layerTreeRoot()
    group = root.insertGroup(0, tr("GeoPin: {0}").format(photo))
    for layer in layers:
        project.addMapLayer(layer, False)
        group.addLayer(layer)
    return layers
