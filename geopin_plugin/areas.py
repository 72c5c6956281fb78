"""Polygons read from QGIS layers (the search area, view cones) in the engine's terms:
geometries moved into one CRS, and (multi)polygons as lists of (x, y) rings."""
from qgis.core import QgsCoordinateTransform, QgsGeometry


def geometries_in(features, source_crs, target_crs, transform_context):
    """(feature, geometry in target_crs) for each feature whose geometry is not empty."""
    transform = QgsCoordinateTransform(source_crs, target_crs, transform_context)
    for feature in features:
        geometry = QgsGeometry(feature.geometry())
        if geometry.isEmpty():
            continue
        geometry.transform(transform)
        yield feature, geometry


def polygons_of(geometry):
    """The polygons of a (multi)polygon, each a list of rings (outer ring, then holes) of (x, y)."""
    polygons = geometry.asMultiPolygon() if geometry.isMultipart() else [geometry.asPolygon()]
    return [[[(p.x(), p.y()) for p in ring] for ring in polygon] for polygon in polygons]


def rings_of(geometry):
    """Outer rings and holes of a (multi)polygon as [(x, y), ...] lists."""
    return [ring for polygon in polygons_of(geometry) for ring in polygon]
