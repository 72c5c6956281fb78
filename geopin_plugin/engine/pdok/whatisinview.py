"""One photo's posterior -> its parcels, buildings and addresses (see parcels.py).

Shared by the Processing algorithm geopin:whatisinview and the dock's "Parcels and
addresses" section. Data come either from PDOK (pdok/fetch.py, cached) or from the
caller's own features (a user's BRK/BGT/BAG layers) through ``load``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np

from . import parcels as pc
from .features import Polygon
from .fetch import AreaData

MAX_SIDE_M = 1500.0  # a wider posterior is cut to this square around the estimate (PDOK pages stay few)


@dataclass
class ViewAnswer:
    parcels: List[pc.RankedParcel]
    buildings: List[pc.RankedBuilding]
    addresses: List[pc.RankedAddress]
    bbox: Tuple[float, float, float, float]
    grid_mass: float  # the posterior mass the answer can share out (<= 1)
    warnings: List[str] = field(default_factory=list)
    requests: int = 0


def area_of_interest(grid: pc.DensityGrid, estimate: Tuple[float, float], margin_m: float,
                     keep_mass: float = 0.999) -> Tuple[Tuple[float, float, float, float], List[str]]:
    """The bbox of the cells holding ``keep_mass`` of the mass, grown by ``margin_m``
    (buildings seen from its edge), at most MAX_SIDE_M a side around the estimate."""
    mass = grid.cell_mass()
    warnings = []
    total = mass.sum()
    gx0, gy0, gx1, gy1 = grid.extent
    if total <= 0:
        x, y = estimate
        return (x - margin_m, y - margin_m, x + margin_m, y + margin_m), ["the posterior is empty"]
    flat = mass.ravel()
    order = np.argsort(-flat, kind="stable")
    n = int(np.searchsorted(np.cumsum(flat[order]), keep_mass * total) + 1)
    rows, cols = np.unravel_index(order[:n], mass.shape)
    cell = grid.cell
    x0, x1 = gx0 + cols.min() * cell - margin_m, gx0 + (cols.max() + 1) * cell + margin_m
    y0, y1 = gy1 - (rows.max() + 1) * cell - margin_m, gy1 - rows.min() * cell + margin_m
    half = MAX_SIDE_M / 2
    ex, ey = estimate
    if x1 - x0 > MAX_SIDE_M or y1 - y0 > MAX_SIDE_M:
        warnings.append(f"the posterior spreads over {x1 - x0:.0f} x {y1 - y0:.0f} m; only the "
                        f"{MAX_SIDE_M:.0f} m square around the estimate is searched")
        x0, x1 = max(x0, ex - half), min(x1, ex + half)
        y0, y1 = max(y0, ey - half), min(y1, ey + half)
    return (x0, y0, x1, y1), warnings


def analyse(grid: pc.DensityGrid, estimate: Tuple[float, float],
            load: Callable[[Tuple[float, float, float, float]], AreaData],
            view_cone: Optional[Sequence[Polygon]] = None, max_distance_m: float = 60.0,
            top_n: int = 10, rays: int = 180) -> ViewAnswer:
    """``load(bbox)`` returns the parcels, buildings and addresses for an RD bbox."""
    bbox, warnings = area_of_interest(grid, estimate, max_distance_m)
    data = load(bbox)
    warnings += data.warnings
    parcels = pc.rank_parcels(grid, data.parcels, estimate)
    buildings = pc.rank_buildings(grid, data.buildings, estimate, view_cone=view_cone,
                                  max_distance_m=max_distance_m, rays=rays)
    top_buildings = buildings[:top_n] if top_n else buildings
    addresses = pc.addresses_of(top_buildings, data.addresses)
    if not data.parcels:
        warnings.append("no parcels in the area")
    if not data.buildings:
        warnings.append("no buildings in the area")
    return ViewAnswer(parcels[:top_n] if top_n else parcels, top_buildings, addresses, bbox, grid.total_mass(),
                      warnings, data.requests)


def percent(p: float) -> str:
    return "<0.1 %" if p < 0.001 else f"{100.0 * p:.1f} %"


def summary_lines(answer: ViewAnswer) -> List[str]:
    """The top parcel, building and address in words (for logs and the demo)."""
    out = []
    if answer.parcels:
        r = answer.parcels[0]
        out.append(f"parcel   {r.parcel.aanduiding or r.parcel.id}: P = {percent(r.probability)}"
                   + (f", {r.distance_m:.0f} m from the estimate" if math.isfinite(r.distance_m) else ""))
    if answer.buildings:
        r = answer.buildings[0]
        out.append(f"building {r.building.source} {r.building.id}: P = {percent(r.probability)}, "
                   f"{r.distance_m:.0f} m from the estimate")
    if answer.addresses:
        r = answer.addresses[0]
        out.append(f"address  {r.address.label} ({r.address.id}): P = {percent(r.probability)}")
    return out
