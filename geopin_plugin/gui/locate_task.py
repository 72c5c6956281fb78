"""Run one geolocation in a QgsTask so QGIS never freezes.

The worker thread loads the photo, reuses a cached Geolocator (models are loaded
once per database/configuration) and reports each pipeline stage; finished()
runs back on the main thread and emits ``done``.
"""
import os

from qgis.core import QgsTask
from qgis.PyQt.QtCore import pyqtSignal

from ..i18n import tr
from ..log import get_logger
from ..settings import pdok_cache_path

THUMBNAILS = 20  # candidates whose reference image is read for the list and viewer
VIEW_SIDE = 1024  # long side of the pictures kept for the match viewer


def shrink(rgb, side):
    """A copy with the long side at most ``side`` pixels."""
    import cv2

    h, w = rgb.shape[:2]
    scale = side / float(max(h, w))
    if scale >= 1.0:
        return rgb
    return cv2.resize(rgb, (max(1, int(round(w * scale))), max(1, int(round(h * scale)))),
                      interpolation=cv2.INTER_AREA)


def stage_title(stage):
    return {
        "load": tr("Reading the photo"),
        "embed": tr("Embedding"),
        "search": tr("Searching the database"),
        "verify": tr("Verifying"),
        "posterior": tr("Estimating the location"),
    }.get(stage, stage)


class LocateTask(QgsTask):
    """Geolocate one photo. ``stage_changed(stage, overall 0..1, message)`` while
    running (queued to the GUI thread); ``done(result or None, error text)`` at the end."""

    stage_changed = pyqtSignal(str, float, str)
    done = pyqtSignal(object, str)

    def __init__(self, photo_path, database_path, config=None, area=None, buildings=None):
        super().__init__(tr("GeoPin: locating {0}").format(os.path.basename(photo_path)), QgsTask.CanCancel)
        self.photo_path = photo_path
        self.database_path = database_path
        self.config = config
        self.area = area
        self.buildings = buildings  # None, "pdok" (fetched here, in the task) or a buildings.BuildingMap
        self.result = None
        self.error = ""
        self.exif = {}
        self.query_image = None
        self.reference_images = {}
        self.missing_pictures = []  # (view id, reason): references whose picture could not be read
        self.coverage_m = None  # EXIF position to the nearest reference view
        self.reference_masks = {}  # view id -> its capture group's overlay mask cells (match viewer)

    def _progress(self, stage, fraction, message=""):
        from ..engine.pipeline import locate_fraction

        overall = locate_fraction(stage, fraction)
        self.setProgress(overall * 100.0)
        self.stage_changed.emit(stage, overall, message or "")

    def run(self):
        from ..engine.pipeline import Cancelled, get_geolocator, read_photo

        try:
            self._progress("load", 0.0, "")
            image, self.exif = read_photo(self.photo_path)
            if self.isCanceled():
                return False
            geolocator = get_geolocator(self.database_path, self.config)
            exif_gps = None
            if self.exif.get("lat") is not None and self.exif.get("lon") is not None:
                exif_gps = (self.exif["lat"], self.exif["lon"])
                from ..engine.database.coverage import distance_to_coverage_m

                self.coverage_m = distance_to_coverage_m(self.database_path, *exif_gps)
            buildings, http = self._building_map()
            try:
                from ..engine.panorama_query import is_panorama_query, locate_panorama

                if is_panorama_query(image, self.photo_path):  # views located together, one answer
                    pano = locate_panorama(geolocator, image, is_canceled=self.isCanceled, area=self.area,
                                           exif_gps=exif_gps, buildings=buildings)
                    self.result = pano.as_geolocation()
                    if pano.top >= 0:  # the match viewer pairs the candidates with the view they came from
                        from ..engine.panorama_query import query_views

                        image = query_views(image)[pano.top][1]
                else:
                    self.result = geolocator.locate(
                        image, area=self.area, exif_gps=exif_gps, progress=self._progress,
                        is_canceled=self.isCanceled,
                        focal_35mm=self.exif.get("focal_35mm"),  # the photo's field of view for the camera heading
                        buildings=buildings)
            finally:
                if http is not None:
                    http.close()
            # pictures for the results list and the match viewer, read here (not in the GUI thread)
            self.query_image = shrink(image, VIEW_SIDE)
            # grouped by source file: a database without view copies cuts them from
            # the sources, one decode per panorama (the list keeps its order)
            shown = sorted(self.result.candidates[:THUMBNAILS], key=lambda c: c.view.image_path or "")
            for cand in shown:
                if self.isCanceled():
                    return False
                try:
                    self.reference_images[cand.view.view_id] = shrink(
                        geolocator.reference_image(cand.view.view_id), VIEW_SIDE)
                except Exception as exc:  # a missing view image only costs its thumbnail (the dock says so)
                    self.missing_pictures.append((cand.view.view_id, str(exc)))
                    get_logger("dock").warning("No image for view %s: %s", cand.view.view_id, exc)
            self._read_masks(geolocator, shown)
            return True
        except Cancelled:
            return False
        except Exception as exc:  # shown to the user by the dock; the trace goes to the log
            from ..errors import user_message

            get_logger("dock").exception("Geolocation of %s failed", self.photo_path)
            self.error = user_message(exc)  # in the user's language; the log has the details
            return False

    def _read_masks(self, geolocator, shown):
        """The shown references' overlay masks (engine/builder/mask_build.py); none is no loss."""
        from ..engine.builder.mask_build import masks_for_views

        try:
            masks = masks_for_views(geolocator.db.store, [c.view for c in shown])
        except Exception as exc:  # a database without the table or a damaged row: drawn without masks
            get_logger("dock").warning("No overlay masks: %s", exc)
            return
        self.reference_masks = {vid: m.cells for vid, m in masks.items()}

    def _building_map(self):
        """(buildings.BuildingMap or None, the HTTP client to close): PDOK's is made in
        the task's thread, as the parcels task does."""
        if self.buildings != "pdok":
            return self.buildings, None
        from ..engine.estimate.buildings import BuildingMap, pdok_source
        from ..engine.pdok.cache import PdokCache
        from ..engine.pdok.fetch import PdokFetcher
        from ..qgis_http import QgisHttpClient

        http = QgisHttpClient(timeout_ms=60000)
        cache = PdokCache(pdok_cache_path())
        return BuildingMap(pdok_source(PdokFetcher(http, None, cache=cache, is_canceled=self.isCanceled)),
                           "PDOK BAG"), http

    def finished(self, ok):  # main thread
        if ok and self.result is not None:
            self.done.emit(self.result, "")
        elif self.isCanceled() and not self.error:
            self.done.emit(None, tr("Cancelled"))
        else:
            self.done.emit(None, self.error or tr("Geolocation failed"))
