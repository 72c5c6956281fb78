"""geopin:geolocatephotos: a thin adapter over engine/pipeline.py.

INPUT takes one or more photos and/or folders (batch). Each photo goes through
retrieval, verification and the posterior; an unreadable photo gives an error row
in OUTPUT_ESTIMATES (and a warning) and the batch goes on. Outputs are in
EPSG:28992; only OUTPUT_ESTIMATES is required. When loaded into the project they
are styled from resources/styles/, named after the photo ("GeoPin estimates —
IMG_2041.jpg") and grouped like the dock's results ("GeoPin: IMG_2041.jpg").
"""
import os
from dataclasses import dataclass
from typing import Callable

from qgis.core import (
    QgsProcessingContext,
    QgsFeatureSink,
    QgsGeometry,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterExtent,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterRasterDestination,
    QgsWkbTypes,
)

from ..geopin_plugin import result_layers as rl
from ..geopin_plugin.album_layers import TRACK_WKB, album_estimate_fields, track_fields
from ..geopin_plugin.areas import geometries_in, rings_of
from ..geopin_plugin.errors import user_message
from ..geopin_plugin.i18n import label_text, number
from ..geopin_plugin.log import get_logger
from ..geopin_plugin.output_check import CountingSink, output_problems
from .album_step import AlbumParameters
from .base import GeoPinAlgorithm
from .buildings_param import BuildingOutlines
from .outputs import destination_given, style_on_load
from .params import DatabaseInput, SearchDepth

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp")

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


@dataclass(frozen=True)
class VectorOutput:
    """One vector output of Geolocate photos, listed once (parameter, sink, name, style)."""
    dest: str  # the parameter name
    kind: str  # its layer kind (result_styles)
    label: str  # the parameter's and the sink check's name
    title: str  # the layer name when loaded, {0}: the run
    help: str
    fields: Callable
    wkb: int
    layer_type: int


