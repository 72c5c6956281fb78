"""A 360° panorama given as a query (issue 23): cut into views as the references are
cut (90°, the window shifted up to DEFAULT_MIN_ELEVATION_DEG), each view located,
and one answer for the panorama with the compass heading of each view.

Matched whole, an equirectangular image matches nothing well (its distortion is not
a pinhole's), and its nadir cap would match other panoramas of the rig. The views
share one position, so the answer is where the views agree: the views answered
within posterior.AGREEMENT_REACH_M of each other form clusters, the one with the
most confidence wins; the confidence is scaled by the share of all view confidence
that agrees (as posterior.agreeing_confidence does for references), and "confident"
needs a confident view and no confident view elsewhere.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import List, Optional

import numpy as np

from . import panorama
from .builder.config import BuildConfig
from .types import CancelFn, ProgressFn
from .estimate.posterior import AGREEMENT_REACH_M, honest_label

QUERY_VIEW_HEADINGS = (0.0, 90.0, 180.0, 270.0)  # relative to the panorama's centre column
QUERY_VIEW_FOV = BuildConfig.view_fov  # cut as the references are


@dataclass
class PanoramaView:
    rel_heading: float  # the view's heading in the panorama (clockwise from its centre column)
    answer: object  # pipeline.Geolocation of the view alone
    heading_deg: Optional[float] = None  # compass heading of the view's axis (None: unknown)


@dataclass
class PanoramaAnswer:
    x: Optional[float]
    y: Optional[float]
    lat: Optional[float]
    lon: Optional[float]
    confidence: float
    label: str  # confident / uncertain / no match
    error_radius_m: float
    centre_heading_deg: Optional[float]  # compass heading of the panorama's centre column
    views: List[PanoramaView] = field(default_factory=list)
    agreeing_views: int = 0
    top: int = -1  # index into views of the most confident agreeing view (-1: none located)

    @property
    def n_verified(self) -> int:
        return sum(int(v.answer.n_verified) for v in self.views)

    def as_geolocation(self):
        """The answer as one pipeline.Geolocation (what the outputs take): the most
        confident agreeing view's candidates, posterior and footprints, with the
        panorama's position, confidence, label, radius and centre heading."""
        from dataclasses import replace

        if self.top < 0:
            return self.views[0].answer
        best = self.views[self.top].answer
        return replace(best, x=self.x, y=self.y, lat=self.lat, lon=self.lon, confidence=self.confidence,
                       label=self.label, error_radius_m=self.error_radius_m, n_verified=self.n_verified,
                       heading_deg=self.centre_heading_deg,
                       panorama_views=[(v.rel_heading, v.heading_deg) for v in self.views],
                       heading_sd_deg=None if self.centre_heading_deg is None else best.heading_sd_deg)


def is_panorama_query(rgb: np.ndarray, path=None) -> bool:
    """A query image is a panorama when its XMP says so or it is 2:1 and wraps round
    (panorama.is_equirectangular, the ingest's test)."""
    from . import images

    h, w = rgb.shape[:2]
    gpano = images.read_gpano(path) if path is not None else {}
    return bool(panorama.is_equirectangular(w, h, gpano, rgb))


def query_views(rgb: np.ndarray):
    """[(rel_heading, view RGB)] cut as the references are cut."""
    views = panorama.perspective_views(rgb, QUERY_VIEW_HEADINGS, fov_deg=QUERY_VIEW_FOV)
    return list(zip(QUERY_VIEW_HEADINGS, views))


def locate_panorama(geolocator, rgb: np.ndarray, progress: Optional[ProgressFn] = None,
                    is_canceled: Optional[CancelFn] = None, **locate_kw) -> PanoramaAnswer:
    """Locate every view of the panorama ``rgb`` with ``geolocator`` (pipeline.Geolocator)
    and combine them into one answer."""
    answers = []
    views = query_views(rgb)
    for i, (rel, view) in enumerate(views):
        if is_canceled is not None and is_canceled():
            break
        if progress is not None:
            progress("panorama", i / len(views), f"view {i + 1} of {len(views)} (heading {rel:g}°)")
        answers.append((rel, geolocator.locate(view, is_canceled=is_canceled, **locate_kw)))
    return combine(answers)


def _circular_mean(deg, w) -> Optional[float]:
    if not len(deg) or float(np.sum(w)) <= 0:
        return None
    r = np.radians(np.asarray(deg, float))
    return float(math.degrees(math.atan2(np.sum(w * np.sin(r)), np.sum(w * np.cos(r)))) % 360.0)


def combine(answers) -> PanoramaAnswer:
    """One answer from [(rel_heading, Geolocation)] of one panorama's views."""
    located = [(rel, a) for rel, a in answers if a.x is not None]
    if not located:
        return PanoramaAnswer(None, None, None, None, 0.0, "no match", float("inf"), None,
                              [PanoramaView(rel, a) for rel, a in answers])
    xy = np.array([[a.x, a.y] for _, a in located], float)
    conf = np.array([max(float(a.confidence), 0.0) for _, a in located])
    weight = conf if conf.sum() > 0 else np.array([float(a.n_verified) + 1e-3 for _, a in located])
    near = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1]) <= AGREEMENT_REACH_M
    best = int(np.argmax(near @ weight))
    members = near[best]
    w = weight[members]
    x, y = (w @ xy[members]) / w.sum()
    share = float(w.sum() / weight.sum())
    top = int(np.flatnonzero(members)[np.argmax(conf[members])])
    confidence = float(conf[top]) * share
    confident_elsewhere = any(a.label == "confident" for (_, a), m in zip(located, members) if not m)
    radius = max(float(located[top][1].error_radius_m),
                 float(np.max(np.hypot(xy[members, 0] - x, xy[members, 1] - y))))
    label = located[top][1].label
    if label == "confident" and confident_elsewhere:
        label = "uncertain"
    label = honest_label(label, radius)
    # the panorama's centre column: each agreeing view's estimated heading minus its offset
    hd = [((a.heading_deg - rel) % 360.0, wi) for (rel, a), m, wi in zip(located, members, weight)
          if m and a.heading_deg is not None]
    centre = _circular_mean([h for h, _ in hd], np.array([wi for _, wi in hd])) if hd else None
    from .geo import rd_to_wgs84

    lat, lon = rd_to_wgs84(x, y)
    views = [PanoramaView(rel, a, None if centre is None else (centre + rel) % 360.0) for rel, a in answers]
    top_index = [i for i, (rel, a) in enumerate(answers) if a is located[top][1]][0]
    return PanoramaAnswer(float(x), float(y), float(lat), float(lon), confidence, label, radius, centre, views,
                          int(members.sum()), top_index)
