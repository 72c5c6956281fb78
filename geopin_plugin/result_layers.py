"""Geolocation results as QGIS features and layers (EPSG:28992), shared by the
Processing algorithm and the dock: field definitions, features, the posterior
GeoTIFF; styles, legends, map tips and actions are in result_styles.py.

A "no match" is not an answer: its estimate row has no geometry and no position,
and no footprints or posterior are written for it; its candidates are kept."""
import os
import tempfile

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsFeature,
    QgsField,
    QgsFields,
    QgsGeometry,
    QgsPointXY,
    QgsProject,
    QgsRasterLayer,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QVariant

from .i18n import label_text, number, tr
from .result_styles import apply_style, style_posterior, style_unlocated_candidates

RD_NEW = "EPSG:28992"


def is_located(geo):
    """An answer with a position to show: not "no match", not an empty search."""
    return geo.x is not None and geo.label != "no match"


def rd_crs():
    return QgsCoordinateReferenceSystem(RD_NEW)


def fields_from(spec):
    """QgsFields from [(name, QVariant type), ...]."""
    fields = QgsFields()
    for name, kind in spec:
        fields.append(QgsField(name, kind))
    return fields


def candidate_fields():
    return fields_from([
        ("photo", QVariant.String), ("photo_name", QVariant.String), ("rank", QVariant.Int),
        ("retrieval_rank", QVariant.Int),
        ("similarity", QVariant.Double), ("inliers", QVariant.Int), ("verified", QVariant.Bool),
        ("weight", QVariant.Double), ("view_id", QVariant.LongLong), ("ref_image", QVariant.String),
        ("source", QVariant.String), ("pano_id", QVariant.String), ("heading", QVariant.Double),
        ("capture_time", QVariant.String), ("licence", QVariant.String),
        ("attribution", QVariant.String), ("dist_to_estimate", QVariant.Double),
    ])


def estimate_fields():
    return fields_from([
        ("photo", QVariant.String), ("photo_name", QVariant.String), ("confidence", QVariant.Double),
        ("label", QVariant.String), ("label_text", QVariant.String),
        ("error_radius_m", QVariant.Double), ("n_verified", QVariant.Int), ("n_candidates", QVariant.Int),
        ("lat", QVariant.Double), ("lon", QVariant.Double),
        ("exif_lat", QVariant.Double), ("exif_lon", QVariant.Double), ("exif_dist_m", QVariant.Double),
        ("coverage_dist_m", QVariant.Double), ("seconds", QVariant.Double), ("error", QVariant.String),
        ("heading_deg", QVariant.Double), ("heading_sd_deg", QVariant.Double), ("position_method", QVariant.String),
        ("hfov_deg", QVariant.Double),
    ])


def footprint_fields():
    return fields_from([("photo", QVariant.String), ("photo_name", QVariant.String), ("level", QVariant.Double),
                    ("area_m2", QVariant.Double)])


def _num(v):
    return None if v is None else float(v)


def candidate_features(photo, geo, fields=None):
    """`photo` is the photo's full path (the `photo` field); its file name goes in `photo_name`."""
    fields = fields or candidate_fields()
    out = []
    for c in geo.candidates:
        f = QgsFeature(fields)
        f.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(float(c.view.x), float(c.view.y))))
        v = c.view
        f.setAttributes([
            photo, os.path.basename(photo), int(c.rank), int(c.retrieval_rank), float(c.similarity),
            int(c.inliers), bool(c.verified), float(c.weight), int(v.view_id), v.view_image_path or v.image_path or "",
            v.source or "", v.pano_id or "", _num(v.heading), getattr(v, "capture_time", None) or None,
            getattr(v, "licence", None) or None, v.attribution or "",
            _num(c.distance_m) if is_located(geo) else None,
        ])
        out.append(f)
    return out


def estimate_feature(photo, geo, fields=None, coverage_m=None):
    """One row per photo; a point only when located. `coverage_m`: how far the photo's
    EXIF position lies from the nearest reference view (None without EXIF GPS)."""
    fields = fields or estimate_fields()
    f = QgsFeature(fields)
    located = is_located(geo)
    if located:
        f.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(geo.x, geo.y)))
    f.setAttributes([
        photo, os.path.basename(photo), float(geo.confidence), geo.label, label_text(geo.label),
        float(geo.error_radius_m) if located else None, int(geo.n_verified), len(geo.candidates),
        _num(geo.lat) if located else None, _num(geo.lon) if located else None,
        _num(geo.exif_lat), _num(geo.exif_lon), _num(geo.exif_distance_m) if located else None,
        _num(coverage_m), float(sum(geo.timings.values())), geo.message or None,
        _num(getattr(geo, "heading_deg", None)) if located else None,
        _num(getattr(geo, "heading_sd_deg", None)) if located else None,
        getattr(geo, "position_method", None) if located else None,
        _num(getattr(geo, "hfov_deg", None)) if located else None,
    ])
    return f


