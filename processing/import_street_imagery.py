"""geopin:importstreetimagery: a thin adapter over engine/sources (search, download)
and engine/ingest (views, embeddings, index)."""
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsGeometry,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsProcessingParameterAuthConfig,
    QgsProcessingParameterDateTime,
    QgsProcessingParameterEnum,
    QgsProcessingParameterExtent,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
)

from ..geopin_plugin.log import get_logger
from .base import GeoPinAlgorithm
from .params import DatabaseBuild

LOG = get_logger("processing.import")

WGS84 = "EPSG:4326"


def load_models(database):
    """The embedder and extractor views are added with (ingest.parts_to_add: the
    database's own embedder when it exists, else the default; the default extractor).
    Tests replace this function."""
    from ..geopin_plugin.engine import embed, registry
    from ..geopin_plugin.engine.builder.ingest import parts_to_add

    embedder, extractor = parts_to_add(database)
    return embed.load_embedder(embedder), registry.load_extractor(extractor)


def make_http_client(feedback):
    from ..geopin_plugin.qgis_http import QgisHttpClient

    return QgisHttpClient(feedback=feedback)


class ImportStreetImagery(DatabaseBuild, GeoPinAlgorithm):
    SOURCE = "SOURCE"
    EXTENT = "EXTENT"
    AREA = "AREA"
    MAX_IMAGES = "MAX_IMAGES"
    START_DATE = "START_DATE"
    END_DATE = "END_DATE"
    IMAGE_SIZE = "IMAGE_SIZE"
    BASE_URL = "BASE_URL"
    AUTH_CONFIG = "AUTH_CONFIG"
    FOUND = "FOUND"
    ALREADY_STORED = "ALREADY_STORED"

    def name(self):
        return "importstreetimagery"

    def displayName(self):  # noqa: N802
        return self.tr("Import street-level imagery")

    def shortHelpString(self):  # noqa: N802
        return self.tr(
            "Finds street-level images inside an area through a public API (Mapillary, Panoramax, KartaView, "
            "Mapilio or the City of Amsterdam panoramas), downloads them and adds them to a reference database "
            "with their position, heading, capture time, source id, licence and attribution. 360° panoramas "
            "are cut into perspective views. When the area holds more images than the maximum, a spatially "
            "even sample is taken. Images already in the database are skipped, so an interrupted import can "
            "simply be run again. Mapillary needs an access token: store it in QGIS Settings ▸ Options ▸ "
            "Authentication (for example as an API header or in the password of a Basic configuration) and "
            "choose it as the authentication configuration. Respect each source's licence and terms of use.")

    def initAlgorithm(self, config=None):  # noqa: N802
        from ..geopin_plugin.engine.sources import SOURCES

        self.addParameter(QgsProcessingParameterEnum(
            self.SOURCE, self.tr("Source"),
            options=[self.tr(source.label) for source in SOURCES.values()],  # in SOURCE_NAMES' order
            defaultValue=1))
        self.addParameter(QgsProcessingParameterExtent(self.EXTENT, self.tr("Area (extent)")))
        self.addParameter(QgsProcessingParameterFeatureSource(
            self.AREA, self.tr("Limit to polygons of this layer"), [QgsProcessing.TypeVectorPolygon],
            optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            self.MAX_IMAGES, self.tr("Maximum number of images"), QgsProcessingParameterNumber.Integer,
            defaultValue=200, minValue=1, maxValue=100000))
        self.addParameter(QgsProcessingParameterDateTime(
            self.START_DATE, self.tr("Captured on or after"), QgsProcessingParameterDateTime.Date, optional=True))
        self.addParameter(QgsProcessingParameterDateTime(
            self.END_DATE, self.tr("Captured on or before"), QgsProcessingParameterDateTime.Date, optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            self.IMAGE_SIZE, self.tr("Image size to download (long side, pixels)"),
            QgsProcessingParameterNumber.Integer, defaultValue=1024, minValue=256, maxValue=8192))
        self.add_database_output()
        self.addParameter(QgsProcessingParameterAuthConfig(
            self.AUTH_CONFIG, self.tr("Authentication configuration (access token)"), optional=True))
        self.add(QgsProcessingParameterString(
            self.BASE_URL, self.tr("API address (a Panoramax instance, or a mirror)"), optional=True), advanced=True)
        self.add_panorama_headings(advanced=True)
        self.addOutput(QgsProcessingOutputNumber(self.FOUND, self.tr("Images found")))
        self.add_count_outputs(self.ALREADY_STORED)

    # ---- helpers ----------------------------------------------------------------------
    def _area(self, parameters, context, feedback):
        """(bbox or polygon in WGS84 lon/lat) from EXTENT and the optional AREA layer."""
        wgs84 = QgsCoordinateReferenceSystem(WGS84)
        transform_context = context.transformContext()
        source = self.parameterAsSource(parameters, self.AREA, context)
        if source is not None:
            geoms = [f.geometry() for f in source.getFeatures() if f.hasGeometry()]
            if not geoms:
                raise QgsProcessingException(self.tr("The area layer has no polygons"))
            union = QgsGeometry.unaryUnion(geoms)
            union.transform(QgsCoordinateTransform(source.sourceCrs(), wgs84, transform_context))
            parts = union.asMultiPolygon() if union.isMultipart() else [union.asPolygon()]
            parts = [p for p in parts if p and p[0]]
            if len(parts) > 1:
                feedback.pushWarning(self.tr(
                    "The area layer has {0} separate polygons; the largest is used.").format(len(parts)))
                parts.sort(key=lambda p: QgsGeometry.fromPolygonXY(p).area(), reverse=True)
            return [(pt.x(), pt.y()) for pt in parts[0][0][:-1]]
        rect = self.parameterAsExtent(parameters, self.EXTENT, context, wgs84)
        if rect is None or rect.isEmpty():
            raise QgsProcessingException(self.tr("The area is empty: draw or choose an extent"))
        return (rect.xMinimum(), rect.yMinimum(), rect.xMaximum(), rect.yMaximum())

    def prepareAlgorithm(self, parameters, context, feedback):  # noqa: N802
        # prepare runs on the main thread: the authentication manager may need to ask
        # for the master password, which it cannot do from a worker thread
        from ..geopin_plugin.engine.sources import SOURCE_NAMES, SOURCES

        key = SOURCE_NAMES[self.parameterAsEnum(parameters, self.SOURCE, context)]
        self._auth_token = self._token(parameters, context, SOURCES[key].title)
        return True

    def _token(self, parameters, context, source_title):
        from ..geopin_plugin.qgis_http import auth_token

        authcfg = self.parameterAsString(parameters, self.AUTH_CONFIG, context)
        try:
            return auth_token(authcfg)
        except LookupError:
            raise QgsProcessingException(self.tr(
                "The authentication configuration {0} for {1} cannot be read. Check it in QGIS Settings ▸ "
                "Options ▸ Authentication (the master password may be needed) and choose it in the "
                "AUTH_CONFIG parameter.").format(authcfg, source_title))

    def _date(self, parameters, name, context):
        value = self.parameterAsDateTime(parameters, name, context)
        if value is None or not value.isValid():
            return None
        return value.date().toString("yyyy-MM-dd")

    def _import(self, key, http, base_url, area, start, end, database, parameters, context, feedback):
        from ..geopin_plugin.engine.builder.config import BuildConfig
        from ..geopin_plugin.engine.database.store import DatabaseError
        from ..geopin_plugin.engine.sources import AuthError, SourceError, make_source
        from ..geopin_plugin.engine.sources.importer import import_street_imagery

        source = make_source(key, http, base_url=base_url, token=None)
        source.token = getattr(self, "_auth_token", None)
        if source.needs_token and not source.token:
            raise QgsProcessingException(self.tr(
                "{0} needs an access token. Store it in QGIS Settings ▸ Options ▸ Authentication and choose "
                "that configuration in the AUTH_CONFIG parameter (Authentication configuration).").format(
                    source.title))

        feedback.pushInfo(self.tr("Loading the models"))
        embedder, extractor = self.load_models_or_fail(load_models, database)
        try:
            report = import_street_imagery(
                source, area, database, embedder, extractor,
                max_images=self.parameterAsInt(parameters, self.MAX_IMAGES, context),
                start_date=start, end_date=end,
                image_size=self.parameterAsInt(parameters, self.IMAGE_SIZE, context),
                config=BuildConfig(panorama_headings=self.parameterAsInt(parameters, self.PANORAMA_HEADINGS, context)),
                progress=self.progress_for(feedback), is_canceled=feedback.isCanceled)
        except AuthError as exc:
            what = (self.tr("{0} needs an access token.") if exc.missing else
                    self.tr("{0} refused the access token (HTTP {1}).")).format(source.title, exc.status)
            raise QgsProcessingException(what + " " + self.tr(
                "Store a valid token in QGIS Settings ▸ Options ▸ Authentication and choose that "
                "configuration in the AUTH_CONFIG parameter (Authentication configuration)."))
        except SourceError as exc:
            raise QgsProcessingException(self.tr("{0} could not be searched: {1}").format(source.title, exc))
        except DatabaseError as exc:
            raise QgsProcessingException(self.tr("Reference database problem: {0}").format(exc))

        return report

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        from ..geopin_plugin.engine.sources import SOURCE_NAMES

        key = SOURCE_NAMES[self.parameterAsEnum(parameters, self.SOURCE, context)]
        database = self.output_database(parameters, context)
        area = self._area(parameters, context, feedback)
        start = self._date(parameters, self.START_DATE, context)
        end = self._date(parameters, self.END_DATE, context)
        if start and end and start > end:
            raise QgsProcessingException(self.tr("The start date is after the end date"))
        base_url = (self.parameterAsString(parameters, self.BASE_URL, context) or "").strip() or None
        if base_url and not base_url.lower().startswith(("http://", "https://")):
            raise QgsProcessingException(self.tr("The API address must start with http:// or https://"))
        http = make_http_client(feedback)
        try:
            report = self._import(key, http, base_url, area, start, end, database, parameters, context, feedback)
        finally:
            close = getattr(http, "close", None)
            if close is not None:
                close()
        source_title = report.source_title

        for warning in report.warnings:
            if "spatially even sample" in warning:
                feedback.pushWarning(self.tr(
                    "The area holds more images than the maximum ({0}); a spatially even sample of {1} "
                    "was taken. Raise the maximum or draw a smaller area for more.").format(
                        self.parameterAsInt(parameters, self.MAX_IMAGES, context), report.found))
            elif "parts of the area could not be searched" in warning:
                feedback.pushWarning(self.tr(
                    "{0} parts of the area could not be searched on {1}, even after retries; the rest was "
                    "imported. Run the import again later to fill them in (the GeoPin log names each part "
                    "and the reason).").format(report.failed_cells, source_title))
            else:
                feedback.pushWarning(warning)
        if report.found == 0 and report.available == 0:
            feedback.pushInfo(self.tr("{0} has no images in this area (or in this date range).").format(
                source_title))
        self.warn_skipped_and_canceled(report, feedback)
        self.report_masks(report.masks, feedback)
        feedback.pushInfo(self.tr(
            "{0} images found, {1} added ({2} views), {3} already in the database, {4} failed").format(
                report.found, report.added, report.views_added, report.already_stored,
                report.download_failed + report.failed))
        return {self.DATABASE: database, self.FOUND: report.found, self.ADDED: report.added,
                self.ALREADY_STORED: report.already_stored, self.FAILED: report.download_failed + report.failed,
                self.VIEWS: report.views_added}
