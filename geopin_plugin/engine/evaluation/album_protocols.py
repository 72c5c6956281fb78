"""Album protocols: sequences of real shared frames with capture times, some frames
degraded so that they fail alone (engine/evaluation/perturb.py DEGRADATIONS), to measure the
album's joint estimate (engine/album.py) against locating each frame alone.

* ``lund-album``: the 29 Lund frames in file order (they walk one street, 0-16 m
  apart); times at 1.4 m/s along the frames' own GPS track plus 5 s per photo.
  Frames 02, 05, 08, ... (every third, starting with the second) are degraded in
  turn blur40, dark, ground, sky, facade. Each frame leaves its own photo out (as
  lund-loo), Amsterdam views are distractors.
* ``panoramax-album``: the Panoramax 360° panoramas 1-5 (4 phone-like 65° views
  each, headings 22.5 + 90k, the panorama's EXIF time) and the photos e1-e5 (their
  EXIF times) as two albums; the view at heading index (n - 1) mod 4 of panorama n
  and photos e2, e4 are degraded (blur40, dark, ground, sky, facade, blur40, dark).
* ``amsterdam-walk``: the four Overtoom / Jan Pieter Heijestraat panoramas walked in
  the order 000323 -> 002709 -> 002827 -> 000280 (11.5, 33.8, 7.4 m apart); at each
  the person turns round: amsterdam-lopo's 8 query views (grid 0/90/180/270 at 90°,
  phone 67.5/157.5/247.5/337.5 at 65°) by heading, 4 s apart, walking between the
  panoramas at 1.4 m/s. Views 3, 7, 11, ... (every fourth, starting with the third,
  in walk order) are degraded in turn. Each view leaves its own panorama out; its
  partners are then 7.4-43 m away.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from ..geo import geodesic_distance_m
from ..paths import datasets_dir
from .perturb import DEGRADATIONS
from .protocols import Protocol, Query, _read_manifest, amsterdam_lopo, panoramax

WALKING_MPS = 1.4  # the protocols' walking pace (the album's motion model allows up to its preset)
SHOT_S = 5.0  # standing still to take a photo


@dataclass
class AlbumProtocol(Protocol):
    """A protocol whose queries form albums: ``albums`` lists query keys in capture
    order, ``times`` gives each key's capture time (s), ``degraded`` the keys of the
    frames degraded to fail alone."""

    albums: List[List[str]] = field(default_factory=list)
    times: Dict[str, float] = field(default_factory=dict)
    degraded: Dict[str, str] = field(default_factory=dict)  # key -> condition

    def subset(self, max_queries: Optional[int] = None, groups: Optional[Sequence[str]] = None) -> "AlbumProtocol":
        """Whole albums only (a subset of frames would change what the album knows):
        the first albums holding at most ``max_queries`` frames (at least one album)."""
        base = Protocol.subset(self, None, groups)
        keys = {q.item.key for q in base.queries}
        albums, n = [], 0
        for album in self.albums:
            album = [k for k in album if k in keys]
            if album and (not albums or not max_queries or n + len(album) <= max_queries):
                albums.append(album)
                n += len(album)
        kept = {k for a in albums for k in a}
        return replace(self, queries=[q for q in base.queries if q.item.key in kept], albums=albums)


def _walk_times(points, pace=WALKING_MPS, shot_s=SHOT_S) -> List[float]:
    """Capture times along a walk through ``points`` ((lat, lon)): the distance at
    ``pace`` plus ``shot_s`` for each photo."""
    times, t = [], 0.0
    for k, (lat, lon) in enumerate(points):
        if k:
            t += float(geodesic_distance_m(points[k - 1][0], points[k - 1][1], lat, lon)) / pace + shot_s
        times.append(t)
    return times


def _degrade(queries: List[Query], which: Sequence[int]) -> Dict[str, str]:
    """Replace the queries at ``which`` by degraded versions, conditions in turn."""
    out = {}
    for n, k in enumerate(which):
        cond = DEGRADATIONS[n % len(DEGRADATIONS)]
        q = queries[k]
        queries[k] = replace(q, item=replace(q.item, condition=cond), kind=f"{q.kind}:{cond}")
        out[queries[k].item.key] = cond
    return out


def lund_album(root: Optional[Path] = None) -> AlbumProtocol:
    from .protocols import lund_loo

    base = lund_loo(root)
    queries = list(base.queries)  # file order = walk order
    times = _walk_times([(q.item.lat, q.item.lon) for q in queries])
    return _one_walk("lund-album", "Lund's 29 frames as one walk (times at 1.4 m/s + 5 s a photo), every third "
                     "frame degraded (blur40, dark, ground, sky, facade in turn); each leaves its own photo out",
                     base, queries, times, every=3, first=1)


def panoramax_album(root: Optional[Path] = None) -> AlbumProtocol:
    from ..images import read_exif
    from ..album import parse_exif_time

    base = panoramax(root)
    root = Path(root or datasets_dir())
    folder = root / "panoramax-samples"
    stamp = {}
    for r in _read_manifest(folder / "manifest.csv"):
        stamp["panoramax/" + r["file"]] = parse_exif_time(read_exif(str(folder / r["file"]))["capture_time"])[0]
    panos = [f"panoramax/{n}.jpg" for n in range(1, 6)]
    photos = [f"panoramax/e{n}.jpg" for n in range(1, 6)]
    order = {g: i for i, g in enumerate(panos + photos)}
    queries = sorted((q for q in base.queries if q.item.group in order),
                     key=lambda q: (order[q.item.group], q.item.heading or 0.0))
    which = [k for k, q in enumerate(queries) if q.item.group in panos
             and q.item.heading is not None and int(q.item.heading // 90) == panos.index(q.item.group) % 4]
    which += [k for k, q in enumerate(queries) if q.item.group in ("panoramax/e2.jpg", "panoramax/e4.jpg")]
    degraded = _degrade(queries, which)
    albums = [[q.item.key for q in queries if q.item.group in members] for members in (panos, photos)]
    times = {q.item.key: stamp[q.item.group] for q in queries}
    return AlbumProtocol(
        "panoramax-album", "Panoramax 1-5 (4 phone views each) and e1-e5 as two albums with their EXIF times; "
        "one view per panorama and e2, e4 degraded", base.references, queries, base.correct_radius_m,
        notes=list(base.notes), albums=albums, times=times, degraded=degraded)


OVERTOOM_WALK = ("TMX7316010203-000992_pano_0001_000323", "TMX7316010203-001041_pano_0002_002709",
                 "TMX7316010203-001041_pano_0002_002827", "TMX7316010203-001631_pano_0000_000280")
TURN_S = 4.0  # between two views while turning round at one place


def amsterdam_walk(root: Optional[Path] = None) -> AlbumProtocol:
    base = amsterdam_lopo(root, unlocated=False)
    by_pano: Dict[str, List[Query]] = {}
    for q in base.queries:
        if q.item.group in OVERTOOM_WALK:
            by_pano.setdefault(q.item.group, []).append(q)
    queries, times, t, prev = [], [], 0.0, None
    for pano in OVERTOOM_WALK:
        views = sorted(by_pano[pano], key=lambda q: q.item.heading)
        here = (views[0].item.lat, views[0].item.lon)
        if prev is not None:
            t += float(geodesic_distance_m(prev[0], prev[1], *here)) / WALKING_MPS
        for q in views:
            if queries:
                t += TURN_S
            queries.append(q)
            times.append(t)
        prev = here
    return _one_walk("amsterdam-walk", "The four Overtoom panoramas walked in turn, 8 views turning round at each "
                     "(4 s apart, 1.4 m/s between them), every fourth view degraded; each view leaves its own "
                     "panorama out", base, queries, times, every=4, first=2)


def _one_walk(name: str, description: str, base, queries, times, every: int, first: int) -> AlbumProtocol:
    """All queries as one album in walk order, every ``every``-th from ``first`` degraded."""
    degraded = _degrade(queries, range(first, len(queries), every))
    keys = [q.item.key for q in queries]
    return AlbumProtocol(name, description, base.references, queries, base.correct_radius_m, notes=list(base.notes),
                         albums=[keys], times=dict(zip(keys, times)), degraded=degraded)