def viewcone_fields():
    return fields_from([
        ("photo", QVariant.String), ("photo_name", QVariant.String), ("label", QVariant.String),
        ("label_text", QVariant.String), ("heading_deg", QVariant.Double), ("heading_sd_deg", QVariant.Double),
        ("fov_deg", QVariant.Double), ("fov_source", QVariant.String), ("depth_m", QVariant.Double),
        ("depth_source", QVariant.String), ("position_method", QVariant.String), ("pinned_by", QVariant.LongLong),
        ("pinned_ref", QVariant.String),
    ])


def viewcone_features(photo, geo, fields=None):
    """The camera's view (engine/estimate/viewcone.py) as one polygon for a located photo with a
    heading; none otherwise (engine.viewcone.no_cone_reason says why)."""
    from .engine.estimate.viewcone import view_cone

    fields = fields or viewcone_fields()
    cone = view_cone(geo)
    if cone is None:
        return []
    f = QgsFeature(fields)
    f.setGeometry(QgsGeometry.fromPolygonXY([ring_points(cone.ring())]))
    pinned = cone.pinned_by
    f.setAttributes([
        photo, os.path.basename(photo), geo.label, label_text(geo.label), cone.heading_deg, _num(cone.heading_sd_deg),
        cone.fov_deg, cone.fov_source, cone.depth_m, cone.depth_source, cone.position_method,
        int(pinned.view.view_id) if pinned is not None else None,
        reference_name(pinned.view) if pinned is not None else None,
    ])
    return [f]


def cone_summary(geo):
    """A result's view cone in words (heading, field of view and depth, each with where it
    came from, and the reference that pinned the heading), or why it has none."""
    from .engine.estimate.viewcone import no_cone_reason, view_cone

    reason = no_cone_reason(geo)
    if reason == "no match":
        return tr("no view cone: not located")
    if reason:
        return tr("no view cone: no camera heading (no verified reference with a known heading gave a usable pose)")
    cone = view_cone(geo)
    fov_source = {"exif": tr("from EXIF"), "hypotheses": tr("estimated"), "default": tr("assumed")}
    depth_source = {"references": tr("to the matched references"), "default": tr("default")}
    text = tr("camera heading {0}° ± {1}° · field of view {2}° ({3}) · view cone {4} m ({5})").format(
        number(cone.heading_deg, 0), number(cone.heading_sd_deg or 0.0, 0), number(cone.fov_deg, 0),
        fov_source.get(cone.fov_source, cone.fov_source), number(cone.depth_m, 0),
        depth_source.get(cone.depth_source, cone.depth_source))
    if cone.pinned_by is not None:
        text += " · " + tr("heading pinned by view {0} ({1})").format(
            cone.pinned_by.view.view_id, reference_name(cone.pinned_by.view))
    return text


def reference_name(view):
    """A reference view as people find it again: its source and panorama (or image file)."""
    where = getattr(view, "pano_id", None) or os.path.basename(getattr(view, "image_path", None) or "") or \
        str(view.view_id)
    return f"{view.source} {where}" if getattr(view, "source", None) else where


def error_feature(photo, error, fields=None):
    """An estimate row without geometry for a photo that could not be processed."""
    fields = fields or estimate_fields()
    f = QgsFeature(fields)
    f.setAttributes([photo, os.path.basename(photo), 0.0, "error", label_text("error"), None, 0, 0, None, None,
                     None, None, None, None, None, error, None, None, None, None])
    return f


def ring_points(ring):
    return [QgsPointXY(float(x), float(y)) for x, y in ring]


def footprint_features(photo, geo, fields=None):
    """One multipolygon feature per HDR level (outer rings of every region)."""
    fields = fields or footprint_fields()
    out = []
    if not is_located(geo):
        return out
    for level in sorted(geo.footprints, reverse=True):  # 90 % first, 50 % drawn on top
        rings = geo.footprints[level]
        if not rings:
            continue
        geom = QgsGeometry.fromMultiPolygonXY([[ring_points(r)] for r in rings])
        f = QgsFeature(fields)
        f.setGeometry(geom)
        f.setAttributes([photo, os.path.basename(photo), float(level), float(geom.area())])
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
    band.SetDescription(tr("probability per m² that the camera stood here"))  # what Identify shows
    ds.FlushCache()
    ds = None
    return str(path)


