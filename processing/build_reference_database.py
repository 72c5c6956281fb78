"""geopin:buildreferencedatabase: a thin adapter over engine/builder/ingest.py."""
import os

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsFeature,
    QgsFeatureSink,
    QgsField,
    QgsFields,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterNumber,
    QgsProcessingParameterVectorLayer,
    QgsProject,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import Qt, QVariant

from ..geopin_plugin.log import get_logger
from .base import GeoPinAlgorithm
from .params import DatabaseBuild

FALLBACK_EMBEDDERS = ["mobilenetv2-gem512-1024"]


def embedder_presets():
    """(ids, default index) of the catalogue's embedder presets (lazy import)."""
    try:
        from ..geopin_plugin.engine import models
    except Exception:  # models module missing or broken: keep the algorithm loadable
        get_logger("processing").exception("model catalogue unavailable")
        return FALLBACK_EMBEDDERS, 0
    ids = [p.id for p in models.PRESETS.values() if p.kind == "embedder"] or FALLBACK_EMBEDDERS
    default = ids.index(models.DEFAULT_EMBEDDER) if models.DEFAULT_EMBEDDER in ids else 0
    return ids, default


def load_models(embedder_preset, extractor_preset=None):
    """The real embedder and local-feature extractor (tests replace this)."""
    from ..geopin_plugin.engine import embed, models, registry

    return embed.load_embedder(embedder_preset), registry.load_extractor(extractor_preset or models.DEFAULT_EXTRACTOR)


