"""Albums in geopin:geolocatephotos: the parameters (a mixin) and the step after every
photo was located alone (geopin_plugin/album_layers.py AlbumStep): group the photos,
locate each album jointly, write the estimates with the album fields and a track layer.
The estimate rows are held until the end (the album may move a "no match" photo);
everything else is written while the photos are located.
"""
import os

from qgis.core import (
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterNumber,
)

from ..geopin_plugin.album_layers import AlbumStep

GROUPINGS = ("time", "one", "field", "file_order", "off")  # the ALBUMS enum's order
SPEEDS = ("walking", "cycling", "driving")
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
