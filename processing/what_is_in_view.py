"""geopin:whatisinview: from a located photo to its parcel, building and address.

A thin adapter over engine/pdok/whatisinview.py. Input: the estimates of
geopin:geolocatephotos and (optionally) its posterior rasters and view cones; data
from PDOK's OGC API Features (BRK perceel, BAG or BGT pand, BAG verblijfsobject;
cached in a GeoPackage) or from the user's own layers. One row per parcel, building
and address per photo, with its probability; EPSG:28992, styled on load.
"""
import numpy as np
from qgis.core import (
    QgsCoordinateTransform,
    QgsFeatureSink,
    QgsGeometry,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
    QgsWkbTypes,
)

from ..geopin_plugin import parcel_layers as pl
from ..geopin_plugin import result_layers as rl
from ..geopin_plugin.areas import geometries_in, polygons_of
from ..geopin_plugin.settings import pdok_cache_path
from .base import GeoPinAlgorithm
from .outputs import style_on_load


# A posterior GeoPin writes is a few hundred cells a side (3 m cells where something
# verified, 15 m else); 16 M cells (a 12 km square at 3 m) is 128 MB as float64. A
# sparse GeoTIFF claiming 30000 x 30000 (112 KB on disk) once made this read 24 GB.
MAX_POSTERIOR_CELLS = 16_000_000


def read_raster(layer):
    """(grid, geotransform) of a single-band raster layer in EPSG:28992; OSError
    when it cannot be read or has more cells than a posterior can have."""
    from osgeo import gdal

    ds = gdal.Open(layer.source())
    if ds is None:
        raise OSError(layer.source())
    cols, rows = ds.RasterXSize, ds.RasterYSize
    if cols * rows > MAX_POSTERIOR_CELLS:
        raise OSError(f"{layer.source()}: {cols} x {rows} cells, more than a GeoPin posterior has "
                      f"(at most {MAX_POSTERIOR_CELLS // 1_000_000} million); resample it to coarser cells")
    grid = ds.GetRasterBand(1).ReadAsArray()
    return grid, ds.GetGeoTransform()


def newest_estimates_layer():
    """The id of the top-most GeoPin estimates layer of the project, so the dialog offers it
    rather than the first point layer it finds (a candidates layer); None when there is none."""
    from qgis.core import QgsProject

    from ..geopin_plugin.result_layers import layer_kind

    for node in QgsProject.instance().layerTreeRoot().findLayers():
        if node.layer() is not None and layer_kind(node.layer()) == "estimates":
            return node.layer().id()
    return None


