"""Geographic cells in RD New (Search-within-Cell for large databases).

References fall in square cells of ``cell_m`` metres (``cell_key``). Three uses:

* **Selecting before searching**: a search area (AREA / AREA_EXTENT) picks the cells
  its bounding box touches, and only their views are tested against the polygon
  (``CellGrid.rows_in_box``), so the cost follows the area, not the database.
* **The local spacing of the references** (``local_spacing``): how far the reference
  nearest a point is from its nearest neighbour elsewhere, which bounds the error
  radius (posterior.bounded_radius).
* **A cell prior from the retrieval scores** (``cell_prior``): the global top-k votes
  for cells, each hit with weight exp((s - s_best) / tau); the cells holding
  ``mass`` of the votes (at most ``max_cells``) are searched again on their own
  (``CellSearch``, stages.retrieve), so the candidates that get verified come from
  the likely cells instead of being spread over the country by near-duplicates of
  other streets. This is the seed's Search-within-Cell with the classifier replaced
  by the retrieval votes (no cell classifier to train).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterable, List, Sequence, Tuple

import numpy as np

CELL_M = 2000.0  # cell side in metres
_SHIFT = 1 << 20  # key = ix * _SHIFT + iy; RD New is 0..300 km wide: ix, iy < 2^20 for cells >= 1 m


def cell_key(x, y, cell_m: float = CELL_M):
    """Integer key of the cell holding RD New point(s) (x, y)."""
    ix = np.floor(np.asarray(x, np.float64) / cell_m).astype(np.int64)
    iy = np.floor(np.asarray(y, np.float64) / cell_m).astype(np.int64)
    return ix * _SHIFT + iy


def cell_box(key: int, cell_m: float = CELL_M) -> Tuple[float, float, float, float]:
    """(xmin, ymin, xmax, ymax) of a cell."""
    ix, iy = divmod(int(key), _SHIFT)
    return ix * cell_m, iy * cell_m, (ix + 1) * cell_m, (iy + 1) * cell_m


class CellGrid:
    """The views of a database grouped by cell (built once from the store's
    positions): ids by cell key, and the views of the cells a box touches."""

    def __init__(self, fids: np.ndarray, xs: np.ndarray, ys: np.ndarray, cell_m: float = CELL_M):
        self.cell_m = float(cell_m)
        keys = cell_key(xs, ys, self.cell_m)
        order = np.argsort(keys, kind="stable")
        self._rows = order  # positions of the views, by cell
        self._keys, starts = np.unique(keys[order], return_index=True)
        self._starts = np.append(starts, len(order))
        self.fids, self.xs, self.ys = np.asarray(fids), np.asarray(xs), np.asarray(ys)

    def __len__(self) -> int:
        return len(self._keys)

    def _rows_of(self, keys: Iterable[int]) -> np.ndarray:
        keys = np.unique(np.asarray(list(keys), np.int64))
        at = np.searchsorted(self._keys, keys)
        found = (at < len(self._keys)) & (self._keys[np.minimum(at, len(self._keys) - 1)] == keys)
        parts = [self._rows[self._starts[i]:self._starts[i + 1]] for i in at[found]]
        return np.concatenate(parts) if parts else np.zeros(0, np.int64)

    def ids_in_cells(self, keys: Iterable[int]) -> np.ndarray:
        return np.sort(self.fids[self._rows_of(keys)])

    def rows_in_box(self, xmin, ymin, xmax, ymax) -> np.ndarray:
        """Rows (into fids/xs/ys) of the views in the cells the box touches."""
        ix0, ix1 = int(np.floor(xmin / self.cell_m)), int(np.floor(xmax / self.cell_m))
        iy0, iy1 = int(np.floor(ymin / self.cell_m)), int(np.floor(ymax / self.cell_m))
        if (ix1 - ix0 + 1) * (iy1 - iy0 + 1) > 4 * len(self._keys):  # a box larger than the data: keys instead
            ix, iy = np.divmod(self._keys, _SHIFT)
            inside = self._keys[(ix >= ix0) & (ix <= ix1) & (iy >= iy0) & (iy <= iy1)]
            return self._rows_of(inside)
        return self._rows_of(ix * _SHIFT + iy for ix in range(ix0, ix1 + 1) for iy in range(iy0, iy1 + 1))


@dataclass(frozen=True)
class CellSearch:
    """How retrieval searches within cells (PipelineConfig.cells; None: global only)."""

    cell_m: float = CELL_M
    tau: float = 0.02  # similarity scale of a vote
    mass: float = 0.9  # the cells holding this share of the votes are searched
    max_cells: int = 3


def cell_prior(views: Sequence, similarities: Sequence[float], tau: float, cell_m: float = CELL_M
               ) -> List[Tuple[int, float]]:
    """[(cell key, probability)] from retrieval hits (views with x, y), best first."""
    if not len(views):
        return []
    s = np.asarray(similarities, np.float64)
    w = np.exp((s - s.max()) / max(float(tau), 1e-6))
    keys = cell_key([v.x for v in views], [v.y for v in views], cell_m)
    votes: Dict[int, float] = {}
    for k, wi in zip(keys.tolist(), w.tolist()):
        votes[k] = votes.get(k, 0.0) + wi
    total = sum(votes.values())
    return sorted(((k, v / total) for k, v in votes.items()), key=lambda kv: (-kv[1], kv[0]))


def chosen_cells(prior: List[Tuple[int, float]], mass: float, max_cells: int) -> List[int]:
    """The best cells until they hold ``mass`` of the prior (at most ``max_cells``)."""
    out, held = [], 0.0
    for key, p in prior[: max(1, int(max_cells))]:
        out.append(key)
        held += p
        if held >= mass:
            break
    return out


SPACING_REACH_M = 500.0  # references farther than this from the point are not looked at
SAME_POSITION_M = 1.0  # views of one panorama (or photos this close) are one position


def local_spacing(xs: np.ndarray, ys: np.ndarray, x: float, y: float) -> float:
    """Distance from the reference position nearest (x, y) to its nearest other
    position (more than SAME_POSITION_M away); inf when there is none."""
    xs, ys = np.asarray(xs, np.float64), np.asarray(ys, np.float64)
    if len(xs) == 0:
        return float("inf")
    i = int(np.argmin(np.hypot(xs - x, ys - y)))
    d = np.hypot(xs - xs[i], ys - ys[i])
    d = d[d > SAME_POSITION_M]
    return float(d.min()) if len(d) else float("inf")