# --- the dock's layers ---------------------------------------------------------------
def memory_layer(kind, geometry, name, fields, features):
    layer = QgsVectorLayer(f"{geometry}?crs={RD_NEW}", name, "memory")
    provider = layer.dataProvider()
    provider.addAttributes(fields.toList())
    layer.updateFields()
    provider.addFeatures(features)
    layer.updateExtents()
    apply_style(layer, kind)
    layer.setCustomProperty(KIND_PROPERTY, kind)
    return layer


KIND_PROPERTY = "geopin/kind"  # what a result layer holds: estimates, candidates, viewcones, posterior...


def layer_kind(layer):
    return layer.customProperty(KIND_PROPERTY) if layer is not None else None


def geolocation_layers(photo, geo, posterior_dir=None, coverage_m=None):
    """Styled layers for one result (`photo`: its full path), top to bottom: estimate,
    candidates, the view cone (located with a camera heading), footprints and, when
    located, the posterior raster (in posterior_dir, else a temp folder). Each is named
    after the photo ("Estimate — IMG_2041.jpg"), so layer pickers tell them apart."""
    name = os.path.basename(photo)
    layers = [
        memory_layer("estimates", "Point", tr("Estimate — {0}").format(name), estimate_fields(),
                     [estimate_feature(photo, geo, coverage_m=coverage_m)]),
        memory_layer("candidates", "Point", tr("Candidates — {0}").format(name), candidate_fields(),
                     candidate_features(photo, geo)),
    ]
    if not is_located(geo):  # a no match's candidates are not evidence: not in the strong colours
        style_unlocated_candidates(layers[1])
    cones = viewcone_features(photo, geo)
    if cones:
        layers.append(memory_layer("viewcones", "Polygon", tr("View cone — {0}").format(name), viewcone_fields(),
                                   cones))
    layers.append(memory_layer("footprints", "MultiPolygon", tr("Footprints — {0}").format(name),
                               footprint_fields(), footprint_features(photo, geo)))
    if is_located(geo) and geo.posterior is not None and geo.posterior.size:
        folder = posterior_dir or tempfile.mkdtemp(prefix="geopin_")
        path = write_posterior_geotiff(os.path.join(folder, f"posterior_{file_stem(photo)}.tif"), geo.posterior,
                                       geo.geotransform)
        raster = QgsRasterLayer(path, tr("Posterior density — {0}").format(name))
        if raster.isValid():
            style_posterior(raster)
            raster.setCustomProperty(KIND_PROPERTY, "posterior")
            layers.append(raster)
    return layers


def file_stem(photo):
    """A file-name-safe stem of the photo's name."""
    stem = os.path.splitext(os.path.basename(photo))[0]
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in stem)[:60]


def result_group_name(photo):
    return tr("GeoPin: {0}").format(os.path.basename(photo))


PHOTO_PROPERTY = "geopin/photo"  # the full path of the photo a dock result group belongs to


def remove_result_group(project, photo):
    """Remove the group (and its layers) of an earlier result of `photo`; returns its
    position in its parent, or 0."""
    root = project.layerTreeRoot()
    for group in root.findGroups():
        if group.customProperty(PHOTO_PROPERTY) == photo:
            parent = group.parent()
            index = parent.children().index(group) if parent is root else 0
            project.removeMapLayers([node.layerId() for node in group.findLayers()])
            parent.removeChildNode(group)
            return index
    return 0


def add_geolocation_to_project(project, photo, geo, posterior_dir=None, coverage_m=None):
    """Add the result layers in a group "GeoPin: <photo name>" at the top of the layer
    tree, in place of an earlier result of the same photo. The layers are in EPSG:28992;
    QGIS reprojects them on the fly to any project CRS."""
    project = project or QgsProject.instance()
    layers = geolocation_layers(photo, geo, posterior_dir, coverage_m)
    root = project.layerTreeRoot()
    group = root.insertGroup(remove_result_group(project, photo), result_group_name(photo))
    group.setCustomProperty(PHOTO_PROPERTY, photo)
    for layer in layers:
        project.addMapLayer(layer, False)
        group.addLayer(layer)
    return layers
