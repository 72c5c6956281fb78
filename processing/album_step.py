"""Albums in geopin:geolocatephotos: the parameters (a mixin) and the step after every
photo was located alone: group the photos (engine/album.py group_albums), locate each
album jointly (locate_album), write the estimates with album_id / album_position /
album_label / album_note and a track layer (one line per album, in capture order).

The estimate rows are held until the end (the album may move a "no match" photo);
everything else is written while the photos are located.
"""
import os
import time

from qgis.core import (
    QgsFeature,
    QgsFeatureSink,
    QgsField,
    QgsGeometry,
    QgsPointXY,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterNumber,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QVariant

from ..geopin_plugin import result_layers as rl
from ..geopin_plugin.i18n import number

GROUPINGS = ("time", "one", "field", "file_order", "off")  # the ALBUMS enum's order
SPEEDS = ("walking", "cycling", "driving")
ALBUM_FIELDS = (("album_id", QVariant.String), ("album_position", QVariant.Int), ("album_label", QVariant.String),
                ("album_note", QVariant.String))


def album_estimate_fields(fields):
    """The estimates' fields with the album's."""
    fields = rl.fields_from([(f.name(), f.type()) for f in fields])
    for name, kind in ALBUM_FIELDS:
        fields.append(QgsField(name, kind))
    return fields


def track_fields():
    return rl.fields_from([("album_id", QVariant.String), ("n_photos", QVariant.Int), ("photos", QVariant.String),
                           ("length_m", QVariant.Double), ("minutes", QVariant.Double),
                           ("jumps", QVariant.Int), ("note", QVariant.String)])


class AlbumParameters:
    """ALBUMS, ALBUM_SPEED, ALBUM_GAP, ALBUM_TABLE + ALBUM_FIELD and OUTPUT_TRACK."""

    ALBUMS = "ALBUMS"
    ALBUM_SPEED = "ALBUM_SPEED"
    ALBUM_GAP = "ALBUM_GAP"
    ALBUM_TABLE = "ALBUM_TABLE"
    ALBUM_FIELD = "ALBUM_FIELD"
    OUTPUT_TRACK = "OUTPUT_TRACK"

    def add_album_parameters(self):
        self.add(QgsProcessingParameterEnum(
            self.ALBUMS, self.tr("Albums"),
            [self.tr("By capture time and camera"), self.tr("All photos one album"),
             self.tr("By a field of a table"), self.tr("In file order"), self.tr("Off: each photo alone")],
            defaultValue=0), self.tr(
            "Photos taken together are located together: a photo that fails alone gets a position from the "
            "photos taken just before and after it (labelled 'album', never confident). By capture time and "
            "camera: EXIF time and camera; a pause longer than the gap starts a new album. In file order: for "
            "photos without times (one minute apart is assumed)."))
        self.add(QgsProcessingParameterEnum(
            self.ALBUM_SPEED, self.tr("Album: moving by"),
            [self.tr("Walking (2 m/s)"), self.tr("Cycling (8 m/s)"), self.tr("Driving (20 m/s)")],
            defaultValue=0), self.tr("How far the camera can move between two photos: at most this speed."),
            advanced=True)
        self.add(QgsProcessingParameterNumber(
            self.ALBUM_GAP, self.tr("Album: a pause longer than this starts a new album (minutes)"),
            QgsProcessingParameterNumber.Double, 30.0, minValue=0.1, maxValue=100000.0),
            self.tr("Photos of one camera further apart in time than this are separate albums."), advanced=True)
        self.add(QgsProcessingParameterFeatureSource(
            self.ALBUM_TABLE, self.tr("Album: table naming each photo's album"), [QgsProcessing.TypeVector],
            optional=True), self.tr(
            "For 'By a field of a table': a table (e.g. an earlier Estimates layer) with a column photo, "
            "photo_name or file and the album field."), advanced=True)
        self.add(QgsProcessingParameterField(
            self.ALBUM_FIELD, self.tr("Album: field naming the album"), parentLayerParameterName=self.ALBUM_TABLE,
            optional=True), self.tr("The table's field whose values name the albums."), advanced=True)
        self.add(QgsProcessingParameterFeatureSink(
            self.OUTPUT_TRACK, self.tr("Album tracks"), QgsProcessing.TypeVectorLine, optional=True,
            createByDefault=True), self.tr("One line per album through its photos' positions in capture order."))

    def album_step(self, parameters, context):
        grouping = GROUPINGS[self.parameterAsEnum(parameters, self.ALBUMS, context)]
        speed = SPEEDS[self.parameterAsEnum(parameters, self.ALBUM_SPEED, context)]
        gap_s = 60.0 * self.parameterAsDouble(parameters, self.ALBUM_GAP, context)
        names = None
        if grouping == "field":
            source = self.parameterAsSource(parameters, self.ALBUM_TABLE, context)
            field = self.parameterAsString(parameters, self.ALBUM_FIELD, context)
            if source is None or not field:
                raise QgsProcessingException(self.tr(
                    "Albums by a field need a table and its album field (Album: table naming each photo's album)"))
            names = album_names(source, field)
            if not names:
                raise QgsProcessingException(self.tr(
                    "The album table has no column photo, photo_name or file with the photos' names"))
        return AlbumStep(grouping, speed, gap_s, names, self.tr)


def album_names(source, field):
    """{photo file name: album} from a table's photo / photo_name / file column."""
    columns = [c for c in ("photo", "photo_name", "file") if source.fields().indexOf(c) >= 0]
    out = {}
    for feature in source.getFeatures():
        value = feature[field]
        for column in columns:
            if feature[column] not in (None, "") and value not in (None, ""):
                out[os.path.basename(str(feature[column]))] = str(value)
    return out


class AlbumStep:
    """Holds the estimate rows, then groups and locates the albums (``finish``)."""

    def __init__(self, grouping, speed, gap_s, names, tr):
        self.grouping, self.speed, self.gap_s, self.names, self.tr = grouping, speed, gap_s, names, tr
        self.rows = []  # (path, geo or None, feature)

    def add(self, path, geo, feature):
        n = feature.fields().count()
        attrs = list(feature.attributes())
        feature.setAttributes(attrs + [None] * (n - len(attrs)))
        self.rows.append((path, geo, feature))

    def finish(self, est_sink, track_sink, feedback):
        """Write the estimate rows (album fields filled) and the tracks; returns the
        number of albums of two or more photos."""
        from ..geopin_plugin.engine import album as al

        t0 = time.perf_counter()
        located = [k for k, (_, geo, _) in enumerate(self.rows) if geo is not None]
        infos = [al.read_capture_info(self.rows[k][0]) for k in located]
        fields = None
        if self.grouping == "field":
            fields = [self.names.get(os.path.basename(self.rows[k][0]), "") for k in located]
        albums = al.group_albums(infos, self.grouping, self.gap_s, fields, step_s=60.0)
        config = al.AlbumConfig(speed_mps=al.MOTION_PRESETS[self.speed])
        n_albums = 0
        for album in albums:
            rows = [self.rows[located[i]] for i in album.members]
            if len(rows) == 1:
                self._fill(rows[0][2], album.album_id if self.grouping != "off" else None, None, "", album.note)
                if album.note and self.grouping != "off":
                    feedback.pushInfo(self.tr("{0}: no capture time, located alone").format(
                        os.path.basename(rows[0][0])))
                continue
            n_albums += 1
            evidence = [al.evidence_of(geo.candidates, None if geo.x is None else (geo.x, geo.y),
                                       geo.error_radius_m, geo.label) for _, geo, _ in rows]
            outcome = al.locate_album(evidence, album.times, config)
            for k, ((path, geo, feature), est) in enumerate(zip(rows, outcome.estimates)):
                if est.method == "album":
                    self._move(feature, est)
                self._fill(feature, album.album_id, k + 1, est.album_label, est.note)
            if track_sink is not None:
                track_sink.addFeature(self._track(album, rows, outcome), QgsFeatureSink.FastInsert)
            moved = sum(1 for e in outcome.estimates if e.method == "album")
            feedback.pushInfo(self.tr("{0}: {1} photos, {2} placed by the album").format(
                album.album_id, len(rows), moved))
            if outcome.jumps:
                feedback.pushWarning(self.tr("{0}: {1}").format(album.album_id, outcome.message))
        for _, _, feature in self.rows:
            est_sink.addFeature(feature, QgsFeatureSink.FastInsert)
        if n_albums:
            feedback.pushInfo(self.tr("Albums located jointly in {0} s").format(number(time.perf_counter() - t0, 2)))
        return n_albums

    @staticmethod
    def _fill(feature, album_id, position, label, note):
        feature.setAttribute("album_id", album_id)
        feature.setAttribute("album_position", position)
        feature.setAttribute("album_label", label or None)
        feature.setAttribute("album_note", note or None)

    @staticmethod
    def _move(feature, est):
        from ..geopin_plugin.engine.geo import rd_to_wgs84

        lat, lon = rd_to_wgs84(est.x, est.y)
        feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(est.x, est.y)))
        for name, value in (("label", est.label), ("label_text", rl.label_text(est.label)),
                            ("error_radius_m", float(est.radius)), ("lat", float(lat)), ("lon", float(lon)),
                            ("position_method", "album")):
            feature.setAttribute(name, value)

    def _track(self, album, rows, outcome):
        points = [QgsPointXY(f.geometry().asPoint()) for _, _, f in rows if not f.geometry().isEmpty()]
        feature = QgsFeature(track_fields())
        geom = QgsGeometry.fromPolylineXY(points) if len(points) >= 2 else QgsGeometry()
        feature.setGeometry(geom)
        times = [t for t in album.times if t is not None]
        feature.setAttributes([album.album_id, len(rows), ", ".join(os.path.basename(p) for p, _, _ in rows),
                               float(geom.length()) if len(points) >= 2 else None,
                               (max(times) - min(times)) / 60.0 if times else None, len(outcome.jumps),
                               outcome.message or None])
        return feature


TRACK_WKB = QgsWkbTypes.LineString
