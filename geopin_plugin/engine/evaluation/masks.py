"""Static-overlay masks for a protocol's references, learned as a build learns them
(engine/database/overlay_masks.py): one mask group per source folder, source image size and
cut (a panorama's view at one heading, fov and elevation window; a photo as stored).
The group is what a folder of one camera gives, never the overlay painted in: the
three caps of amsterdam-overlay share one group, as one camera model's sequences do.

Masks are cached per group under ``<cache>/masks/<method digest>/`` (.npz, no pickle)
and applied to the references' features when they are read (caches.ReferenceFeatures),
so the feature caches stay the unmasked extraction and only pairs with a masked
reference get new verification outcomes.
"""
from __future__ import annotations

import hashlib
import os
from collections import defaultdict
from pathlib import Path
from typing import Callable, Dict, Optional, Sequence

import numpy as np

from ..database import overlay_masks
from .protocols import Item


def source_size(item: Item) -> tuple:
    from ..images import image_size

    w, h = image_size(item.path)
    if item.source_width and w > item.source_width:
        h, w = max(1, int(round(h * item.source_width / w))), int(item.source_width)
    return w, h


def mask_group(item: Item) -> str:
    """The item's mask group: folder + source size + its cut."""
    folder = Path(item.path).parent.name
    w, h = source_size(item)
    if item.is_view:
        elev = "c" if item.min_elevation is None else f"{item.min_elevation:g}"
        cut = f"h={item.heading:g},fov={item.fov:g},pitch={item.pitch:g},elev={elev},size={item.size[0]}x{item.size[1]}"
    else:
        cut = "photo" if item.max_side is None else f"photo,max={item.max_side}"
    return f"{folder}|{w}x{h}|{cut}"


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


class ProtocolMasks:
    """{reference key: OverlayMask or None} for a protocol's references."""

    def __init__(self, references: Sequence[Item], cache_dir: Path, log: Callable[[str], None] = None):
        self.references = list(references)
        self.directory = Path(cache_dir) / "masks" / _digest(overlay_masks.METHOD)
        self.log = log or (lambda msg: None)
        self.by_group: Dict[str, Optional[overlay_masks.OverlayMask]] = {}
        self.group_of: Dict[str, str] = {}

    def learn(self) -> "ProtocolMasks":
        from .items import render_items

        groups = defaultdict(list)
        for it in self.references:
            g = mask_group(it)
            self.group_of[it.key] = g
            groups[g].append(it)
        todo, paths = {}, {}
        for g, items in sorted(groups.items()):
            paths[g] = self.directory / f"{_digest(g + '|' + ','.join(sorted(i.key for i in items)))}.npz"
            if paths[g].exists():
                with np.load(paths[g]) as z:
                    self.by_group[g] = overlay_masks.OverlayMask(g, z["cells"].astype(bool), int(z["images"])) \
                        if int(z["images"]) else None
            elif len(items) >= overlay_masks.MIN_GROUP_IMAGES:
                chosen = overlay_masks._spread(sorted(items, key=lambda i: i.key), overlay_masks.MAX_GROUP_IMAGES)
                todo.update({it.key: (g, it) for it in chosen})
            else:
                self.by_group[g] = None
                self._save(paths[g], None)
        cells = defaultdict(list)  # one pass over the sources: each panorama decoded once
        for it, rgb in render_items(sorted((it for _, it in todo.values()), key=lambda i: (i.path, i.key))):
            cells[todo[it.key][0]].append(overlay_masks.grey_cells(rgb))
        for g, grey in sorted(cells.items()):
            # one cut, one size; a group whose items differ (perturbed queries) is not one rig's frames
            mask = overlay_masks.learn(g, grey) if len({c.shape for c in grey}) == 1 else None
            self.by_group[g] = mask
            self._save(paths[g], mask)
            if mask is not None:
                self.log(f"overlay mask {g}: {mask.images} images, {100 * mask.masked_share:.1f} % masked")
        return self

    @staticmethod
    def _save(path: Path, mask) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + f".tmp{os.getpid()}.npz")
        np.savez(tmp, cells=mask.cells if mask is not None else np.zeros((1, 1), bool),
                 images=np.int64(mask.images if mask is not None else 0))
        os.replace(tmp, path)

    def mask_of(self, item: Item) -> Optional[overlay_masks.OverlayMask]:
        return self.by_group.get(self.group_of.get(item.key, ""))

    def summary(self):
        """(group, images, masked share) per group with a mask."""
        return [(g, m.images, m.masked_share) for g, m in sorted(self.by_group.items()) if m is not None]
