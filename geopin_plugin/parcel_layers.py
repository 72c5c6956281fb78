"""Parcels, buildings and addresses (engine/pdok/whatisinview.py) as QGIS features and
layers in EPSG:28992, shared by geopin:whatisinview and the dock; plus the glue that
turns a user's own vector layers into the engine's plain types."""
import json

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsFeature,
    QgsFeatureRequest,
    QgsGeometry,
    QgsPointXY,
    QgsRectangle,
)
from qgis.PyQt.QtCore import QVariant

from .result_layers import fields_from, memory_layer

RD_NEW = "EPSG:28992"


def parcel_fields():
    return fields_from([("photo", QVariant.String), ("rank", QVariant.Int), ("probability", QVariant.Double),
                    ("aanduiding", QVariant.String), ("gemeente", QVariant.String), ("sectie", QVariant.String),
                    ("perceelnummer", QVariant.Int), ("parcel_id", QVariant.String), ("area_m2", QVariant.Double),
                    ("dist_m", QVariant.Double)])


def building_fields():
    return fields_from([("photo", QVariant.String), ("rank", QVariant.Int), ("probability", QVariant.Double),
                    ("visible_share", QVariant.Double), ("bag_pand_id", QVariant.String), ("source", QVariant.String),
                    ("bouwjaar", QVariant.Int), ("status", QVariant.String), ("dist_m", QVariant.Double),
                    ("n_addresses", QVariant.Int), ("address", QVariant.String)])


def address_fields():
    return fields_from([("photo", QVariant.String), ("rank", QVariant.Int), ("probability", QVariant.Double),
                    ("bag_vbo_id", QVariant.String), ("street", QVariant.String), ("number", QVariant.String),
                    ("postcode", QVariant.String), ("city", QVariant.String), ("address", QVariant.String),
                    ("bag_pand_id", QVariant.String)])


def _num(v):
    try:
        v = float(v)
    except (TypeError, ValueError):
        return None
    return v if v == v and v not in (float("inf"), float("-inf")) else None


def polygons_geometry(polygons):
    return QgsGeometry.fromMultiPolygonXY(
        [[[QgsPointXY(float(x), float(y)) for x, y in ring] for ring in poly] for poly in polygons])


def _ranked_features(photo, ranked, fields, geometry, attributes):
    """One feature per ranked answer row: photo, rank, probability, then `attributes(row)`."""
    out = []
    for rank, row in enumerate(ranked, 1):
        f = QgsFeature(fields)
        f.setGeometry(geometry(row))
        f.setAttributes([photo, rank, float(row.probability), *attributes(row)])
        out.append(f)
    return out


def parcel_features(photo, answer, fields=None):
    def attributes(r):
        p = r.parcel
        return [p.aanduiding, p.gemeente, p.sectie, p.perceelnummer, p.id, _num(p.area_m2), _num(r.distance_m)]

    return _ranked_features(photo, answer.parcels, fields or parcel_fields(),
                            lambda r: polygons_geometry(r.parcel.polygons), attributes)


def building_features(photo, answer, fields=None):
    def attributes(r):
        b = r.building
        mine = [a for a in answer.addresses if a.building_id == b.id]
        return [float(r.visible_share), b.id, b.source, b.bouwjaar, b.status, _num(r.distance_m), len(mine),
                mine[0].address.label if mine else None]

    return _ranked_features(photo, answer.buildings, fields or building_fields(),
                            lambda r: polygons_geometry(r.building.polygons), attributes)


def address_features(photo, answer, fields=None):
    def attributes(r):
        a = r.address
        return [a.id, a.street, a.number, a.postcode, a.city, a.label, r.building_id]

    return _ranked_features(photo, answer.addresses, fields or address_fields(),
                            lambda r: QgsGeometry.fromPointXY(QgsPointXY(r.address.x, r.address.y)), attributes)


def answer_layers(photo, answer, tr=lambda s: s):
    return [
        memory_layer("parcels", "MultiPolygon", tr("Parcels"), parcel_fields(), parcel_features(photo, answer)),
        memory_layer("buildings", "MultiPolygon", tr("Buildings"), building_fields(),
                     building_features(photo, answer)),
        memory_layer("addresses", "Point", tr("Addresses"), address_fields(), address_features(photo, answer)),
    ]


# --- a user's own layers -> GeoJSON-like dicts in RD New ---------------------------------
def _plain(value):
    if value is None or (hasattr(value, "isNull") and value.isNull()):
        return None
    if isinstance(value, (int, float, str, bool)):
        return value
    return str(value)


def geojson_features(source, bbox, context_transform, feedback=None):
    """Features of a QgsFeatureSource/QgsVectorLayer intersecting an RD bbox, as
    GeoJSON dicts with RD coordinates (what engine/pdok/features.py parses)."""
    rd = QgsCoordinateReferenceSystem(RD_NEW)
    crs = source.sourceCrs() if hasattr(source, "sourceCrs") else source.crs()
    to_rd = QgsCoordinateTransform(crs, rd, context_transform)
    rect = QgsRectangle(*bbox)
    request = QgsFeatureRequest()
    if crs != rd:
        request.setFilterRect(QgsCoordinateTransform(rd, crs, context_transform).transformBoundingBox(rect))
    else:
        request.setFilterRect(rect)
    names = [f.name() for f in source.fields()]
    out = []
    for feat in source.getFeatures(request):
        if feedback is not None and feedback.isCanceled():
            break
        geom = QgsGeometry(feat.geometry())
        if geom.isEmpty():
            continue
        if crs != rd:
            geom.transform(to_rd)
        out.append({"type": "Feature", "id": feat.id(), "geometry": json.loads(geom.asJson(3)),
                    "properties": {n: _plain(v) for n, v in zip(names, feat.attributes())}})
    return out