class WhatIsInView(GeoPinAlgorithm):
    ESTIMATES = "ESTIMATES"
    POSTERIORS = "POSTERIORS"
    VIEW_CONES = "VIEW_CONES"
    DATA = "DATA"
    PARCELS = "PARCELS"
    BUILDINGS = "BUILDINGS"
    ADDRESSES = "ADDRESSES"
    BUILDINGS_FROM = "BUILDINGS_FROM"
    MAX_DISTANCE = "MAX_DISTANCE"
    TOP_N = "TOP_N"
    SKIP_NO_MATCH = "SKIP_NO_MATCH"
    CACHE = "CACHE"
    BRK_URL, BGT_URL, BAG_URL = "BRK_URL", "BGT_URL", "BAG_URL"
    OUTPUT_PARCELS = "OUTPUT_PARCELS"
    OUTPUT_BUILDINGS = "OUTPUT_BUILDINGS"
    OUTPUT_ADDRESSES = "OUTPUT_ADDRESSES"
    PHOTOS = "PHOTOS"
    FAILED = "FAILED"

    def name(self):
        return "whatisinview"

    def displayName(self):  # noqa: N802
        return self.tr("Parcels, buildings and addresses in view")

    def shortHelpString(self):  # noqa: N802
        return self.tr(
            "For each photo located by 'Geolocate photos': the cadastral parcels (BRK) with the probability "
            "that the camera stood on them (the posterior integrated over each parcel), the buildings (BAG or "
            "BGT pand) ranked by the probability that the photo shows them (nearest facade first, as seen from "
            "camera positions drawn from the posterior) and the addresses (BAG verblijfsobjecten) of those "
            "buildings. Data: PDOK's open OGC API Features (cached in a GeoPackage) or your own layers. "
            "Without a posterior raster the estimate's error radius is used. An optional view-cone layer "
            "limits the buildings to those in view. All outputs are in EPSG:28992. See docs/pdok.md."
        )

    def initAlgorithm(self, config=None):  # noqa: N802
        from ..geopin_plugin.engine.pdok.services import SERVICES

        self.addParameter(QgsProcessingParameterFeatureSource(
            self.ESTIMATES, self.tr("Estimates (from Geolocate photos)"), [QgsProcessing.TypeVectorPoint],
            defaultValue=newest_estimates_layer()))
        self.addParameter(QgsProcessingParameterMultipleLayers(
            self.POSTERIORS, self.tr("Posterior density rasters"), QgsProcessing.TypeRaster, optional=True))
        self.addParameter(QgsProcessingParameterFeatureSource(
            self.VIEW_CONES, self.tr("View cones (optional, field 'photo')"), [QgsProcessing.TypeVectorPolygon],
            optional=True))
        self.addParameter(QgsProcessingParameterEnum(
            self.DATA, self.tr("Parcels, buildings and addresses from"),
            [self.tr("PDOK (BRK, BAG/BGT, BAG)"), self.tr("My own layers")], defaultValue=0))
        for key, label, kind in ((self.PARCELS, self.tr("Parcel layer (own data)"), QgsProcessing.TypeVectorPolygon),
                                 (self.BUILDINGS, self.tr("Building layer (own data)"),
                                  QgsProcessing.TypeVectorPolygon),
                                 (self.ADDRESSES, self.tr("Address layer (own data)"), QgsProcessing.TypeVectorPoint)):
            self.addParameter(QgsProcessingParameterFeatureSource(key, label, [kind], optional=True))
        self.addParameter(QgsProcessingParameterEnum(
            self.BUILDINGS_FROM, self.tr("Buildings from (PDOK)"), [self.tr("BAG pand"), self.tr("BGT pand")],
            defaultValue=0))
        self.addParameter(QgsProcessingParameterNumber(
            self.MAX_DISTANCE, self.tr("Farthest facade in view (m)"), QgsProcessingParameterNumber.Double, 60.0,
            minValue=5.0, maxValue=500.0))
        self.addParameter(QgsProcessingParameterNumber(
            self.TOP_N, self.tr("Parcels and buildings kept per photo"), QgsProcessingParameterNumber.Integer, 10,
            minValue=1, maxValue=1000))
        self.addParameter(QgsProcessingParameterBoolean(
            self.SKIP_NO_MATCH, self.tr("Skip photos labelled 'no match'"), defaultValue=True))
        self.add(QgsProcessingParameterFileDestination(
            self.CACHE, self.tr("PDOK cache (GeoPackage)"), "GeoPackage (*.gpkg)", optional=True,
            createByDefault=False), advanced=True)
        for key, service in ((self.BRK_URL, "brk"), (self.BGT_URL, "bgt"), (self.BAG_URL, "bag")):
            self.add(QgsProcessingParameterString(
                key, self.tr("{0} OGC API address").format(SERVICES[service][0]), SERVICES[service][1]),
                advanced=True)
        self.addParameter(QgsProcessingParameterFeatureSink(
            self.OUTPUT_PARCELS, self.tr("Parcels"), QgsProcessing.TypeVectorPolygon))
        self.addParameter(QgsProcessingParameterFeatureSink(
            self.OUTPUT_BUILDINGS, self.tr("Buildings"), QgsProcessing.TypeVectorPolygon))
        self.addParameter(QgsProcessingParameterFeatureSink(
            self.OUTPUT_ADDRESSES, self.tr("Addresses"), QgsProcessing.TypeVectorPoint))
        self.addOutput(QgsProcessingOutputNumber(self.PHOTOS, self.tr("Photos answered")))
        self.addOutput(QgsProcessingOutputNumber(self.FAILED, self.tr("Photos that could not be answered")))

    # --- inputs -----------------------------------------------------------------------------
    def _rasters(self, parameters, context, feedback):
        out = []
        for layer in self.parameterAsLayerList(parameters, self.POSTERIORS, context):
            if layer.crs().authid() != pl.RD_NEW:
                raise QgsProcessingException(self.tr("{0}: the posterior raster must be in EPSG:28992").format(
                    layer.name()))
            try:
                out.append((layer.name(), *read_raster(layer)))
            except (OSError, RuntimeError) as exc:
                raise QgsProcessingException(self.tr("Cannot read the posterior raster {0}").format(exc))
        return out

    @staticmethod
    def _posterior_for(x, y, rasters):
        """The raster with the highest density at the estimate (None when none covers it)."""
        from ..geopin_plugin.engine.pdok.parcels import DensityGrid

        best, best_value = None, 0.0
        for _, grid, gt in rasters:
            col, row = int((x - gt[0]) // gt[1]), int((y - gt[3]) // gt[5])
            if 0 <= row < grid.shape[0] and 0 <= col < grid.shape[1] and grid[row, col] > best_value:
                best, best_value = (grid, gt), float(grid[row, col])
        return DensityGrid(*best) if best is not None else None

    def _view_cones(self, parameters, context):
        source = self.parameterAsSource(parameters, self.VIEW_CONES, context)
        if source is None:
            return {}
        has_photo = source.fields().indexOf("photo") >= 0
        cones = {}
        for feat, geom in geometries_in(source.getFeatures(), source.sourceCrs(), rl.rd_crs(),
                                        context.transformContext()):
            rings = [[np.array(ring) for ring in polygon] for polygon in polygons_of(geom)]
            cones.setdefault(feat["photo"] if has_photo else None, []).extend(rings)
        return cones

    def _loader(self, parameters, context, feedback):
        from ..geopin_plugin.engine.pdok.features import parse_addresses, parse_buildings, parse_parcels
        from ..geopin_plugin.engine.pdok.fetch import AreaData, PdokFetcher

        if self.parameterAsEnum(parameters, self.DATA, context) == 1:
            sources = {key: self.parameterAsSource(parameters, key, context)
                       for key in (self.PARCELS, self.BUILDINGS, self.ADDRESSES)}
            if all(s is None for s in sources.values()):
                raise QgsProcessingException(self.tr(
                    "'My own layers' needs at least one of the parcel, building or address layers"))

            def load(bbox):
                tc = context.transformContext()
                data = AreaData()
                if sources[self.PARCELS] is not None:
                    data.parcels = parse_parcels(pl.geojson_features(sources[self.PARCELS], bbox, tc, feedback))
                if sources[self.BUILDINGS] is not None:
                    data.buildings = parse_buildings(
                        pl.geojson_features(sources[self.BUILDINGS], bbox, tc, feedback), self.tr("own layer"))
                if sources[self.ADDRESSES] is not None:
                    data.addresses = parse_addresses(pl.geojson_features(sources[self.ADDRESSES], bbox, tc, feedback))
                return data

            return load, None
        from ..geopin_plugin.engine.pdok.cache import PdokCache
        from ..geopin_plugin.qgis_http import QgisHttpClient

        cache_path = None
        if parameters.get(self.CACHE) not in (None, ""):
            cache_path = self.parameterAsFileOutput(parameters, self.CACHE, context)
        cache_path = cache_path or pdok_cache_path()
        try:
            cache = PdokCache(cache_path)
        except ValueError as exc:
            raise QgsProcessingException(str(exc))
        http = QgisHttpClient(timeout_ms=60000, feedback=feedback)
        urls = {service: self.parameterAsString(parameters, key, context) or None
                for key, service in ((self.BRK_URL, "brk"), (self.BGT_URL, "bgt"), (self.BAG_URL, "bag"))}
        fetcher = PdokFetcher(http, urls, cache=cache, is_canceled=feedback.isCanceled)
        buildings_from = ("bag", "bgt")[self.parameterAsEnum(parameters, self.BUILDINGS_FROM, context)]
        feedback.pushInfo(self.tr("PDOK answers are cached in {0}").format(cache_path))
        return (lambda bbox: fetcher.fetch(bbox, buildings_from)), http

    # --- run ----------------------------------------------------------------------------------
    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        from ..geopin_plugin.engine.pdok import whatisinview as wv
        from ..geopin_plugin.engine.pdok.parcels import DensityGrid
        from ..geopin_plugin.engine.pdok.client import PdokError
        from ..geopin_plugin.engine.errors import Cancelled

        estimates = self.parameterAsSource(parameters, self.ESTIMATES, context)
        if estimates is None:
            raise QgsProcessingException(self.invalidSourceError(parameters, self.ESTIMATES))
        fields = estimates.fields()
        for name in ("photo", "error_radius_m"):
            if fields.indexOf(name) < 0:
                raise QgsProcessingException(self.tr(
                    "The estimates layer has no '{0}' field: use the Estimates output of Geolocate photos").format(name))
        to_rd = QgsCoordinateTransform(estimates.sourceCrs(), rl.rd_crs(), context.transformContext())
        rasters = self._rasters(parameters, context, feedback)
        cones = self._view_cones(parameters, context)
        load, http = self._loader(parameters, context, feedback)
        max_distance = self.parameterAsDouble(parameters, self.MAX_DISTANCE, context)
        top_n = self.parameterAsInt(parameters, self.TOP_N, context)
        skip_no_match = self.parameterAsBool(parameters, self.SKIP_NO_MATCH, context)
        rd = rl.rd_crs()
        sinks = {}
        for key, fields_of, wkb, kind in ((self.OUTPUT_PARCELS, pl.parcel_fields, QgsWkbTypes.MultiPolygon, "parcels"),
                                          (self.OUTPUT_BUILDINGS, pl.building_fields, QgsWkbTypes.MultiPolygon,
                                           "buildings"),
                                          (self.OUTPUT_ADDRESSES, pl.address_fields, QgsWkbTypes.Point, "addresses")):
            sink, dest = self.required_sink(parameters, key, context, fields_of(), wkb, rd)
            style_on_load(context, dest, kind)
            sinks[key] = (sink, dest)
        answered = failed = 0
        rows = list(estimates.getFeatures())
        try:
            for i, feat in enumerate(rows):
                if feedback.isCanceled():
                    break
                photo = str(feat["photo"])
                geom = QgsGeometry(feat.geometry())
                label = str(feat["label"]) if fields.indexOf("label") >= 0 else ""
                if geom.isEmpty():
                    feedback.pushInfo(self.tr("{0}: no estimate (error row); skipped").format(photo))
                    continue
                if skip_no_match and label == "no match":
                    feedback.pushInfo(self.tr("{0}: 'no match'; skipped").format(photo))
                    continue
                geom.transform(to_rd)
                x, y = geom.asPoint().x(), geom.asPoint().y()
                grid = self._posterior_for(x, y, rasters)
                if grid is None:
                    radius = feat["error_radius_m"]
                    radius = float(radius) if radius not in (None, "") and radius == radius else 50.0
                    grid = DensityGrid.gaussian(x, y, radius)
                    feedback.pushInfo(self.tr("{0}: no posterior raster covers it; using its ±{1:.0f} m "
                                              "error radius").format(photo, radius))
                cone = cones.get(photo, cones.get(None))
                try:
                    answer = wv.analyse(grid, (x, y), load, view_cone=cone, max_distance_m=max_distance, top_n=top_n)
                except (PdokError, OSError, ValueError) as exc:
                    failed += 1
                    feedback.reportError(self.tr("{0}: {1}; skipped").format(photo, exc), False)
                    continue
                for w in answer.warnings:
                    feedback.pushWarning(f"{photo}: {w}")
                sinks[self.OUTPUT_PARCELS][0].addFeatures(pl.parcel_features(photo, answer), QgsFeatureSink.FastInsert)
                sinks[self.OUTPUT_BUILDINGS][0].addFeatures(pl.building_features(photo, answer),
                                                            QgsFeatureSink.FastInsert)
                sinks[self.OUTPUT_ADDRESSES][0].addFeatures(pl.address_features(photo, answer),
                                                            QgsFeatureSink.FastInsert)
                answered += 1
                feedback.pushInfo(self.tr("{0}: posterior mass {1:.2f}, {2} requests").format(
                    photo, answer.grid_mass, answer.requests))
                for line in wv.summary_lines(answer):
                    feedback.pushInfo(f"  {line}")
                feedback.setProgress(100.0 * (i + 1) / max(1, len(rows)))
        except Cancelled:
            pass
        finally:
            if http is not None:
                http.close()
        return {self.OUTPUT_PARCELS: sinks[self.OUTPUT_PARCELS][1], self.OUTPUT_BUILDINGS: sinks[self.OUTPUT_BUILDINGS][1],
                self.OUTPUT_ADDRESSES: sinks[self.OUTPUT_ADDRESSES][1], self.PHOTOS: answered, self.FAILED: failed}
