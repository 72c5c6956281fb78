"""The build's settings, defined once."""
from __future__ import annotations

from dataclasses import dataclass

from ..images import DEFAULT_MAX_PIXELS


@dataclass(frozen=True)
class BuildConfig:
    """How a build cuts, checks and stores images, the same for every image of a run:
    the one place for build defaults (Processing, the dock, scripts/build_database.py,
    the importer and the Dask runner read it; every worker gets it)."""
    panorama_headings: int = 8
    view_fov: float = 90.0
    max_pixels: int = DEFAULT_MAX_PIXELS
    # a JPEG copy of every view beside the database (~180 KB a view); without one the
    # views are cut from their source images when shown (database/views.SourceViews)
    keep_view_images: bool = False
    # XFeat descriptors at 4 bits (76 KB a view) instead of int8 (140 KB); docs/scale.md
    compact_features: bool = True
    dim: int = 0  # set by the build: the database's embedding dimension (0: not checked)

    def check(self):
        if int(self.panorama_headings) < 1:
            raise ValueError("panorama_headings must be at least 1")
        if not (10.0 <= float(self.view_fov) <= 150.0):
            raise ValueError("view_fov must be between 10 and 150 degrees")
        return self
