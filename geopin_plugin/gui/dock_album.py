"""The dock's albums: once every photo of the list was located alone, photos taken
together (EXIF time and camera, engine/album.py) are located jointly; each album of
two or more photos is one entry under the photo list ("Album 1: 3 photos, 1 placed by
the album"), and one layer group "GeoPin: album-1" holds its estimates (album fields),
its track (arrows in capture order) and the view cones of all its photos together.
A photo the album placed shows that in its summary."""
from dataclasses import replace

from qgis.core import QgsProject
from qgis.PyQt.QtWidgets import QListWidget, QListWidgetItem

from .. import result_layers as rl
from ..album_layers import AlbumStep, album_estimate_fields, track_fields
from ..i18n import tr
from ..log import get_logger

LOG = get_logger("gui")


class _Messages:
    """AlbumStep's feedback, collected for the log."""

    def __init__(self):
        self.lines = []

    def pushInfo(self, text):  # noqa: N802
        self.lines.append(text)

    def pushWarning(self, text):  # noqa: N802
        self.lines.append(text)


def add_album_settings(advanced):
    """The Advanced section's album choices (GeoPin/album_grouping, GeoPin/album_speed)."""
    from .dock_advanced import setting_combo_box

    advanced.album_grouping = setting_combo_box("album_grouping", "geopinAlbumGrouping", (
        ("time", tr("By capture time and camera")), ("one", tr("All photos one album")),
        ("off", tr("Off: each photo alone"))), tr(
        "Photos taken together (by capture time and camera) are located together: a photo that "
        "cannot be located alone gets a position from the photos before and after it"))
    advanced.album_speed = setting_combo_box("album_speed", "geopinAlbumSpeed", (
        ("walking", tr("Walking (2 m/s)")), ("cycling", tr("Cycling (8 m/s)")), ("driving", tr("Driving (20 m/s)"))), tr(
        "How fast the camera moved between the photos of an album: how far apart two photos may be"))
    advanced.layout().addRow(tr("Albums"), advanced.album_grouping)
    advanced.layout().addRow(tr("Album: moving by"), advanced.album_speed)


def albums_list(dock):
    """The album entries under the photo list (made on first use)."""
    widget = getattr(dock, "albums_list", None)
    if widget is None:
        widget = QListWidget()
        widget.setObjectName("geopinAlbums")
        widget.setMaximumHeight(70)
        layout = dock.photos_list.parentWidget().layout()
        layout.insertWidget(layout.indexOf(dock.photos_list) + 1, widget)
        dock.clear_button.clicked.connect(widget.clear)  # a cleared photo list has no albums
        dock.clear_button.clicked.connect(widget.hide)
        dock.albums_list = widget
    return widget


def locate_albums(dock, project=None):
    """Group the dock's located photos into albums, locate them jointly, list them and
    add their layers; returns the album entries' texts."""
    paths = [p for p in dock.photo_paths if p in dock.results and dock.results[p].result is not None]
    widget = albums_list(dock)
    widget.clear()
    widget.setVisible(False)
    grouping = dock.advanced.album_grouping.currentData() or "time"
    if len(paths) < 2 or grouping == "off":
        return []
    fields = album_estimate_fields(rl.estimate_fields())
    step = AlbumStep(grouping, dock.advanced.album_speed.currentData() or "walking", 30 * 60.0, None, tr)
    for path in paths:
        item = dock.results[path]
        step.add(path, item.result, rl.estimate_feature(path, item.result, fields, coverage_m=item.coverage_m))
    estimates = rl.memory_layer("estimates", "Point", tr("Album estimates"), fields, [])
    tracks = rl.memory_layer("track", "LineString", tr("Album track"), track_fields(), [])
    messages = _Messages()
    if not step.finish(estimates.dataProvider(), tracks.dataProvider(), messages):
        return []
    estimates.updateExtents()
    tracks.updateExtents()
    for line in messages.lines:
        LOG.info("%s", line)
    by_album = {}
    for feature in estimates.getFeatures():
        if feature["album_position"]:
            by_album.setdefault(feature["album_id"], []).append(feature)
    texts = []
    project = project or QgsProject.instance()
    for album_id, rows in by_album.items():
        rows.sort(key=lambda f: f["album_position"])
        placed = [f for f in rows if f["position_method"] == "album"]
        for f in placed:  # the photo's own entry says where the album put it
            item = dock.results[f["photo"]]
            point = f.geometry().asPoint()
            item.result = replace(item.result, x=point.x(), y=point.y(), lat=f["lat"], lon=f["lon"],
                                  label=f["label"], error_radius_m=f["error_radius_m"], position_method="album",
                                  message="; ".join(m for m in (item.result.message, f["album_note"]) if m))
            if dock.current is item:
                dock._show_result(item)
        text = tr("{0}: {1} photos, {2} placed by the album — {3}").format(
            album_id, len(rows), len(placed), ", ".join(f["photo_name"] for f in rows))
        widget.addItem(QListWidgetItem(text))
        texts.append(text)
        _add_album_layers(project, album_id, rows, estimates, tracks, dock)
    widget.setVisible(bool(texts))
    return texts


def _add_album_layers(project, album_id, rows, estimates, tracks, dock):
    """One group per album: its estimates, its track and its photos' view cones together."""
    ids = [f.id() for f in rows]
    est = rl.memory_layer("estimates", "Point", tr("Album estimates"), estimates.fields(),
                          [f for f in estimates.getFeatures() if f.id() in ids])
    track = rl.memory_layer("track", "LineString", tr("Album track"), tracks.fields(),
                            [f for f in tracks.getFeatures() if f["album_id"] == album_id])
    cones = [c for f in rows for c in rl.viewcone_features(f["photo"], dock.results[f["photo"]].result)]
    layers = [est, track]
    if cones:
        layers.append(rl.memory_layer("viewcones", "Polygon", tr("View cones"), rl.viewcone_fields(), cones))
    group = project.layerTreeRoot().insertGroup(0, rl.result_group_name(album_id))
    for layer in layers:
        project.addMapLayer(layer, False)
        group.addLayer(layer)
    return layers
