"""The build's static-overlay mask pass (issue 23): after the images of a run are
stored, learn a mask per mask group (overlay_masks.py) and drop the stored keypoints
inside it. It runs on every build, so an existing database gets its masks on its
next build run with nothing re-embedded (like the extractor upgrade, ingest.py).

A capture group is what the source says (a Mapillary/Panoramax/Mapilio sequence, a
KartaView track, an Amsterdam capture run; sources/capture_group.py, stored per image
in ``geopin_capture_groups``) or, for a folder and for images stored before capture
groups existed, the source, the folder, the camera make + model and the image size.
A mask group is a capture group at one cut (a panorama's view k at its field of view,
or the photo as stored), because a view cut at one heading from every panorama of a
rig repeats the rig's overlay at the same pixels. A sequence with fewer than
MIN_GROUP_IMAGES views at a cut (a sparse import samples a few frames of many
sequences) stays in its folder + camera group, so it is masked as it was before. A group is learned when it has MIN_GROUP_IMAGES views and learned
again when it has doubled since; views added later to a learned group are filtered
by its mask (``filtered_upto``: the highest view id filtered).
"""
from __future__ import annotations

import os
import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Dict, List, Optional

import numpy as np

from ..database import overlay_masks
from ..database.views import cut_view
from ..types import CancelFn, ProgressFn, canceled

# threads that cut the sampled views again (JPEG decode + remap release the GIL): 17
# panoramas' 8 masks 10.0-10.4 -> 6.8-7.2 s wall, the same masks (docs/scale.md)
READ_THREADS = 2


@dataclass
class MaskReport:
    """What the pass did, per group learned: (group, images, masked share)."""

    learned: List[tuple] = field(default_factory=list)
    views_filtered: int = 0
    keypoints_dropped: int = 0
    too_small: int = 0  # groups under MIN_GROUP_IMAGES views (the verifier's guards stand in)

    def add(self, later: Optional["MaskReport"]) -> "MaskReport":
        """This report followed by a later pass's (an import stores its images in batches,
        each followed by a pass): a group learned again is listed once, with its last mask."""
        if later is not None:
            learned = {g: (g, n, share) for g, n, share in self.learned + later.learned}
            self.learned = list(learned.values())
            self.views_filtered += later.views_filtered
            self.keypoints_dropped += later.keypoints_dropped
            self.too_small = later.too_small  # counted over the whole database after the last pass
        return self


@lru_cache(maxsize=4096)
def camera_of(path: str) -> str:
    """'make model WxH' from the file's header; '' when it cannot be read."""
    try:
        from PIL import Image

        with Image.open(path) as im:
            exif = im.getexif()
            make, model = (str(exif.get(t, "")).strip("\x00 ") for t in (271, 272))
            return f"{make} {model} {im.width}x{im.height}".strip()
    except (OSError, ValueError, SyntaxError):
        return ""


def mask_group(image_path: str, source: str, rel_heading, fov, capture_group: Optional[str] = None) -> Optional[str]:
    """The view's mask group (``rel_heading`` None: a photo): its source's capture group
    when given, else its folder; None when its source image cannot be read."""
    camera = camera_of(image_path)
    if not camera:
        return None
    cut = f"rel={float(rel_heading):g},fov={float(fov):g}" if rel_heading is not None else "photo"
    where = f"capture={capture_group}" if capture_group else os.path.dirname(image_path)
    return f"{source}|{where}|{camera}|{cut}"


def assign_groups(rows, stored=()) -> Dict[str, List[int]]:
    """{mask group: view ids} for ``view_rows_for_masks`` rows: a view's capture group
    when that group has MIN_GROUP_IMAGES views at its cut or a stored mask, else its
    folder + camera group (the rule of databases without capture groups)."""
    by_capture: Dict[str, List[int]] = defaultdict(list)
    groups: Dict[str, List[int]] = defaultdict(list)
    folder_of = {}
    for fid, path, source, rel_heading, fov, capture in rows:
        folder = mask_group(path, source, rel_heading, fov)
        if folder is None:
            continue
        if capture:
            g = mask_group(path, source, rel_heading, fov, capture)
            by_capture[g].append(int(fid))
            folder_of[int(fid)] = folder
        else:
            groups[folder].append(int(fid))
    for g, vids in by_capture.items():
        if len(vids) >= overlay_masks.MIN_GROUP_IMAGES or g in stored:
            groups[g].extend(vids)
        else:
            for v in vids:
                groups[folder_of[v]].append(v)
    return {g: sorted(v) for g, v in groups.items()}


