"""geopin:geolocatephotos: a thin adapter over engine/pipeline.py.

INPUT takes one or more photos and/or folders (batch). Each photo goes through
retrieval, verification and the posterior; an unreadable photo gives an error row
in OUTPUT_ESTIMATES (and a warning) and the batch goes on. Outputs are in
EPSG:28992 and are styled from resources/styles/ when loaded into the project.
"""
import os

from qgis.core import (
    QgsCoordinateTransform,
    QgsFeatureSink,
    QgsGeometry,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingLayerPostProcessorInterface,
    QgsProcessingOutputNumber,
    QgsProcessingParameterExtent,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterFile,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsWkbTypes,
)

from ..geopin_plugin import result_layers as rl
from ..geopin_plugin.log import get_logger
from .base import GeoPinAlgorithm
from ..geopin_plugin.output_check import CountingSink, output_problems

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp")

# Post-processors must outlive processAlgorithm (QGIS keeps only a raw pointer).
_POST_PROCESSORS = []


class StyleLayer(QgsProcessingLayerPostProcessorInterface):
    def __init__(self, kind):
        super().__init__()
        self.kind = kind

    def postProcessLayer(self, layer, context, feedback):  # noqa: N802
        try:
            rl.apply_style(layer, self.kind)
        except Exception:  # a style problem must not fail the algorithm
            get_logger("processing").exception("Could not style the %s layer", self.kind)


def _style_on_load(context, dest_id, kind):
    if dest_id and context.willLoadLayerOnCompletion(dest_id):
        post = StyleLayer(kind)
        _POST_PROCESSORS.append(post)
        del _POST_PROCESSORS[:-32]
        context.layerToLoadOnCompletionDetails(dest_id).setPostProcessor(post)


def expand_inputs(paths):
    """Photos from a list of files and folders (folders: their images, sorted, not recursive)."""
    photos = []
    for p in paths:
        p = str(p)
        if os.path.isdir(p):
            for name in sorted(os.listdir(p)):
                full = os.path.join(p, name)
                if os.path.isfile(full) and name.lower().endswith(IMAGE_EXTENSIONS):
                    photos.append(full)
        else:
            photos.append(p)
    return photos