class GeolocatePhotos(DatabaseInput, SearchDepth, AlbumParameters, BuildingOutlines, GeoPinAlgorithm):
    INPUT = "INPUT"
    AREA = "AREA"
    AREA_EXTENT = "AREA_EXTENT"
    QUERY_MASKS = "QUERY_MASKS"
    OUTPUT_CANDIDATES = "OUTPUT_CANDIDATES"
    OUTPUT_ESTIMATES = "OUTPUT_ESTIMATES"
    OUTPUT_FOOTPRINTS = "OUTPUT_FOOTPRINTS"
    OUTPUT_POSTERIOR = "OUTPUT_POSTERIOR"
    OUTPUT_VIEWCONES = "OUTPUT_VIEWCONES"
    LOCATED = "LOCATED"
    CONFIDENT = "CONFIDENT"
    FAILED = "FAILED"

    def name(self):
        return "geolocatephotos"

    def displayName(self):  # noqa: N802
        return self.tr("Geolocate photos")

    def shortHelpString(self):  # noqa: N802
        return self.tr(
            "Finds where photos were taken from their pixels alone, using a GeoPin reference database.\n\n"
            "<b>Photos or folders of photos</b>: one or more photos; a folder adds its images.\n"
            "<b>Reference database</b>: a GeoPin database (Build reference database); prefilled with the "
            "one the GeoPin panel last used.\n"
            "<b>Candidates retrieved per photo</b>: the most similar reference views searched.\n"
            "<b>Candidates verified per photo</b>: how many of them are checked geometrically with local "
            "features (more: slower, surer).\n"
            "<b>Search only inside these polygons / this extent</b>: optional limits of the search.\n"
            "<b>Estimates</b> (required): one row per photo with the best location, a calibrated confidence "
            "(confident / uncertain / no match) and an error radius; a \"no match\" has no point.\n"
            "<b>Candidates</b>, <b>Footprints</b> (50 % and 90 % regions), <b>Posterior density</b>: "
            "optional; one posterior raster per photo.\n"
            "<b>View cones</b>: optional; where each located camera looked: from the estimate along the camera "
            "heading, as wide as the photo's field of view (from EXIF, else estimated). Photos without a "
            "heading get none; the log says why.\n\n"
            "An unreadable photo gets an error row and the batch continues. All outputs are in "
            "EPSG:28992 (RD New)."
        )

    def vector_outputs(self):
        P, W = QgsProcessing, QgsWkbTypes
        return (
            VectorOutput(self.OUTPUT_CANDIDATES, "candidates", self.tr("Candidates"),
                         self.tr("GeoPin candidates — {0}"),
                         self.tr("The retrieved reference views with similarity and inliers."),
                         rl.candidate_fields, W.Point, P.TypeVectorPoint),
            VectorOutput(self.OUTPUT_ESTIMATES, "estimates", self.tr("Estimates"), self.tr("GeoPin estimates — {0}"),
                         self.tr("One row per photo; a point only where it was located."),
                         lambda: album_estimate_fields(rl.estimate_fields()), W.Point, P.TypeVectorPoint),
            VectorOutput(self.OUTPUT_FOOTPRINTS, "footprints", self.tr("Footprints"),
                         self.tr("GeoPin footprints — {0}"),
                         self.tr("The 50 % and 90 % highest-density regions of each photo."),
                         rl.footprint_fields, W.MultiPolygon, P.TypeVectorPolygon),
            VectorOutput(self.OUTPUT_VIEWCONES, "viewcones", self.tr("View cones"), self.tr("GeoPin view cones — {0}"),
                         self.tr("Where each located camera looked: heading, field of view and depth."),
                         rl.viewcone_fields, W.Polygon, P.TypeVectorPolygon),
            VectorOutput(self.OUTPUT_TRACK, "track", self.tr("Album tracks"), self.tr("GeoPin album tracks — {0}"),
                         "", track_fields, TRACK_WKB, P.TypeVectorLine),
        )

    def initAlgorithm(self, config=None):  # noqa: N802
        self.add(QgsProcessingParameterMultipleLayers(
            self.INPUT, self.tr("Photos or folders of photos"), QgsProcessing.TypeFile),
            self.tr("Photos and/or folders; a folder adds its images (not its subfolders)."))
        self.add_database_input(self.tr("Reference database"), remembered=True, help_text=self.tr(
            "A GeoPin reference database (.gpkg) made by Build reference database."))
        self.add_search_depth()
        self.add(QgsProcessingParameterFeatureSource(
            self.AREA, self.tr("Search only inside these polygons"), [QgsProcessing.TypeVectorPolygon],
            optional=True), self.tr("Search only reference views inside these polygons (any CRS)."))
        self.add(QgsProcessingParameterExtent(
            self.AREA_EXTENT, self.tr("Search only inside this extent"), optional=True),
            self.tr("Search only reference views inside this extent."))
        for out in self.vector_outputs():
            if out.dest == self.OUTPUT_TRACK:
                continue  # an album parameter (add_album_parameters)
            self.add(QgsProcessingParameterFeatureSink(
                out.dest, out.label, out.layer_type, optional=out.dest != self.OUTPUT_ESTIMATES,
                createByDefault=True), out.help)
            if out.dest == self.OUTPUT_FOOTPRINTS:
                self.add(QgsProcessingParameterRasterDestination(
                    self.OUTPUT_POSTERIOR, self.tr("Posterior density"), optional=True, createByDefault=False),
                    self.tr("The posterior density as a GeoTIFF; one file per photo."))
        self.add_album_parameters()
        self.add_building_outlines()
        self.add(QgsProcessingParameterBoolean(
            self.QUERY_MASKS, self.tr("Learn an overlay mask from the photos of one camera"), defaultValue=False),
            self.tr("With 8 or more photos of one camera (folder, make, model, size), learn what stays the same in "
                    "all of them (a logo, a hood, a time stamp) and do not match those pixels. Off by default: on "
                    "the shared test data it helped only where the reference database had no masks of its own, "
                    "and elsewhere it made one answer confidently wrong (docs/evaluation.md)."), advanced=True)
        self.addOutput(QgsProcessingOutputNumber(self.LOCATED, self.tr("Photos located (confident or uncertain; "
                                                                        "not the no matches)")))
        self.addOutput(QgsProcessingOutputNumber(self.CONFIDENT, self.tr("Photos located confidently")))
        self.addOutput(QgsProcessingOutputNumber(self.FAILED, self.tr("Photos that could not be read")))

    # --- helpers ------------------------------------------------------------------------
    def _area_rings(self, parameters, context, feedback):
        """The search area as RD New rings (outer rings and holes), or None."""
        rd = rl.rd_crs()
        geoms = []
        source = self.parameterAsSource(parameters, self.AREA, context)
        if source is not None:
            geoms = [g for _, g in geometries_in(source.getFeatures(), source.sourceCrs(), rd,
                                                 context.transformContext())]
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
        rings = rings_of(area)
        if not rings:
            raise QgsProcessingException(self.tr("The search area is empty"))
        feedback.pushInfo(self.tr("Searching inside an area of {0:.2f} km²").format(area.area() / 1e6))
        return rings

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        from ..geopin_plugin.engine.images import ImageError
        from ..geopin_plugin.engine.panorama_query import is_panorama_query, locate_panorama
        from ..geopin_plugin.engine.pipeline import Cancelled, PipelineError, get_geolocator, locate_fraction, read_photo

        inputs = self.parameterAsFileList(parameters, self.INPUT, context)
        photos = expand_inputs(inputs)
        if not photos:
            raise QgsProcessingException(self.tr("No photos given (INPUT is empty or the folders hold no images)"))
        database = self.existing_database(parameters, context)
        config = self.search_config(parameters, context)
        area = self._area_rings(parameters, context, feedback)
        albums = self.album_step(parameters, context)
        buildings, buildings_http = self.building_map(parameters, context, feedback)
        feedback.pushInfo(self.tr("Loading the database and models…"))
        try:
            geolocator = get_geolocator(database, config)
        except PipelineError as exc:
            get_logger("processing").warning("Cannot use %s: %s", database, exc)
            raise QgsProcessingException(self.tr("Cannot use the reference database: {0}").format(user_message(exc)))
        if geolocator.notice:
            from ..geopin_plugin.engine.models import DEFAULT_EXTRACTOR

            feedback.pushWarning(self.tr(
                "This database holds {0} local features, so it is verified with the older verifier. Run "
                "'Build reference database' on it again to add {1} features (nothing is re-embedded).").format(
                    geolocator.extractor.preset_id, DEFAULT_EXTRACTOR))
        for warning in getattr(geolocator.db, "warnings", []):
            feedback.pushWarning(self.tr("Reference database: {0}").format(warning))

        rd = rl.rd_crs()
        sinks, ids = {}, {}
        for out in self.vector_outputs():
            optional = out.dest != self.OUTPUT_ESTIMATES
            if optional and not destination_given(parameters.get(out.dest)):
                sinks[out.dest], ids[out.dest] = None, None  # skipped: nothing to write or load
                continue
            # counted, so that outputs are verified once all writers are closed (a full disk is not success;
            # no other reference to a sink may outlive them: the writer closes when the last one goes)
            sinks[out.dest], ids[out.dest] = self.required_sink(parameters, out.dest, context, out.fields(), out.wkb, rd)
            sinks[out.dest] = CountingSink(sinks[out.dest], out.label)
        cand_sink, est_sink, fp_sink, cone_sink = (sinks[self.OUTPUT_CANDIDATES], sinks[self.OUTPUT_ESTIMATES],
                                                   sinks[self.OUTPUT_FOOTPRINTS], sinks[self.OUTPUT_VIEWCONES])
        run_name = os.path.basename(photos[0]) if len(photos) == 1 else self.tr("{0} photos").format(len(photos))
        group = rl.result_group_name(run_name)
        for out in self.vector_outputs():
            style_on_load(context, ids[out.dest], out.kind, out.title.format(run_name), group)
        posterior_path = None
        if destination_given(parameters.get(self.OUTPUT_POSTERIOR)):
            posterior_path = self.parameterAsOutputLayer(parameters, self.OUTPUT_POSTERIOR, context)
        posterior_written = []

        est_sink_fields = album_estimate_fields(rl.estimate_fields())
        query_masks = self._query_masks(photos, feedback, self.parameterAsBool(parameters, self.QUERY_MASKS, context))
        located = confident = failed = 0
        n = len(photos)
        for i, path in enumerate(photos):
            if feedback.isCanceled():
                break
            name = os.path.basename(path)  # messages; the features carry the full path
            feedback.setProgressText(self.tr("Photo {0} of {1}: {2}").format(i + 1, n, name))

            def progress(stage, fraction, message, _i=i):
                feedback.setProgress(100.0 * (_i + locate_fraction(stage, fraction)) / n)

            try:
                image, exif = read_photo(path)
            except (ImageError, OSError) as exc:
                failed += 1
                get_logger("processing").warning("Cannot read %s: %s", path, exc)
                feedback.reportError(self.tr("{0}: {1}; skipped").format(name, user_message(exc)), False)
                albums.add(path, None, rl.error_feature(path, str(exc), est_sink_fields))
                continue
            gps = (exif["lat"], exif["lon"]) if exif.get("lat") is not None and exif.get("lon") is not None else None
            coverage_m = self._coverage_warning(database, name, gps, feedback)
            try:
                if is_panorama_query(image, path):  # cut into views located together (one answer)
                    pano = locate_panorama(geolocator, image, is_canceled=feedback.isCanceled, area=area,
                                           exif_gps=gps, buildings=buildings)
                    geo = pano.as_geolocation()
                    feedback.pushInfo(self._panorama_summary(name, pano))
                else:
                    geo = geolocator.locate(image, area=area, exif_gps=gps, progress=progress,
                                            is_canceled=feedback.isCanceled, focal_35mm=exif.get("focal_35mm"),
                                            buildings=buildings, query_mask=query_masks.mask_for(path))
            except Cancelled:
                break
            except Exception as exc:  # one bad photo must not end the batch
                failed += 1
                get_logger("processing").exception("Geolocation of %s failed", path)
                feedback.reportError(self.tr("{0}: geolocation failed ({1}); skipped").format(name, user_message(exc)),
                                     False)
                albums.add(path, None, rl.error_feature(path, str(exc), est_sink_fields))
                continue
            located += rl.is_located(geo)  # a "no match" has no position: not located
            confident += geo.label == "confident"
            if buildings is not None and buildings.errors:
                feedback.pushWarning(self.tr("{0}: building outlines missing ({1}); located without them").format(
                    name, buildings.errors[-1]))
                buildings.errors.clear()
            if cand_sink is not None:
                cand_sink.addFeatures(rl.candidate_features(path, geo), QgsFeatureSink.FastInsert)
            albums.add(path, geo, rl.estimate_feature(path, geo, est_sink_fields, coverage_m=coverage_m))
            if fp_sink is not None:
                fp_sink.addFeatures(rl.footprint_features(path, geo), QgsFeatureSink.FastInsert)
            feedback.pushInfo(self._summary(name, geo))
            if cone_sink is not None:
                cone_sink.addFeatures(rl.viewcone_features(path, geo), QgsFeatureSink.FastInsert)
                feedback.pushInfo(self.tr("{0}: {1}").format(name, rl.cone_summary(geo)))
            if posterior_path and rl.is_located(geo) and geo.posterior is not None:
                target = posterior_path
                if posterior_written:  # one GeoTIFF per photo: the first at the given path
                    stem, ext = os.path.splitext(posterior_path)
                    target = f"{stem}_{len(posterior_written) + 1}{ext or '.tif'}"
                try:
                    rl.write_posterior_geotiff(target, geo.posterior, geo.geotransform)
                except OSError as exc:
                    raise QgsProcessingException(self.tr("Cannot write the posterior raster {0}: {1}").format(
                        target, exc))
                posterior_written.append((target, name))
                if len(posterior_written) > 1:
                    feedback.pushInfo(self.tr("Posterior of {0} written to {1}").format(name, target))
            feedback.setProgress(100.0 * (i + 1) / n)

        albums.finish(est_sink, sinks[self.OUTPUT_TRACK], feedback)
        if buildings_http is not None:
            buildings_http.close()
        problems = output_problems([(sinks[d], ids[d]) for d in sinks if sinks[d] is not None],
                                   [target for target, _ in posterior_written])
        if problems:  # a full disk must not look like success
            raise QgsProcessingException(self.tr("Some outputs were not written (is the disk full?): {0}. Free "
                                                 "space or choose another folder and run again.").format(
                "; ".join(problems)))
        results = {self.LOCATED: located, self.CONFIDENT: confident, self.FAILED: failed}
        results.update({dest: dest_id for dest, dest_id in ids.items() if dest_id})
        if posterior_written:
            results[self.OUTPUT_POSTERIOR] = posterior_written[0][0]
            self._load_posteriors(context, posterior_path, posterior_written, group)
        elif posterior_path and context.willLoadLayerOnCompletion(posterior_path):
            # nothing was written (no photo located): nothing to load, so no false "not generated"
            context.setLayersToLoadOnCompletion({k: v for k, v in context.layersToLoadOnCompletion().items()
                                                 if k != posterior_path})
        return results

    def _load_posteriors(self, context, posterior_path, written, group):
        """Every photo's posterior raster is loaded, not only the one at the given path."""
        loading = context.willLoadLayerOnCompletion(posterior_path)
        for target, photo in written:
            title = self.tr("GeoPin posterior density — {0}").format(photo)
            if loading and target != posterior_path:
                context.addLayerToLoadOnCompletion(target, QgsProcessingContext.LayerDetails(
                    title, context.project(), self.OUTPUT_POSTERIOR))
            style_on_load(context, target, "posterior", title, group)

    def _coverage_warning(self, database, name, gps, feedback):
        """Say first when the photo's EXIF position lies outside the database's coverage."""
        if gps is None:
            return None
        from ..geopin_plugin.engine.database.coverage import FAR_OUTSIDE_M, distance_to_coverage_m

        distance = distance_to_coverage_m(database, *gps)
        if distance is not None and distance > FAR_OUTSIDE_M:
            text = self.tr("{0}: its EXIF position is {1} km from the nearest reference view, outside this "
                           "database's coverage; expect no match").format(name, number(distance / 1000.0, 1))
            (getattr(feedback, "pushWarning", None) or feedback.pushInfo)(text)
        return distance

    def _query_masks(self, photos, feedback, wanted):
        """The photos' own overlay masks, per camera with enough photos (engine/query_overlay.py),
        when the user asks for them."""
        from ..geopin_plugin.engine.database.overlay_masks import MIN_GROUP_IMAGES
        from ..geopin_plugin.engine.query_overlay import QueryMasks, learn_query_masks

        if not wanted or len(photos) < MIN_GROUP_IMAGES:
            return QueryMasks()
        feedback.pushInfo(self.tr("Looking for a logo, hood or time stamp shared by the photos of one camera…"))
        masks = learn_query_masks(photos, is_canceled=feedback.isCanceled)
        for group, images, share in masks.learned:
            feedback.pushInfo(self.tr("Photos' overlay mask for {0}: {1} photos, {2:.1f} % of the photo masked").format(
                group, images, 100.0 * share))
        return masks

    def _panorama_summary(self, name, pano):
        """A panorama query: how many views agree, and each view's compass heading."""
        if pano.centre_heading_deg is None:
            headings = ", ".join(f"{v.rel_heading:g}°" for v in pano.views)
            return self.tr("{0}: a 360° panorama, located from {1} views (at {2} in the panorama; compass "
                           "heading unknown), {3} agree").format(name, len(pano.views), headings, pano.agreeing_views)
        headings = ", ".join(f"{number(v.heading_deg, 0)}°" for v in pano.views)
        return self.tr("{0}: a 360° panorama, located from {1} views facing {2}; {3} agree").format(
            name, len(pano.views), headings, pano.agreeing_views)

    def _summary(self, name, geo):
        if not rl.is_located(geo):
            return self.tr("{0}: not located (no match; {1} verified of {2} candidates); {3} s").format(
                name, geo.n_verified, len(geo.candidates), number(sum(geo.timings.values()), 1))
        msg = self.tr("{0}: {1}, confidence {2}, ±{3} m, {4} verified; {5} s").format(
            name, label_text(geo.label), number(geo.confidence, 2), number(geo.error_radius_m, 0),
            geo.n_verified, number(sum(geo.timings.values()), 1))
        msg += self.tr(" at {0}, {1}").format(number(geo.lat, 6), number(geo.lon, 6))
        if geo.exif_distance_m is not None:
            msg += self.tr(" ({0} m from its EXIF position)").format(number(geo.exif_distance_m, 0))
        return msg
