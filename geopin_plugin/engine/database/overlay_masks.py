"""Static-overlay masks learned per capture group (issue 23): the pixels that do
not change across a group's images are the camera, not the place.

A nadir cap with a logo, a dashcam's hood, a burnt-in stamp sit at the same pixels
of every image one rig takes, so the views a build cuts from them at the same cut
(a panorama's view ``k``, a photo as it is) repeat them pixel for pixel. ``learn``
looks at the views of one *mask group* (the capture group's images at one cut) and
marks a cell as static when its 3 x 3 neighbourhood is (nearly) identical
(``AGREE_LEVELS`` grey levels) in another image of the group, for at least
``MIN_RECUR`` images and ``MIN_SHARE`` of the group. "Another image", not "every image": one camera
model may carry several caps (an uploader's logo per sequence), and each of them
recurs. A real scene does not repeat pixel for pixel between captures (light,
position and JPEG noise differ), so its cells stay unmasked; measured in
docs/geolocation.md ("Static-overlay masks"), with ``scripts/overlay_masks.py``.

Keypoints inside a group's mask are not stored (``drop_masked``). A group with
fewer than ``MIN_GROUP_IMAGES`` images learns nothing: the verifier's guards
(verify.py: static displacement, one band) and, for panoramas, ``default_mask``
stand in.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Iterable, Optional, Sequence

import numpy as np

from ..types import LocalFeatures

MASK_COLS = 512  # mask grid width (2 px a cell on a 1024 px view: a stamp's thin strokes); height by aspect
MIN_GROUP_IMAGES = 8  # fewer images: no mask learned (too few to tell a camera from a scene)
MAX_GROUP_IMAGES = 48  # images a mask is learned from (evenly spread over the group)
AGREE_LEVELS = 3.0  # mean absolute grey difference over 3 x 3 cells that counts as "the same pixels"
MIN_TEXTURE = 4.0  # grey-level spread over 3 x 3 cells below which a cell is flat (sky, a wall)
# a static cell recurs in at least MIN_RECUR images and MIN_SHARE of the group: one camera
# model may carry several caps (one per uploader), each in a part of the group. Measured
# (scripts/overlay_masks.py): real scenes recur in >= 3 of 17-29 images in <= 0.01 % of cells
MIN_RECUR = 3
MIN_SHARE = 0.15
DUPLICATE_SHARE = 0.4  # two images agreeing on more of their textured cells: one standing scene
CLOSE_CELLS = 9  # gaps up to this many cells between static cells are closed
DILATE_CELLS = 5  # a keypoint's descriptor sees round it: the mask grows by this many cells
METHOD = (f"recurring-pixels:agree={AGREE_LEVELS:g},texture={MIN_TEXTURE:g},recur={MIN_RECUR},share={MIN_SHARE:g},"
          f"dup={DUPLICATE_SHARE:g},close={CLOSE_CELLS},dilate={DILATE_CELLS},cols={MASK_COLS}")


@dataclass(frozen=True)
class OverlayMask:
    """One mask group's learned mask: ``cells`` (rows, cols) bool over the view,
    with its evidence (images it was learned from, the masked share, the method)."""

    group: str
    cells: np.ndarray
    images: int
    method: str = METHOD

    @property
    def masked_share(self) -> float:
        return float(self.cells.mean()) if self.cells.size else 0.0

    def blob(self) -> bytes:
        return zlib.compress(np.packbits(self.cells.astype(bool)).tobytes())

    @classmethod
    def from_blob(cls, group: str, rows: int, cols: int, blob: bytes, images: int, method: str) -> "OverlayMask":
        """Validated: a blob that does not hold rows x cols cells raises ValueError."""
        rows, cols = int(rows), int(cols)
        if not (0 < rows <= 4096 and 0 < cols <= 4096) or int(images) < 0:
            raise ValueError(f"overlay mask {group!r}: bad shape {rows}x{cols} or image count {images}")
        bits = np.frombuffer(zlib.decompress(blob), np.uint8)
        if bits.size != (rows * cols + 7) // 8:
            raise ValueError(f"overlay mask {group!r}: {bits.size} bytes for {rows}x{cols} cells")
        cells = np.unpackbits(bits)[:rows * cols].reshape(rows, cols).astype(bool)
        return cls(group, cells, int(images), str(method))


def _grey_cells(rgb: np.ndarray, rows: int, cols: int) -> np.ndarray:
    import cv2

    g = rgb if rgb.ndim == 2 else cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)
    return cv2.resize(g, (cols, rows), interpolation=cv2.INTER_AREA).astype(np.float32)


def grid_shape(width: int, height: int) -> tuple:
    return max(1, int(round(MASK_COLS * height / max(width, 1)))), MASK_COLS


def grey_cells(rgb: np.ndarray) -> np.ndarray:
    """The view as the mask grid sees it: grey levels, (rows, MASK_COLS) float32."""
    h, w = rgb.shape[:2]
    return _grey_cells(rgb, *grid_shape(w, h))


def recurrence_count(cells: Sequence[np.ndarray]) -> np.ndarray:
    """Per cell: how many of the images (``grey_cells`` of each, one size) have a 3 x 3
    neighbourhood that recurs (within AGREE_LEVELS) in at least one other image. Only
    a textured neighbourhood counts (local spread >= MIN_TEXTURE, not saturated): flat
    sky or a blown-out window recurs by chance and holds no keypoints anyway. Two
    images that agree on more than DUPLICATE_SHARE of their textured cells show one
    standing scene (a car waiting at a light), not a camera: that pair is not counted."""
    import cv2

    g = np.stack(cells)
    mean = np.stack([cv2.blur(x, (3, 3)) for x in g])
    spread = np.sqrt(np.maximum(np.stack([cv2.blur(x * x, (3, 3)) for x in g]) - mean * mean, 0))
    textured = (spread >= MIN_TEXTURE) & (mean < 250)
    recurs = np.zeros(g.shape, bool)
    for i in range(len(g) - 1):
        d = np.abs(g[i + 1:] - g[i])  # (n - i - 1, rows, cols)
        agree = (np.stack([cv2.blur(x, (3, 3)) for x in d]) < AGREE_LEVELS) & textured[i] & textured[i + 1:]
        both = np.maximum((textured[i] & textured[i + 1:]).sum(axis=(1, 2)), 1)
        agree[agree.sum(axis=(1, 2)) > DUPLICATE_SHARE * both] = False
        recurs[i] |= agree.any(axis=0)
        recurs[i + 1:] |= agree
    return recurs.sum(axis=0)


def learn(group: str, cells: Sequence[np.ndarray]) -> Optional[OverlayMask]:
    """The mask of one mask group from its views' ``grey_cells`` (one size), or None
    when the group is too small to learn from."""
    import cv2

    if len(cells) < MIN_GROUP_IMAGES:
        return None
    cells = list(_spread(cells, MAX_GROUP_IMAGES))
    need = max(MIN_RECUR, MIN_SHARE * len(cells))
    static = (recurrence_count(cells) >= need).astype(np.uint8)
    static = cv2.morphologyEx(static, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))  # lone cells are chance
    # a logo's flat inside (no texture: not counted) between its recurring edges
    static = cv2.morphologyEx(static, cv2.MORPH_CLOSE, np.ones((CLOSE_CELLS, CLOSE_CELLS), np.uint8))
    if DILATE_CELLS:
        k = 2 * DILATE_CELLS + 1
        static = cv2.dilate(static, np.ones((k, k), np.uint8))
    return OverlayMask(group, static.astype(bool), len(cells))


def _spread(items: Sequence, n: int) -> Iterable:
    if len(items) <= n:
        return items
    idx = np.linspace(0, len(items) - 1, n).round().astype(int)
    return [items[i] for i in idx]


def masked_keypoints(mask: OverlayMask, keypoints: np.ndarray, image_size) -> np.ndarray:
    """Bool per keypoint (x, y in an image of ``image_size`` = (w, h)): inside the mask."""
    if mask is None or not len(keypoints):
        return np.zeros(len(keypoints), bool)
    rows, cols = mask.cells.shape
    w, h = image_size
    c = np.clip((keypoints[:, 0] * cols / max(w, 1)).astype(int), 0, cols - 1)
    r = np.clip((keypoints[:, 1] * rows / max(h, 1)).astype(int), 0, rows - 1)
    return mask.cells[r, c]


def drop_masked(features: LocalFeatures, mask: Optional[OverlayMask]) -> LocalFeatures:
    """``features`` without the keypoints inside ``mask`` (unchanged without one)."""
    if mask is None or not mask.cells.any():
        return features
    keep = ~masked_keypoints(mask, np.asarray(features.keypoints), features.image_size)
    if keep.all():
        return features
    scores = None if features.scores is None else np.asarray(features.scores)[keep]
    return LocalFeatures(np.asarray(features.keypoints)[keep], np.asarray(features.descriptors)[keep],
                         features.image_size, scores)