def learn_and_apply(store, extractor_id: Optional[str], progress: Optional[ProgressFn] = None,
                    is_canceled: Optional[CancelFn] = None) -> MaskReport:
    """Learn the masks of groups that are new or have doubled, store them, and drop
    stored keypoints inside every group's mask (only views not filtered yet)."""
    report = MaskReport()
    stored = store.overlay_masks()
    groups = assign_groups(store.view_rows_for_masks(), stored)
    learn = []
    for g, vids in sorted(groups.items()):
        mask = stored.get(g, (None, 0))[0]
        if len(vids) < overlay_masks.MIN_GROUP_IMAGES:
            report.too_small += 1
        elif mask is None or mask.method != overlay_masks.METHOD or len(vids) >= 2 * mask.images:
            learn.append(g)
    if progress is not None and learn:
        progress("masks", 0.0, f"learning overlay masks of {len(learn)} capture groups")
    learned = _learn(store, {g: groups[g] for g in learn}, is_canceled)
    for g, vids in sorted(groups.items()):
        if canceled(is_canceled):
            break
        mask, upto = stored.get(g, (None, 0))
        if g in learned:
            mask, upto = learned[g], 0  # a new mask: every view of the group again
            report.learned.append((g, mask.images, mask.masked_share))
        if mask is None:
            continue
        todo = [v for v in vids if v > upto]
        if todo and extractor_id and mask.cells.any():
            report.keypoints_dropped += _filter(store, mask, todo, extractor_id)
            report.views_filtered += len(todo)
        if g in learned or todo:
            store.put_overlay_mask(mask, max(vids))
    return report


def _learn(store, groups: Dict[str, List[int]], is_canceled=None, threads: int = READ_THREADS) -> dict:
    """{group: OverlayMask} from each group's views (at most MAX_GROUP_IMAGES, evenly
    spread), in view-id order. The views are cut again from their sources on
    ``threads`` threads, one source image a task (decoded once for all its views)."""
    chosen = {vid: g for g, vids in groups.items()
              for vid in overlay_masks._spread(sorted(vids), overlay_masks.MAX_GROUP_IMAGES)}
    cuts = store.view_cuts(sorted(chosen)) if chosen else {}
    by_source = defaultdict(list)
    for vid in sorted(cuts):
        by_source[cuts[vid][1]].append(vid)
    local = threading.local()

    def read(vids):  # the grey cells of one source's views; a view that cannot be read is left out
        if not hasattr(local, "views"):
            local.views = store.source_views()  # keeps the last source decoded: one a thread
        out = {}
        for vid in vids:
            if canceled(is_canceled):
                break
            try:
                out[vid] = overlay_masks.grey_cells(
                    cut_view(vid, cuts[vid], local.views, store.view_files, store.path.name))
            except Exception as exc:  # a source moved away: that view does not count
                out[vid] = exc
        return out

    got = {}
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:  # decoding and remapping release the GIL
        for part in pool.map(read, by_source.values()):
            got.update(part)
    if canceled(is_canceled):
        return {}
    cells = defaultdict(list)
    for vid in sorted(chosen):
        if vid not in cuts:
            store.warn(f"overlay mask of {chosen[vid]}: view {vid} cannot be read (unknown view id)")
        elif isinstance(got.get(vid), Exception):
            store.warn(f"overlay mask of {chosen[vid]}: view {vid} cannot be read ({got[vid]})")
        elif vid in got:
            cells[chosen[vid]].append(got[vid])
    out = {}
    for g, grey in cells.items():
        if len({c.shape for c in grey}) != 1:  # views of one cut are one size; anything else is not one rig
            continue
        mask = overlay_masks.learn(g, grey)
        if mask is not None:
            out[g] = mask
    return out


def _filter(store, mask, vids: List[int], extractor_id: str) -> int:
    dropped = 0
    for start in range(0, len(vids), 256):
        part = vids[start:start + 256]
        keep = {}
        for vid, f in store.local_features(part, extractor_id).items():
            inside = overlay_masks.masked_keypoints(mask, np.asarray(f.keypoints), f.image_size)
            if inside.any():
                keep[vid] = ~inside
                dropped += int(inside.sum())
        if keep:
            store.drop_feature_rows(keep, extractor_id)
    return dropped


def masks_for_views(store, views) -> Dict[int, "overlay_masks.OverlayMask"]:
    """{view id: its group's mask} for ReferenceView records (the match viewer draws them)."""
    stored = store.overlay_masks() if hasattr(store, "overlay_masks") else {}
    views = list(views) if stored else []
    captures = store.capture_groups(v.content_hash for v in views) if views and hasattr(store, "capture_groups") else {}
    out = {}
    for v in views:
        capture = captures.get(v.content_hash)
        g = mask_group(v.image_path, v.source, v.rel_heading, v.fov, capture) if capture else None
        if g not in stored:  # no capture group, or one too small to learn: its folder + camera group
            g = mask_group(v.image_path, v.source, v.rel_heading, v.fov)
        if g in stored and stored[g][0].cells.any():
            out[v.view_id] = stored[g][0]
    return out
