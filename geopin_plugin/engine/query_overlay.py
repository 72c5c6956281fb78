"""The queries' own static overlay when several photos come together (issue 23).

A batch of photos from one camera (a dashcam's frames, an archive's unlocated
uploads) carries that camera's hood, stamp or logo at the same pixels in every
photo. The build learns such masks for the references (builder/mask_build.py);
this learns them for a batch of queries with the same learner
(database/overlay_masks.py): photos of one *query group* - the folder and the
camera make, model and image size, as a folder of references is grouped - with at
least MIN_GROUP_IMAGES photos get the group's mask, and their keypoints inside it
are dropped before verification (Geolocator.locate(query_mask=...)). A photo
alone, or a group too small, keeps all its keypoints: the verifier's overlay
guards (verification/geometry.py) stand in.

A 2:1 panorama query is cut into views (panorama_query.py); a mask of the whole
panorama does not apply to its views, so panorama queries are not masked.
"""
from __future__ import annotations

import logging
import os
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence

from .builder.mask_build import camera_of
from .database import overlay_masks

LOG = logging.getLogger("geopin.query_overlay")
DECODE_WIDTH = 2 * overlay_masks.MASK_COLS  # decoded at least this wide (the mask grid is MASK_COLS cells)


@dataclass
class QueryMasks:
    """The masks learned over a batch of query photos: ``mask_for(path)``, and what
    was learned per group ((group, images, masked share)) for the user's log."""

    by_path: Dict[str, overlay_masks.OverlayMask] = field(default_factory=dict)
    learned: List[tuple] = field(default_factory=list)
    too_small: int = 0  # groups of 2 to MIN_GROUP_IMAGES - 1 photos: nothing learned

    def mask_for(self, path) -> Optional[overlay_masks.OverlayMask]:
        return self.by_path.get(os.path.abspath(str(path)))


def query_group(path) -> Optional[str]:
    """The photo's query group: folder + camera make, model and image size; None when
    its header cannot be read."""
    camera = camera_of(str(path))
    return f"{os.path.dirname(os.path.abspath(str(path)))}|{camera}" if camera else None


def _load(path):
    from .images import load_image

    return load_image(path, min_width=DECODE_WIDTH)


def learn_query_masks(paths: Sequence, load: Callable = _load, progress=None,
                      is_canceled: Optional[Callable[[], bool]] = None) -> QueryMasks:
    """Learn a mask per query group of ``paths`` with at least MIN_GROUP_IMAGES photos
    (at most MAX_GROUP_IMAGES of them read, evenly spread). ``progress(stage,
    fraction, message)``; a photo that cannot be read does not count (its own
    geolocation reports why)."""
    out = QueryMasks()
    groups: Dict[str, List[str]] = defaultdict(list)
    for p in dict.fromkeys(os.path.abspath(str(p)) for p in paths):
        g = query_group(p)
        if g is not None:
            groups[g].append(p)
    big = {g: ps for g, ps in sorted(groups.items()) if len(ps) >= overlay_masks.MIN_GROUP_IMAGES}
    out.too_small = sum(1 for ps in groups.values() if 1 < len(ps) < overlay_masks.MIN_GROUP_IMAGES)
    for n, (g, ps) in enumerate(big.items()):
        cells = []
        for p in overlay_masks._spread(sorted(ps), overlay_masks.MAX_GROUP_IMAGES):
            if is_canceled is not None and is_canceled():
                return out
            try:
                cells.append(overlay_masks.grey_cells(load(p)))
            except Exception as exc:  # noqa: BLE001 - an unreadable photo is reported where it is located
                LOG.info("query overlay mask of %s: %s not read (%s)", g, p, exc)
        if progress is not None:
            progress("query masks", (n + 1) / len(big), f"overlay mask of {len(ps)} photos of one camera")
        if len({c.shape for c in cells}) != 1:  # rotated by EXIF differently: not one rig's frame
            continue
        mask = overlay_masks.learn(g, cells)
        if mask is None:
            continue
        out.learned.append((g, mask.images, mask.masked_share))
        LOG.info("query overlay mask %s: %d photos, %.1f %% masked", g, mask.images, 100 * mask.masked_share)
        if mask.cells.any():
            out.by_path.update({p: mask for p in ps})
    return out