class BuildReferenceDatabase(DatabaseBuild, GeoPinAlgorithm):
    INPUT = "INPUT"
    COORDINATES = "COORDINATES"
    COORDINATES_LAYER = "COORDINATES_LAYER"
    PATH_FIELD = "PATH_FIELD"
    VIEW_FOV = "VIEW_FOV"
    MODEL = "MODEL"
    WHITENING = "WHITENING"
    WORKERS = "WORKERS"
    KEEP_VIEW_IMAGES = "KEEP_VIEW_IMAGES"
    COMPACT_FEATURES = "COMPACT_FEATURES"
    ERRORS = "ERRORS"
    SKIPPED = "SKIPPED"

    def name(self):
        return "buildreferencedatabase"

    def displayName(self):  # noqa: N802
        return self.tr("Build reference database")

    def shortHelpString(self):  # noqa: N802
        return self.tr(
            "Indexes geotagged photos and 360° panoramas from a folder (searched recursively; "
            "jpg, jpeg, png, tif) into a GeoPackage reference database with a search index. "
            "Positions come from the coordinates CSV (file, lat, lon, optional heading, capture_time) "
            "or point layer when given, else from EXIF GPS. Each equirectangular panorama is cut into "
            "perspective views at evenly spaced headings. If the database exists, only new images are "
            "added (an image's content hash decides). Files that cannot be used are listed in the errors "
            "table with the reason. Unless 'Keep a JPEG copy of every view' is on, the database keeps no "
            "copy of the views: leave the source images where they are, the match viewer cuts the views "
            "from them.")

    def initAlgorithm(self, config=None):  # noqa: N802
        from ..geopin_plugin.engine.builder.config import BuildConfig

        self.addParameter(QgsProcessingParameterFile(
            self.INPUT, self.tr("Folder with photos and panoramas"), behavior=QgsProcessingParameterFile.Folder))
        self.addParameter(QgsProcessingParameterFile(
            self.COORDINATES, self.tr("Coordinates CSV (file, lat, lon[, heading, capture_time])"),
            extension="csv", optional=True))
        self.addParameter(QgsProcessingParameterVectorLayer(
            self.COORDINATES_LAYER, self.tr("Coordinates point layer (instead of a CSV)"),
            [QgsProcessing.TypeVectorPoint], optional=True))
        self.addParameter(QgsProcessingParameterField(
            self.PATH_FIELD, self.tr("Image path field of the point layer"), defaultValue="file",
            parentLayerParameterName=self.COORDINATES_LAYER, type=QgsProcessingParameterField.String,
            optional=True))
        self.add_panorama_headings()
        self.addParameter(QgsProcessingParameterNumber(
            self.VIEW_FOV, self.tr("Horizontal field of view of panorama views (degrees)"),
            QgsProcessingParameterNumber.Double, defaultValue=BuildConfig.view_fov, minValue=10.0, maxValue=150.0))
        ids, default = embedder_presets()
        self._model_ids = ids
        self.addParameter(QgsProcessingParameterEnum(
            self.MODEL, self.tr("Embedding model"), options=ids, defaultValue=default))
        self.addParameter(QgsProcessingParameterBoolean(
            self.WHITENING, self.tr("Learn PCA-whitening on the reference embeddings"), defaultValue=False))
        self.add(QgsProcessingParameterNumber(
            self.WORKERS, self.tr("Worker processes (0: one per CPU core)"), QgsProcessingParameterNumber.Integer,
            defaultValue=0, minValue=0, maxValue=256, optional=True), advanced=True)
        self.add(QgsProcessingParameterBoolean(
            self.KEEP_VIEW_IMAGES, self.tr("Keep a JPEG copy of every view (about 180 KB a view; without it the "
                                           "match viewer cuts views from the source images)"),
            defaultValue=False), advanced=True)
        self.add(QgsProcessingParameterBoolean(
            self.COMPACT_FEATURES, self.tr("Store local features compactly (4-bit descriptors: 76 KB a view "
                                           "instead of 140 KB)"), defaultValue=True), advanced=True)
        self.add_database_output()
        self.addParameter(QgsProcessingParameterFeatureSink(
            self.ERRORS, self.tr("Files that could not be indexed"), QgsProcessing.TypeVector, optional=True,
            createByDefault=True))
        self.add_count_outputs(self.SKIPPED)

    # ---- helpers ----------------------------------------------------------------------
    def _layer_coordinates(self, layer, path_field, feedback):
        if path_field not in layer.fields().names():
            raise QgsProcessingException(
                self.tr("The point layer has no field named {0}").format(path_field))
        to_wgs = QgsCoordinateTransform(layer.crs(), QgsCoordinateReferenceSystem("EPSG:4326"),
                                        QgsProject.instance().transformContext())
        names = layer.fields().names()
        records = {}
        for feat in layer.getFeatures():
            value = feat[path_field]
            geom = feat.geometry()
            if value in (None, "") or geom is None or geom.isEmpty():
                continue
            pt = geom.centroid().asPoint() if geom.isMultipart() else geom.asPoint()
            try:
                wgs = to_wgs.transform(pt)
            except Exception as exc:  # QgsCsException
                feedback.pushWarning(self.tr("Cannot transform the point of {0}: {1}").format(value, exc))
                continue
            rec = {"file": str(value), "lat": wgs.y(), "lon": wgs.x()}
            for extra in ("heading", "capture_time", "pano_id", "source_id", "licence", "attribution"):
                value_x = feat[extra] if extra in names else None
                if value_x in (None, ""):
                    continue
                if extra == "heading":
                    rec[extra] = value_x
                elif hasattr(value_x, "toString") and hasattr(value_x, "isValid"):  # QDateTime/QDate
                    rec[extra] = value_x.toString(Qt.ISODate) if value_x.isValid() else None
                else:
                    rec[extra] = str(value_x)
            records[str(value)] = rec
        return records

    def _runner(self, embedder, extractor, workers, feedback):
        """Worker processes on the local cores, or None (this process does the work)
        when one is asked for or the models cannot be loaded in another process.
        Inside QGIS sys.executable is QGIS itself: the workers run QGIS's Python."""
        from ..geopin_plugin import deps
        from ..geopin_plugin.engine.builder import runners

        workers = workers or os.cpu_count() or 1
        if workers <= 1:
            return None
        try:
            python = deps.python_executable()
        except deps.PythonNotFound as exc:
            feedback.pushInfo(self.tr("Working in one process: {0}").format(exc))
            return None
        runner = runners.local_runner(embedder, extractor, workers, python)
        if runner is not None:
            feedback.pushInfo(self.tr("Computing views in {0} worker processes").format(runner.workers))
        return runner

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        from ..geopin_plugin.engine.builder import ingest
        from ..geopin_plugin.engine.builder.config import BuildConfig
        from ..geopin_plugin.engine.models import ModelError
        from ..geopin_plugin.engine.database.store import DatabaseError

        input_dir = self.parameterAsFile(parameters, self.INPUT, context)
        if not input_dir or not os.path.isdir(input_dir):
            raise QgsProcessingException(self.tr("Input folder not found: {0}").format(input_dir))
        csv_path = self.parameterAsFile(parameters, self.COORDINATES, context)
        layer = self.parameterAsVectorLayer(parameters, self.COORDINATES_LAYER, context)
        if csv_path and layer is not None:
            raise QgsProcessingException(self.tr("Give either a coordinates CSV or a point layer, not both"))
        coordinates = None
        if csv_path:
            if not os.path.isfile(csv_path):
                raise QgsProcessingException(self.tr("Coordinates file not found: {0}").format(csv_path))
            try:
                coordinates = ingest.read_coordinates_csv(csv_path)
            except (ValueError, OSError, UnicodeDecodeError) as exc:
                raise QgsProcessingException(self.tr("Cannot read the coordinates file: {0}").format(exc))
        elif layer is not None:
            path_field = self.parameterAsString(parameters, self.PATH_FIELD, context) or "file"
            coordinates = self._layer_coordinates(layer, path_field, feedback)
        headings = self.parameterAsInt(parameters, self.PANORAMA_HEADINGS, context)
        fov = self.parameterAsDouble(parameters, self.VIEW_FOV, context)
        ids = getattr(self, "_model_ids", None) or embedder_presets()[0]
        model = ids[self.parameterAsEnum(parameters, self.MODEL, context)]
        whitening = self.parameterAsBool(parameters, self.WHITENING, context)
        database = self.output_database(parameters, context)

        fields = QgsFields()
        fields.append(QgsField("file", QVariant.String))
        fields.append(QgsField("reason", QVariant.String))
        sink, sink_id = self.parameterAsSink(parameters, self.ERRORS, context, fields, QgsWkbTypes.NoGeometry,
                                             QgsCoordinateReferenceSystem())

        chosen = model
        model, extractor_id = ingest.parts_to_add(database, chosen)  # an existing database keeps its embedder
        if model != chosen:
            feedback.pushInfo(self.tr("{0} was built with {1}: the new images are embedded with it too").format(
                os.path.basename(database), model))
        feedback.pushInfo(self.tr("Loading the embedding model {0}").format(model))
        embedder, extractor = self.load_models_or_fail(load_models, model, extractor_id)
        runner = self._runner(embedder, extractor, self.parameterAsInt(parameters, self.WORKERS, context), feedback)
        try:
            config = BuildConfig(
                panorama_headings=headings, view_fov=fov,
                keep_view_images=self.parameterAsBool(parameters, self.KEEP_VIEW_IMAGES, context),
                compact_features=self.parameterAsBool(parameters, self.COMPACT_FEATURES, context))
            report = ingest.build(input_dir, database, embedder, extractor, coordinates=coordinates, config=config,
                                  progress=self.progress_for(feedback), is_canceled=feedback.isCanceled,
                                  whitening=whitening, runner=runner)
        except DatabaseError as exc:
            raise QgsProcessingException(self.tr("Reference database problem: {0}").format(exc))
        except ValueError as exc:
            raise QgsProcessingException(self.tr("Invalid input: {0}").format(exc))
        except ModelError as exc:  # a worker process could not load the models
            raise QgsProcessingException(
                self.tr("Cannot load the models: {0}. Install them from Plugins ▸ GeoPin ▸ Models… (a models "
                        "ZIP or an ONNX file with its card); the plugin ZIP ships them.").format(exc))

        self.warn_skipped_and_canceled(report, feedback)
        if sink is not None:
            for file, reason in report.errors:
                f = QgsFeature(fields)
                f.setAttributes([file, reason])
                sink.addFeature(f, QgsFeatureSink.FastInsert)
        if report.features_upgraded:
            feedback.pushInfo(self.tr("Added {0} local features to {1} stored views (no re-embedding)").format(
                extractor.preset_id, report.features_upgraded))
        self.report_masks(report.masks, feedback)
        feedback.pushInfo(self.tr("{0} images added ({1} views), {2} skipped, {3} failed").format(
            report.added, report.views_added, report.skipped, report.failed))
        results = {self.DATABASE: database, self.ADDED: report.added, self.SKIPPED: report.skipped,
                   self.FAILED: report.failed, self.VIEWS: report.views_added}
        if sink is not None:
            results[self.ERRORS] = sink_id
        return results
