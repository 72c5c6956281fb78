"""Protocol items as pixels and as the stages' reference views.

``render_items`` cuts every view a protocol needs from its panoramas exactly as the
ingest cuts reference views (each file read once); :class:`ProtocolView` is a
reference item as stages.py sees a database view.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterator, Optional, Sequence, Tuple

import numpy as np

from .protocols import Item


def render_items(items: Sequence[Item]) -> Iterator[Tuple[Item, np.ndarray]]:
    """Yield (item, RGB uint8) in the given order; each source file is read once
    per run of consecutive items from it (sort the items by path for that)."""
    from ..images import load_image
    from ..database.views import resize_max_side
    from ..panorama import perspective_view, _prepare

    from .overlays import CAPS

    current, pano, prepared = None, None, {}
    for it in items:
        cap = it.overlay if it.overlay in CAPS else ""
        if (it.path, cap, it.source_width) != current:
            pano = load_image(it.path)
            if it.source_width and pano.shape[1] > it.source_width:
                import cv2

                size = (int(it.source_width), max(1, int(round(pano.shape[0] * it.source_width / pano.shape[1]))))
                pano = cv2.resize(pano, size, interpolation=cv2.INTER_AREA)
            if cap:  # painted into the panorama, before cutting: every view sees its part
                from .overlays import paint_cap

                pano = paint_cap(pano, cap)
            current, prepared = (it.path, cap, it.source_width), {}
        if not it.is_view:
            yield it, _conditioned(it, pano if it.max_side is None else
                                   np.ascontiguousarray(resize_max_side(pano, it.max_side)))
            continue
        pkey = (it.fov, it.size[0])
        if pkey not in prepared:
            prepared[pkey] = _prepare(pano, it.fov, it.size[0])
        view = perspective_view(prepared[pkey], it.heading, it.fov, it.size, it.pitch,
                                min_elevation_deg=it.min_elevation, _prepared=True)
        yield it, _conditioned(it, view)


def _conditioned(it: Item, rgb: np.ndarray) -> np.ndarray:
    from .overlays import CAPS, paint

    if it.overlay and it.overlay not in CAPS:  # on the view or photo, before the phone condition
        rgb = paint(rgb, it.overlay)
    if not it.condition:
        return rgb
    from .perturb import apply

    return apply(rgb, it.condition, it.key)


def load_item_image(item: Item) -> np.ndarray:
    return next(render_items([item]))[1]


def reference_heading(item: Item) -> Optional[float]:
    """The compass heading of a panorama view's optical axis, where the panorama's
    orientation is known: the Amsterdam panoramas are published north-centred (the
    panorama API's convention; measured on the partner panoramas, docs/geolocation.md),
    so a view's heading in the panorama is its compass heading; a panorama with an EXIF
    GPSImgDirection (the Panoramax GoPro samples) faces it with its centre column, as
    the ingest reads it (builder/work.py). None elsewhere."""
    if not item.is_view:
        return None
    if Path(item.path).parent.name == "amsterdam-panoramas":
        return float(item.heading) % 360.0
    centre = _exif_heading(item.path)
    return None if centre is None else (centre + float(item.heading)) % 360.0


@lru_cache(maxsize=256)
def _exif_heading(path: str) -> Optional[float]:
    """The panorama's centre-column heading as the ingest reads it: EXIF GPSImgDirection,
    else GPano PoseHeadingDegrees; None when it has neither."""
    from .. import images

    heading = images.read_exif(path)["heading"]
    if heading is None:
        gpano = images.read_gpano(path)
        heading = images.gpano_heading(gpano) if "PoseHeadingDegrees" in gpano else None
    return None if heading is None else float(heading)


@dataclass(frozen=True)
class ProtocolView:
    """A protocol reference as the stages see a database view: its key is the view id,
    its leave-one-out group the panorama; it knows its own cut (the pose stage's
    intrinsics) and its compass heading where that is known."""

    index: int  # into protocol.references
    item: Item
    view_id: str  # the item's key
    x: float  # RD New
    y: float
    heading: Optional[float]  # reference_heading(item)

    @classmethod
    def of(cls, index: int, item: Item, x: float, y: float) -> "ProtocolView":
        return cls(index, item, item.key, float(x), float(y), reference_heading(item))

    @property
    def pano_id(self) -> str:
        return self.item.group

    @property
    def fov(self) -> float:
        return self.item.fov

    @property
    def view_size(self) -> Tuple[int, int]:
        return self.item.size

    @property
    def min_elevation(self) -> Optional[float]:
        return self.item.min_elevation

    @property
    def lat(self) -> Optional[float]:
        return self.item.lat

    @property
    def lon(self) -> Optional[float]:
        return self.item.lon
