"""BUILDINGS: where the building outlines come from when locating photos (a mixin
like params.py's groups). Outlines give a verified reference's bearing line its range
from the facades and keep the posterior out of buildings (engine/estimate/buildings.py,
engine/estimate/facades.py): PDOK's BAG panden (online, fetched only around the verified
references, cached in the same GeoPackage as 'Parcels, buildings and addresses in
view'), the user's own polygon layer, or none (as before)."""
from qgis.core import (
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSource,
)

BUILDINGS_NONE, BUILDINGS_PDOK, BUILDINGS_LAYER = 0, 1, 2


class BuildingOutlines:
    BUILDINGS = "BUILDINGS"
    BUILDINGS_LAYER = "BUILDINGS_LAYER"

    def add_building_outlines(self):
        self.add(QgsProcessingParameterEnum(
            self.BUILDINGS, self.tr("Building outlines"),
            [self.tr("None"), self.tr("PDOK BAG (online, cached)"), self.tr("My polygon layer")], defaultValue=0),
            self.tr("Facades give a single matched reference's bearing its distance, and the camera is kept out "
                    "of buildings. PDOK BAG is fetched only around the matched references and cached."),
            advanced=True)
        self.add(QgsProcessingParameterFeatureSource(
            self.BUILDINGS_LAYER, self.tr("Building outline layer (for 'My polygon layer')"),
            [QgsProcessing.TypeVectorPolygon], optional=True),
            self.tr("Building footprints (any CRS), e.g. BAG panden you downloaded."), advanced=True)

    def building_map(self, parameters, context, feedback):
        """(buildings.BuildingMap or None, the HTTP client to close or None)."""
        from ..geopin_plugin.engine.estimate.buildings import BuildingMap, pdok_source
        from ..geopin_plugin.engine.pdok.features import parse_buildings

        choice = self.parameterAsEnum(parameters, self.BUILDINGS, context)
        if choice == BUILDINGS_NONE:
            return None, None
        if choice == BUILDINGS_LAYER:
            from ..geopin_plugin import parcel_layers as pl

            source = self.parameterAsSource(parameters, self.BUILDINGS_LAYER, context)
            if source is None:
                raise QgsProcessingException(self.tr("'My polygon layer' needs a building outline layer"))
            name, tc = self.tr("own layer"), context.transformContext()
            return BuildingMap(lambda bbox: parse_buildings(pl.geojson_features(source, bbox, tc, feedback), name),
                               name), None
        from ..geopin_plugin.engine.pdok.cache import PdokCache
        from ..geopin_plugin.engine.pdok.fetch import PdokFetcher
        from ..geopin_plugin.qgis_http import QgisHttpClient
        from ..geopin_plugin.settings import pdok_cache_path

        try:
            cache = PdokCache(pdok_cache_path())
        except ValueError as exc:
            raise QgsProcessingException(str(exc))
        http = QgisHttpClient(timeout_ms=60000, feedback=feedback)
        fetcher = PdokFetcher(http, None, cache=cache, is_canceled=feedback.isCanceled)
        feedback.pushInfo(self.tr("Building outlines from PDOK BAG, cached in {0}").format(pdok_cache_path()))
        return BuildingMap(pdok_source(fetcher), "PDOK BAG"), http
