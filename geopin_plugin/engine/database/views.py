"""A reference view's pixels, cut from its source image: how the build cuts them
(panorama → pinhole views, a photo → its long side at most PHOTO_VIEW_MAX_SIDE),
and the same again later when a database keeps no copy of its views (the match
viewer, the feature upgrade).

A database built without view copies stores an empty ``view_image`` and reads the
view from the source file it was built from, only while that file still holds
the bytes it was built from (its sha256 is the stored content hash): a moved or
changed source gives a clear error, never another image's pixels, and a crafted
GeoPackage cannot make GeoPin decode files it did not index.
"""
from typing import Optional

import cv2
import numpy as np

from .. import images, panorama
from . import source_files

PHOTO_VIEW_MAX_SIDE = 1024  # stored view of an ordinary photo: long side (no upscaling)


def resize_max_side(img, max_side):
    h, w = img.shape[:2]
    scale = max_side / max(h, w)
    if scale >= 1.0:
        return img
    return cv2.resize(img, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)


def photo_view(rgb) -> np.ndarray:
    return np.ascontiguousarray(resize_max_side(rgb, PHOTO_VIEW_MAX_SIDE))


class SourceViews:
    """Cuts stored views from their source images, keeping the last source decoded
    (a panorama's views are usually asked for together: one decode, one hash)."""

    def __init__(self, max_pixels=images.DEFAULT_MAX_PIXELS, roots=None):
        self.max_pixels = max_pixels
        self.roots = roots  # the folders the database's builds recorded (source_files.py)
        self._path = None  # (path, exact) of the source held
        self._rgb = None
        self._prepared = {}

    def _source(self, path, content_hash, min_width=None):
        if (path, min_width) != self._path:
            self._path, self._rgb, self._prepared = None, None, {}
            digest = source_files.checked_sha256(path, self.roots)  # no FIFO, device or file elsewhere
            if digest != content_hash:
                raise images.ImageError(f"the source image {path} of this view has changed since the database was "
                                        "built; the database keeps no copy of its views")
            self._rgb = images.load_image(path, max_pixels=self.max_pixels, min_width=min_width)
            self._path = (path, min_width)
        return self._rgb

    def view(self, path, content_hash, rel_heading: Optional[float], fov: Optional[float],
             exact: bool = True) -> np.ndarray:
        """The view (RGB uint8) of a panorama at ``rel_heading`` with horizontal FOV
        ``fov``, or the photo itself (``rel_heading`` None), as the build cut it;
        ``exact`` False (a picture to show): a panorama decoded at the smallest JPEG
        scale that still gives the view 90 % of its resolution (8000 px wide: half
        size), so the pixels differ slightly from the build's."""
        fov = float(fov or 90.0)
        min_width = None
        if not exact and rel_heading is not None:  # 90 % of the view's resolution: 8000 px decodes at half
            min_width = int(0.9 * panorama.VIEW_SIZE[0] * 360.0 / fov)
        elif not exact:
            min_width = PHOTO_VIEW_MAX_SIDE
        rgb = self._source(str(path), content_hash, min_width)
        if rel_heading is None:
            return photo_view(rgb)
        key = (fov, panorama.VIEW_SIZE[0])
        if key not in self._prepared:
            self._prepared[key] = panorama._prepare(rgb, fov, panorama.VIEW_SIZE[0])
        return panorama.perspective_view(self._prepared[key], float(rel_heading), fov,
                                         min_elevation_deg=panorama.DEFAULT_MIN_ELEVATION_DEG, _prepared=True)


def cut_view(view_id, cut, source_views: SourceViews, view_files, database_name: str, exact: bool = True) -> np.ndarray:
    """A stored view's pixels from its row (``store.view_cuts``): its JPEG copy in the
    database's folder, or cut again from its source by ``source_views``. Uses no
    database connection, so several threads can cut views (one SourceViews each)."""
    stored, source, content_hash, rel_heading, fov = cut
    if not stored:
        return source_views.view(source, content_hash, rel_heading, fov, exact)
    path = view_files.resolve(stored)
    if not path:
        raise images.ImageError(f"the stored image path of view {view_id} points outside the folder of "
                                f"{database_name}; the database is damaged or crafted: rebuild it")
    return images.load_image(path)
