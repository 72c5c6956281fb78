"""Album results as QGIS features, shared by geopin:geolocatephotos (processing/album_step.py)
and the dock (gui/dock_album.py): the estimate rows with album_id / album_position /
album_label / album_note, album-placed photos moved, and one track line per album in
capture order (engine/album.py does the grouping and the joint estimate)."""
import os
import time

from qgis.core import QgsFeature, QgsFeatureSink, QgsField, QgsGeometry, QgsPointXY, QgsWkbTypes
from qgis.PyQt.QtCore import QVariant

from . import result_layers as rl
from .i18n import label_text, number

TRACK_WKB = QgsWkbTypes.LineString
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
        from .engine import album as al

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
                note = self.tr("no capture time: located alone") if album.note else ""
                self._fill(rows[0][2], album.album_id if self.grouping != "off" else None, None, "", note)
                if album.note and self.grouping != "off":
                    feedback.pushInfo(self.tr("{0}: no capture time, located alone").format(
                        os.path.basename(rows[0][0])))
                continue
            n_albums += 1
            evidence = [al.evidence_of(geo.candidates, None if geo.x is None else (geo.x, geo.y),
                                       geo.error_radius_m, geo.label) for _, geo, _ in rows]
            outcome = al.locate_album(evidence, album.times, config)
            notes, jumps = self._notes(rows, outcome)
            for k, ((path, geo, feature), est) in enumerate(zip(rows, outcome.estimates)):
                if est.method == "album":
                    self._move(feature, est)
                self._fill(feature, album.album_id, k + 1, est.album_label, notes[k])
            if track_sink is not None:
                track_sink.addFeature(self._track(album, rows, outcome, jumps), QgsFeatureSink.FastInsert)
            moved = sum(1 for e in outcome.estimates if e.method == "album")
            feedback.pushInfo(self.tr("{0}: {1} photos, {2} placed by the album").format(
                album.album_id, len(rows), moved))
            if jumps:
                feedback.pushWarning(self.tr("{0}: {1}").format(album.album_id, jumps))
        for _, _, feature in self.rows:
            est_sink.addFeature(feature, QgsFeatureSink.FastInsert)
        if n_albums:
            feedback.pushInfo(self.tr("Albums located jointly in {0} s").format(number(time.perf_counter() - t0, 2)))
        return n_albums

    def _notes(self, rows, outcome):
        """Each photo's album note and the album's jump message, in the user's language."""
        import math

        name = [os.path.basename(path) for path, _, _ in rows]
        notes = [[] for _ in rows]
        for k, est in enumerate(outcome.estimates):
            if est.method == "album":
                notes[k].append(self.tr("placed by the album (the photos taken just before and after it), not by "
                                        "its own pixels"))
            elif est.album_label == "inconsistent":
                notes[k].append(self.tr("the album puts this photo {0} m from its own answer: check it").format(
                    number(math.hypot(est.album_x - est.x, est.album_y - est.y), 0)))
        jumps = []
        for i, j, d, allowed in outcome.jumps:
            text = self.tr("{0} and {1} are {2} m apart, more than the {3} m the camera can move in between: "
                           "implausible jump").format(name[i], name[j], number(d, 0), number(allowed, 0))
            jumps.append(text)
            notes[i].append(text)
            notes[j].append(text)
        return ["; ".join(n) for n in notes], "; ".join(jumps)

    @staticmethod
    def _fill(feature, album_id, position, label, note):
        feature.setAttribute("album_id", album_id)
        feature.setAttribute("album_position", position)
        feature.setAttribute("album_label", label or None)
        feature.setAttribute("album_note", note or None)

    @staticmethod
    def _move(feature, est):
        from .engine.geo import rd_to_wgs84

        lat, lon = rd_to_wgs84(est.x, est.y)
        feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(est.x, est.y)))
        for name, value in (("label", est.label), ("label_text", label_text(est.label)),
                            ("error_radius_m", float(est.radius)), ("lat", float(lat)), ("lon", float(lon)),
                            ("position_method", "album")):
            feature.setAttribute(name, value)

    def _track(self, album, rows, outcome, jumps):
        points = [QgsPointXY(f.geometry().asPoint()) for _, _, f in rows if not f.geometry().isEmpty()]
        feature = QgsFeature(track_fields())
        geom = QgsGeometry.fromPolylineXY(points) if len(points) >= 2 else QgsGeometry()
        feature.setGeometry(geom)
        times = [t for t in album.times if t is not None]
        feature.setAttributes([album.album_id, len(rows), ", ".join(os.path.basename(p) for p, _, _ in rows),
                               float(geom.length()) if len(points) >= 2 else None,
                               (max(times) - min(times)) / 60.0 if times else None, len(outcome.jumps),
                               jumps or None])
        return feature