class GeolocatePhotos(GeoPinAlgorithm):
    INPUT = "INPUT"
    DATABASE = "DATABASE"
    TOP_K = "TOP_K"
    VERIFY_TOP = "VERIFY_TOP"
    AREA = "AREA"
    AREA_EXTENT = "AREA_EXTENT"
    OUTPUT_CANDIDATES = "OUTPUT_CANDIDATES"
    OUTPUT_ESTIMATES = "OUTPUT_ESTIMATES"
    OUTPUT_FOOTPRINTS = "OUTPUT_FOOTPRINTS"
    OUTPUT_POSTERIOR = "OUTPUT_POSTERIOR"
    LOCATED = "LOCATED"
    CONFIDENT = "CONFIDENT"
    FAILED = "FAILED"

    def name(self):
        return "geolocatephotos"

    def displayName(self):  # noqa: N802
        return self.tr("Geolocate photos")

    def shortHelpString(self):  # noqa: N802
        return self.tr(
            "Finds where photos were taken from their pixels alone, using a GeoPin reference database. "
            "For each photo: the most similar reference views are retrieved (TOP_K), the best VERIFY_TOP "
            "are checked geometrically with local features, and a kernel density over the verified "
            "references gives the estimate, a calibrated confidence (confident / uncertain / no match), "
            "an error radius and the 50 % and 90 % highest-density footprints. "
            "Input: photos and/or folders of photos. An unreadable photo gets an error row and the "
            "batch continues. AREA (a polygon layer) or AREA_EXTENT restricts the search. "
            "All outputs are in EPSG:28992 (RD New)."
        )

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterMultipleLayers(
            self.INPUT, self.tr("Photos or folders of photos"), QgsProcessing.TypeFile))
        self.addParameter(QgsProcessingParameterFile(
            self.DATABASE, self.tr("Reference database"), extension="gpkg"))
        self.addParameter(QgsProcessingParameterNumber(
            self.TOP_K, self.tr("Candidates retrieved per photo"), QgsProcessingParameterNumber.Integer, 100,
            minValue=1, maxValue=1000))
        self.addParameter(QgsProcessingParameterNumber(
            self.VERIFY_TOP, self.tr("Candidates verified per photo"), QgsProcessingParameterNumber.Integer, 50,
            minValue=0, maxValue=1000))
        self.addParameter(QgsProcessingParameterFeatureSource(
            self.AREA, self.tr("Search only inside these polygons"), [QgsProcessing.TypeVectorPolygon],
            optional=True))
        self.addParameter(QgsProcessingParameterExtent(
            self.AREA_EXTENT, self.tr("Search only inside this extent"), optional=True))
        self.addParameter(QgsProcessingParameterFeatureSink(
            self.OUTPUT_CANDIDATES, self.tr("Candidates"), QgsProcessing.TypeVectorPoint))
        self.addParameter(QgsProcessingParameterFeatureSink(
            self.OUTPUT_ESTIMATES, self.tr("Estimates"), QgsProcessing.TypeVectorPoint))
        self.addParameter(QgsProcessingParameterFeatureSink(
            self.OUTPUT_FOOTPRINTS, self.tr("Footprints"), QgsProcessing.TypeVectorPolygon))
        self.addParameter(QgsProcessingParameterRasterDestination(
            self.OUTPUT_POSTERIOR, self.tr("Posterior density"), optional=True, createByDefault=False))
        self.addOutput(QgsProcessingOutputNumber(self.LOCATED, self.tr("Photos located")))
        self.addOutput(QgsProcessingOutputNumber(self.CONFIDENT, self.tr("Photos located confidently")))
        self.addOutput(QgsProcessingOutputNumber(self.FAILED, self.tr("Photos that could not be read")))

    # --- helpers ------------------------------------------------------------------------
    def _area_rings(self, parameters, context, feedback):
        """The search area as RD New rings (outer rings and holes), or None."""
        rd = rl.rd_crs()
        geoms = []
        source = self.parameterAsSource(parameters, self.AREA, context)
        if source is not None:
            transform = QgsCoordinateTransform(source.sourceCrs(), rd, context.transformContext())
            for feat in source.getFeatures():
                g = QgsGeometry(feat.geometry())
                if g.isEmpty():
                    continue
                g.transform(transform)
                geoms.append(g)
            if not geoms:
                raise QgsProcessingException(self.tr("The search area layer has no polygons"))
        if parameters.get(self.AREA_EXTENT) not in (None, ""):
            rect = self.parameterAsExtent(parameters, self.AREA_EXTENT, context, rd)
            if not rect.isEmpty():
                geoms.append(QgsGeometry.fromRect(rect))
        if not geoms:
            return None
        area = QgsGeometry.unaryUnion(geoms) if len(geoms) > 1 else geoms[0]
        if source is not None and parameters.get(self.AREA_EXTENT) not in (None, "") and len(geoms) > 1:
            # both given: the extent clips the polygons
            area = QgsGeometry.unaryUnion(geoms[:-1]).intersection(geoms[-1])
        rings = []
        polygons = area.asMultiPolygon() if area.isMultipart() else [area.asPolygon()]
        for polygon in polygons:
            for ring in polygon:
                rings.append([(p.x(), p.y()) for p in ring])
        if not rings:
            raise QgsProcessingException(self.tr("The search area is empty"))
        feedback.pushInfo(self.tr("Searching inside an area of {0:.2f} km²").format(area.area() / 1e6))
        return rings

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        from ..geopin_plugin.engine.images import ImageError
        from ..geopin_plugin.engine.pipeline import Cancelled, PipelineConfig, PipelineError, get_geolocator, read_photo

        inputs = self.parameterAsFileList(parameters, self.INPUT, context)
        photos = expand_inputs(inputs)
        if not photos:
            raise QgsProcessingException(self.tr("No photos given (INPUT is empty or the folders hold no images)"))
        database = self.parameterAsFile(parameters, self.DATABASE, context)
        if not database or not os.path.isfile(database):
            raise QgsProcessingException(self.tr("Reference database not found: {0}").format(database))
        config = PipelineConfig(
            top_k=self.parameterAsInt(parameters, self.TOP_K, context),
            verify_top=self.parameterAsInt(parameters, self.VERIFY_TOP, context),
        )
        area = self._area_rings(parameters, context, feedback)
        feedback.pushInfo(self.tr("Loading the database and models…"))
        try:
            geolocator = get_geolocator(database, config)
        except PipelineError as exc:
            raise QgsProcessingException(self.tr("Cannot use the reference database: {0}").format(exc))
        for warning in getattr(geolocator.db, "warnings", []):
            feedback.pushWarning(self.tr("Reference database: {0}").format(warning))

        rd = rl.rd_crs()
        cand_sink, cand_id = self.parameterAsSink(parameters, self.OUTPUT_CANDIDATES, context, rl.candidate_fields(),
                                                  QgsWkbTypes.Point, rd)
        est_sink, est_id = self.parameterAsSink(parameters, self.OUTPUT_ESTIMATES, context, rl.estimate_fields(),
                                                QgsWkbTypes.Point, rd)
        fp_sink, fp_id = self.parameterAsSink(parameters, self.OUTPUT_FOOTPRINTS, context, rl.footprint_fields(),
                                              QgsWkbTypes.MultiPolygon, rd)
        for sink, dest in ((cand_sink, self.OUTPUT_CANDIDATES), (est_sink, self.OUTPUT_ESTIMATES),
                           (fp_sink, self.OUTPUT_FOOTPRINTS)):
            if sink is None:
                raise QgsProcessingException(self.invalidSinkError(parameters, dest))
        del sink  # the loop variable must not keep a writer open: outputs are verified once all are closed
        cand_sink = CountingSink(cand_sink, self.tr("Candidates"))
        est_sink = CountingSink(est_sink, self.tr("Estimates"))
        fp_sink = CountingSink(fp_sink, self.tr("Footprints"))
        _style_on_load(context, cand_id, "candidates")
        _style_on_load(context, est_id, "estimates")
        _style_on_load(context, fp_id, "footprints")
        posterior_path = None
        if parameters.get(self.OUTPUT_POSTERIOR) not in (None, ""):
            posterior_path = self.parameterAsOutputLayer(parameters, self.OUTPUT_POSTERIOR, context)
        posterior_written = []

        located = confident = failed = 0
        n = len(photos)
        for i, path in enumerate(photos):
            if feedback.isCanceled():
                break
            name = os.path.basename(path)
            feedback.setProgressText(self.tr("Photo {0} of {1}: {2}").format(i + 1, n, name))

            def progress(stage, fraction, message, _i=i):
                share = {"embed": 0.1, "search": 0.15, "verify": 0.85, "posterior": 1.0}.get(stage, 0.0)
                start = {"embed": 0.0, "search": 0.1, "verify": 0.15, "posterior": 0.85}.get(stage, 0.0)
                feedback.setProgress(100.0 * (_i + start + (share - start) * fraction) / n)

            try:
                image, exif = read_photo(path)
            except (ImageError, OSError) as exc:
                failed += 1
                feedback.reportError(self.tr("{0}: cannot read the photo ({1}); skipped").format(name, exc), False)
                est_sink.addFeature(rl.error_feature(name, str(exc)), QgsFeatureSink.FastInsert)
                continue
            gps = (exif["lat"], exif["lon"]) if exif.get("lat") is not None and exif.get("lon") is not None else None
            try:
                geo = geolocator.locate(image, area=area, exif_gps=gps, progress=progress,
                                        is_canceled=feedback.isCanceled)
            except Cancelled:
                break
            except Exception as exc:  # one bad photo must not end the batch
                failed += 1
                get_logger("processing").exception("Geolocation of %s failed", path)
                feedback.reportError(self.tr("{0}: geolocation failed ({1}); skipped").format(name, exc), False)
                est_sink.addFeature(rl.error_feature(name, str(exc)), QgsFeatureSink.FastInsert)
                continue
            located += 1
            confident += geo.label == "confident"
            cand_sink.addFeatures(rl.candidate_features(name, geo), QgsFeatureSink.FastInsert)
            est_sink.addFeature(rl.estimate_feature(name, geo), QgsFeatureSink.FastInsert)
            fp_sink.addFeatures(rl.footprint_features(name, geo), QgsFeatureSink.FastInsert)
            msg = self.tr("{0}: {1}, confidence {2:.2f}, ±{3:.0f} m, {4} verified; {5:.1f} s").format(
                name, geo.label, geo.confidence, geo.error_radius_m, geo.n_verified, sum(geo.timings.values()))
            if geo.lat is not None:
                msg += self.tr(" at {0:.6f}, {1:.6f}").format(geo.lat, geo.lon)
            if geo.exif_distance_m is not None:
                msg += self.tr(" ({0:.0f} m from its EXIF position)").format(geo.exif_distance_m)
            feedback.pushInfo(msg)
            if posterior_path and geo.posterior is not None:
                target = posterior_path
                if posterior_written:  # one GeoTIFF per photo: the first at the given path
                    stem, ext = os.path.splitext(posterior_path)
                    target = f"{stem}_{len(posterior_written) + 1}{ext or '.tif'}"
                try:
                    rl.write_posterior_geotiff(target, geo.posterior, geo.geotransform)
                except OSError as exc:
                    raise QgsProcessingException(self.tr("Cannot write the posterior raster {0}: {1}").format(
                        target, exc))
                posterior_written.append(target)
                if len(posterior_written) > 1:
                    feedback.pushInfo(self.tr("Posterior of {0} written to {1}").format(name, target))
            feedback.setProgress(100.0 * (i + 1) / n)

        problems = output_problems([(cand_sink, cand_id), (est_sink, est_id), (fp_sink, fp_id)], posterior_written)
        if problems:  # a full disk must not look like success
            raise QgsProcessingException(self.tr("Some outputs were not written (is the disk full?): {0}. Free "
                                                 "space or choose another folder and run again.").format(
                "; ".join(problems)))
        results = {
            self.OUTPUT_CANDIDATES: cand_id,
            self.OUTPUT_ESTIMATES: est_id,
            self.OUTPUT_FOOTPRINTS: fp_id,
            self.LOCATED: located,
            self.CONFIDENT: confident,
            self.FAILED: failed,
        }
        if posterior_written:
            results[self.OUTPUT_POSTERIOR] = posterior_written[0]
            _style_on_load(context, posterior_path, "posterior")
        return results
