"""The posterior's density grid: a sparse square grid in RD metres (tiles only where
kernels reach), its highest-density regions and their outlines as RD rings.
Deterministic; numpy + OpenCV (contours) only.
"""
from __future__ import annotations

import math
from typing import Dict, List, Sequence

import numpy as np

TILE = 64  # cells per tile side


class TileGrid:
    """A sparse square grid in RD metres: only tiles that kernels reach exist, so a
    fine cell size works whether the candidates sit in one street or across the
    country. Global cell (r, c) covers x in [c*cell, (c+1)*cell) and
    y in (-(r+1)*cell, -r*cell] (row 0 at y = 0, rows grow southwards)."""

    def __init__(self, cell: float):
        self.cell = float(cell)
        self.tiles: Dict[tuple, np.ndarray] = {}

    def add_gaussian(self, x: float, y: float, sigma: float, weight: float) -> None:
        cell = self.cell
        s = max(float(sigma), cell)
        r = int(math.ceil(4.0 * s / cell))
        fc, fr = x / cell - 0.5, -y / cell - 0.5  # fractional cell-centre coordinates
        c0, c1 = int(math.floor(fc)) - r, int(math.floor(fc)) + r + 2
        r0, r1 = int(math.floor(fr)) - r, int(math.floor(fr)) + r + 2
        gx = np.exp(-0.5 * ((np.arange(c0, c1) - fc) * cell / s) ** 2)
        gy = np.exp(-0.5 * ((np.arange(r0, r1) - fr) * cell / s) ** 2)
        k = np.outer(gy, gx)
        k *= weight / k.sum()
        for tr in range(r0 // TILE, (r1 - 1) // TILE + 1):
            for tc in range(c0 // TILE, (c1 - 1) // TILE + 1):
                a0, a1 = max(r0, tr * TILE), min(r1, (tr + 1) * TILE)
                b0, b1 = max(c0, tc * TILE), min(c1, (tc + 1) * TILE)
                tile = self.tiles.get((tr, tc))
                if tile is None:
                    tile = self.tiles[(tr, tc)] = np.zeros((TILE, TILE))
                tile[a0 - tr * TILE:a1 - tr * TILE, b0 - tc * TILE:b1 - tc * TILE] += k[a0 - r0:a1 - r0, b0 - c0:b1 - c0]

    def components(self) -> List[List[tuple]]:
        """Tiles in 8-connected groups, each sorted; groups in a stable order."""
        left = set(self.tiles)
        out = []
        for start in sorted(self.tiles):
            if start not in left:
                continue
            left.discard(start)
            comp, stack = [], [start]
            while stack:
                t = stack.pop()
                comp.append(t)
                for dr in (-1, 0, 1):
                    for dc in (-1, 0, 1):
                        n = (t[0] + dr, t[1] + dc)
                        if n in left:
                            left.discard(n)
                            stack.append(n)
            out.append(sorted(comp))
        return out

    def dense(self, comp: List[tuple]):
        """(array, x_min, y_max) of one component's bounding tiles."""
        tr0 = min(t[0] for t in comp)
        tr1 = max(t[0] for t in comp)
        tc0 = min(t[1] for t in comp)
        tc1 = max(t[1] for t in comp)
        arr = np.zeros(((tr1 - tr0 + 1) * TILE, (tc1 - tc0 + 1) * TILE))
        for tr, tc in comp:
            arr[(tr - tr0) * TILE:(tr - tr0 + 1) * TILE, (tc - tc0) * TILE:(tc - tc0 + 1) * TILE] = self.tiles[(tr, tc)]
        return arr, tc0 * TILE * self.cell, -tr0 * TILE * self.cell

    def cells(self):
        """All cell masses with their centre coordinates: (mass, x, y) flat arrays."""
        ms, xs, ys = [], [], []
        idx = (np.arange(TILE) + 0.5) * self.cell
        for (tr, tc), tile in sorted(self.tiles.items()):
            cx = tc * TILE * self.cell + idx
            cy = -tr * TILE * self.cell - idx
            ms.append(tile.ravel())
            xs.append(np.broadcast_to(cx[None, :], tile.shape).ravel())
            ys.append(np.broadcast_to(cy[:, None], tile.shape).ravel())
        return np.concatenate(ms), np.concatenate(xs), np.concatenate(ys)


def trim(arr: np.ndarray, x0: float, y1: float, cell: float, pad: int = 2):
    """Crop a dense array to its non-zero rows/cols (plus a small border)."""
    rows = np.flatnonzero(arr.any(axis=1))
    cols = np.flatnonzero(arr.any(axis=0))
    if len(rows) == 0:
        return arr, x0, y1
    a0, a1 = max(0, rows[0] - pad), min(arr.shape[0], rows[-1] + pad + 1)
    b0, b1 = max(0, cols[0] - pad), min(arr.shape[1], cols[-1] + pad + 1)
    return arr[a0:a1, b0:b1], x0 + b0 * cell, y1 - a0 * cell


def hdr_thresholds(mass: np.ndarray, levels: Sequence[float], total: float) -> Dict[float, float]:
    """Per level, the smallest cell mass whose super-level set holds ``level`` of
    ``total`` (when the cells hold less than that, every cell with mass)."""
    flat = np.sort(np.asarray(mass, dtype=float).ravel())[::-1]
    cum = np.cumsum(flat)
    out = {}
    for level in levels:
        idx = min(int(np.searchsorted(cum, level * total, side="left")), len(flat) - 1)
        out[level] = float(flat[idx]) if len(flat) else 0.0
    return out


def mask_to_rings(mask: np.ndarray, x0: float, y1: float, cell: float) -> List[np.ndarray]:
    """Outer rings (closed, RD metres) of the True regions of a grid mask."""
    import cv2

    if not mask.any():
        return []
    up = 4  # trace at 1/4 cell so one-cell regions still give a polygon at the cell's edges
    big = np.kron(mask.astype(np.uint8), np.ones((up, up), np.uint8))
    big = np.pad(big, 1)
    contours, _ = cv2.findContours(big, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    rings = []
    for cnt in contours:
        pts = cnt.reshape(-1, 2).astype(float) - 1.0  # undo the padding
        if len(pts) < 3:
            continue
        col = (pts[:, 0] + 0.5) / up
        row = (pts[:, 1] + 0.5) / up
        ring = np.column_stack([x0 + col * cell, y1 - row * cell])
        ring = np.vstack([ring, ring[:1]])
        rings.append(ring)
    rings.sort(key=lambda r: (-abs(_ring_area(r)), r[0, 0], r[0, 1]))
    return rings


def _ring_area(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * float(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1]))


def ring_area(ring: np.ndarray) -> float:
    return abs(_ring_area(np.asarray(ring, dtype=float)))
