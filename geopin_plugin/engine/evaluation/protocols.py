"""Evaluation protocols: which images are references, which are queries, and
what counts as a correct answer.

A protocol is plain data (no models, no I/O beyond reading manifests):

* ``references``: every reference view the protocol's full database holds;
* ``queries``: each with the leave-one-out groups it must not see (its own
  panorama or photo), its ground truth and whether its place is covered
  (``positive``: some reference that the query may see lies within
  ``correct_radius_m`` of its truth).

Leave-one-out is evaluated by searching the full reference set with the
query's own group masked out, which returns exactly the ids and order an
(exact-search) database built without that group would return; nothing is
rebuilt per query.

Built-in protocols on the shared datasets (``datasets_dir()``):

* ``amsterdam-lopo``: leave one Amsterdam panorama out;
* ``lund-loo``: each Lund photo against the other 28, Amsterdam views as distractors;
* ``panoramax``: the multi-view places among the Panoramax samples,
  Amsterdam views as distractors.

A custom protocol (:func:`custom_protocol`) takes a reference folder and query
images with ground truth from a CSV (``file,lat,lon``) or their EXIF GPS.
"""
from __future__ import annotations

import csv
import hashlib
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from ..builder.config import BuildConfig
from ..geo import geodesic_distance_m
from ..panorama import DEFAULT_MIN_ELEVATION_DEG as REF_MIN_ELEVATION, VIEW_SIZE, evenly_spaced_headings
from ..paths import datasets_dir

# Bumped whenever engine/evaluation/overlays.py paints other pixels (cache keys hold it)
OVERLAY_VERSION = 2

# Views cut from panoramas: the reference grid (as a build cuts them, BuildConfig)
# and phone-like query views.
REF_HEADINGS = tuple(evenly_spaced_headings(BuildConfig.panorama_headings))
REF_FOV = BuildConfig.view_fov
PHONE_FOV = 65.0
HEADING_OFFSET = 22.5


@dataclass(frozen=True)
class Item:
    """One image the evaluation embeds: a photo as is, or a perspective view of a panorama."""

    path: str  # absolute path of the source file
    lat: Optional[float]  # WGS84 truth (None: unknown position)
    lon: Optional[float]
    group: str  # leave-one-out unit: the panorama or photo it comes from
    place: str  # a place name for reports and per-place cross-validation
    heading: Optional[float] = None  # None: the image itself, else a panorama view
    fov: float = REF_FOV
    pitch: float = 0.0
    size: Tuple[int, int] = VIEW_SIZE
    # Lowest elevation the view sees (the database's cut shifts reference views up,
    # clear of the capture car's roof); None: horizon centred, like a phone photo.
    min_elevation: Optional[float] = None
    # A photo stored as a reference is shrunk as the ingest stores it (long side
    # views.PHOTO_VIEW_MAX_SIDE); a query photo goes in as it is (None).
    max_side: Optional[int] = None
    # a phone-photo condition applied after rendering (engine/evaluation/perturb.py), "" none
    condition: str = ""
    # a generated static overlay (engine/evaluation/overlays.py: a nadir cap painted into the
    # panorama before cutting, a hood or date stamp painted on the view), "" none
    overlay: str = ""
    # the panorama downscaled to this width before cutting (a smaller upload), None as is
    source_width: Optional[int] = None

    @property
    def is_view(self) -> bool:
        return self.heading is not None

    @property
    def key(self) -> str:
        """Stable identity for caches (independent of where the datasets folder lives)."""
        name = _rel(self.path)
        cond = f",cond={self.condition}" if self.condition else ""
        cond += f",ovl={self.overlay}@{OVERLAY_VERSION}" if self.overlay else ""
        cond += f",src={self.source_width}" if self.source_width else ""
        if not self.is_view:
            return (name if self.max_side is None else f"{name}#max={self.max_side}") + cond
        elev = "c" if self.min_elevation is None else f"{self.min_elevation:g}"
        return (f"{name}#h={self.heading:g},fov={self.fov:g},pitch={self.pitch:g},"
                f"size={self.size[0]}x{self.size[1]},elev={elev}{cond}")

    @property
    def label(self) -> str:
        name = os.path.basename(self.path)
        cond = f" {self.condition}" if self.condition else ""
        cond += f" {self.overlay}" if self.overlay else ""
        return (name if not self.is_view else f"{name} h{self.heading:g} fov{self.fov:g}") + cond


def _rel(path: str) -> str:
    """The last two path parts (dataset folder/file): stable across machines."""
    p = Path(path)
    return f"{p.parent.name}/{p.name}"


def item_digest(key: str) -> str:
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:20]


@dataclass(frozen=True)
class Query:
    item: Item
    exclude_groups: Tuple[str, ...]  # reference groups this query must not see
    positive: bool  # a visible reference lies within correct_radius_m of the truth
    kind: str = ""  # e.g. "grid90", "phone65", "unlocated": for per-kind tables


@dataclass
class Protocol:
    name: str
    description: str
    references: List[Item]
    queries: List[Query]
    correct_radius_m: float = 25.0  # a reference (or estimate) this close to the truth is correct
    notes: List[str] = field(default_factory=list)

    def subset(self, max_queries: Optional[int] = None, groups: Optional[Sequence[str]] = None) -> "Protocol":
        """A smaller, still deterministic protocol (tests, quick runs): queries of the
        given groups, then at most ``max_queries`` spread evenly over the list."""
        queries = list(self.queries)
        if groups:
            wanted = set(groups)
            queries = [q for q in queries if q.item.group in wanted]
        if max_queries and len(queries) > max_queries:
            idx = np.linspace(0, len(queries) - 1, max_queries).round().astype(int)
            queries = [queries[i] for i in sorted(set(idx.tolist()))]
        return Protocol(self.name, self.description, list(self.references), queries,
                        self.correct_radius_m, list(self.notes))


def mark_positives(references: Sequence[Item], queries: Iterable[Query], radius_m: float) -> List[Query]:
    """Set ``positive`` from coordinates: some reference outside the query's
    excluded groups lies within ``radius_m`` of the query's truth."""
    located = [r for r in references if r.lat is not None]
    rlat = np.array([r.lat for r in located], float)
    rlon = np.array([r.lon for r in located], float)
    rgroup = np.array([r.group for r in located], object)
    out = []
    for q in queries:
        positive = False
        if q.item.lat is not None and len(located):
            d = geodesic_distance_m(q.item.lat, q.item.lon, rlat, rlon)
            visible = ~np.isin(rgroup, list(q.exclude_groups))
            positive = bool(np.any((d <= radius_m) & visible))
        out.append(replace(q, positive=positive))
    return out


def as_reference(photo: Item) -> Item:
    """A photo as the database stores it (views of panoramas are already)."""
    from ..database.views import PHOTO_VIEW_MAX_SIDE

    return photo if photo.is_view else replace(photo, max_side=PHOTO_VIEW_MAX_SIDE)


def _read_manifest(path: Path) -> List[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return sorted(csv.DictReader(f), key=lambda r: r["file"])


def _pano_views(path: str, lat, lon, group: str, place: str, headings, fov: float) -> List[Item]:
    """Views as the database cuts them (90 degrees, shifted clear of the car roof)
    or, at a narrower field of view, phone-like with the horizon centred."""
    elev = REF_MIN_ELEVATION if fov == REF_FOV else None
    return [Item(path, lat, lon, group, place, heading=float(h), fov=float(fov), min_elevation=elev)
            for h in headings]


def amsterdam_references(root: Optional[Path] = None) -> List[Item]:
    """The 8 x 90 degree views of every located Amsterdam panorama."""
    root = Path(root or datasets_dir())
    folder = root / "amsterdam-panoramas"
    refs = []
    for row in _read_manifest(folder / "manifest.csv"):
        refs += _pano_views(str(folder / row["file"]), float(row["lat"]), float(row["lon"]),
                            row["pano_id"], row["pano_id"], REF_HEADINGS, REF_FOV)
    return refs


# Query views of a left-out Amsterdam panorama: 4 on the reference grid (90 deg,
# cut exactly as the database cuts its views) and 4 phone-like ones (65 deg,
# horizon centred) facing in between, 22.5 deg off the grid; 2 phone-like views
# per unlocated panorama. Kept small because every query verifies its top
# candidates (about 0.12 s a pair on this 2-core machine).
GRID_QUERY_HEADINGS = (0.0, 90.0, 180.0, 270.0)
PHONE_QUERY_HEADINGS = tuple(h + HEADING_OFFSET for h in (45.0, 135.0, 225.0, 315.0))
UNLOCATED_QUERY_HEADINGS = (HEADING_OFFSET, 180.0 + HEADING_OFFSET)


def amsterdam_lopo(root: Optional[Path] = None, unlocated: bool = True,
                   grid_headings: Sequence[float] = GRID_QUERY_HEADINGS,
                   phone_headings: Sequence[float] = PHONE_QUERY_HEADINGS,
                   unlocated_headings: Sequence[float] = UNLOCATED_QUERY_HEADINGS) -> Protocol:
    """Leave one Amsterdam panorama out.

    Queries from each located panorama (grid and phone-like views, see above)
    search the views of all the other panoramas (its own masked out); a query is
    positive when a partner panorama lies within 50 m. Views of the unlocated
    panoramas are negatives.
    """
    root = Path(root or datasets_dir())
    refs = amsterdam_references(root)
    queries = []
    folder = root / "amsterdam-panoramas"
    for row in _read_manifest(folder / "manifest.csv"):
        args = (str(folder / row["file"]), float(row["lat"]), float(row["lon"]), row["pano_id"], row["pano_id"])
        for it in _pano_views(*args, grid_headings, REF_FOV):
            queries.append(Query(it, (row["pano_id"],), False, "grid90"))
        for it in _pano_views(*args, phone_headings, PHONE_FOV):
            queries.append(Query(it, (row["pano_id"],), False, "phone65"))
    correct = 50.0
    queries = mark_positives(refs, queries, correct)
    if unlocated:
        ufolder = root / "amsterdam-unlocated"
        for path in sorted(ufolder.glob("*.jpg")):
            for it in _pano_views(str(path), None, None, path.stem, "unlocated:" + path.stem,
                                  unlocated_headings, PHONE_FOV):
                queries.append(Query(it, (), False, "unlocated"))
    return Protocol(
        "amsterdam-lopo",
        "Amsterdam, leave one panorama out: 4 grid views (90 deg) and 4 phone-like views "
        "(65 deg, between the grid headings) of each located panorama against the views of all the others; "
        "2 phone-like views of each unlocated panorama as negatives",
        refs, queries, correct_radius_m=correct,
        notes=["correct = within 50 m: every covered place has a partner panorama within 45 m "
               "(Waterlooplein's is 45 m away), so 25 m would make Waterlooplein uncoverable"],
    )


def lund_loo(root: Optional[Path] = None, distractors: bool = True) -> Protocol:
    """Each Lund photo against the other 28, with the Amsterdam views as distractors."""
    root = Path(root or datasets_dir())
    folder = root / "lund"
    photos = [Item(str(folder / r["file"]), float(r["lat"]), float(r["lon"]), "lund/" + r["file"], "lund")
              for r in _read_manifest(folder / "manifest.csv")]
    refs = [as_reference(p) for p in photos] + (amsterdam_references(root) if distractors else [])
    queries = mark_positives(refs, [Query(p, (p.group,), False, "photo") for p in photos], 25.0)
    return Protocol("lund-loo", "Lund: each photo against the other 28 (Amsterdam panorama views as distractors)",
                    refs, queries, correct_radius_m=25.0)


# The Panoramax samples: 1-5 are 360 degree panoramas ~3 m apart, e1-e5 photos of
# one crossing, b1/b2 a station forecourt ~80 m apart, d1 a lone small panorama.
def _is_panorama(path: Path) -> bool:
    from ..images import image_size

    w, h = image_size(str(path))
    return abs(w - 2 * h) <= 2


def panoramax(root: Optional[Path] = None, distractors: bool = True) -> Protocol:
    """Multi-view places among the Panoramax samples: each picture (its views, for a
    panorama) against all the others; Amsterdam views as distractors."""
    root = Path(root or datasets_dir())
    folder = root / "panoramax-samples"
    refs, queries = [], []
    for r in _read_manifest(folder / "manifest.csv"):
        path = folder / r["file"]
        lat, lon = float(r["lat"]), float(r["lon"])
        group = "panoramax/" + r["file"]
        stem = Path(r["file"]).stem
        place = "panoramax:" + ("360" if stem.isdigit() else stem.rstrip("0123456789"))
        if _is_panorama(path):
            refs += _pano_views(str(path), lat, lon, group, place, REF_HEADINGS, REF_FOV)
            hs = [HEADING_OFFSET + 90.0 * i for i in range(4)]
            queries += [Query(it, (group,), False, "phone65")
                        for it in _pano_views(str(path), lat, lon, group, place, hs, PHONE_FOV)]
        else:
            it = Item(str(path), lat, lon, group, place)
            refs.append(as_reference(it))
            queries.append(Query(it, (group,), False, "photo"))
    if distractors:
        refs += amsterdam_references(root)
    queries = mark_positives(refs, queries, 25.0)
    return Protocol("panoramax", "Panoramax samples (FR): each picture against the others, Amsterdam views as distractors",
                    refs, queries, correct_radius_m=25.0,
                    notes=["b1/b2 are ~80 m apart: negatives at 25 m; d1 has no partner"])


def amsterdam_xcond(root: Optional[Path] = None) -> Protocol:
    """amsterdam-lopo's queries as phone photos in other conditions, against other capture runs.

    The same 8 query views per located panorama and 2 per unlocated one, each
    under one phone-photo condition of engine/evaluation/perturb.py (night, motion blur,
    JPEG 40, tilt +-15 deg, 1.5x zoom, portrait crop; assigned in turn, so every
    condition meets every place). A query masks *every* panorama of its own
    capture run, so a positive can only be matched by a partner from another
    run (other day, light, parked cars): Overtoom and Waterlooplein stay covered,
    Houthavens (one run) becomes a negative.
    """
    from .perturb import CONDITIONS

    root = Path(root or datasets_dir())
    base = amsterdam_lopo(root)
    folder = root / "amsterdam-panoramas"
    run_of = {row["pano_id"]: row["capture_run"] for row in _read_manifest(folder / "manifest.csv")}
    same_run = {p: tuple(sorted(q for q, r in run_of.items() if r == run)) for p, run in run_of.items()}
    queries = []
    for i, q in enumerate(base.queries):
        item = replace(q.item, condition=CONDITIONS[i % len(CONDITIONS)])
        exclude = same_run.get(q.item.group, q.exclude_groups)
        queries.append(Query(item, exclude, False, f"{q.kind}:{item.condition}"))
    located = [q for q in queries if q.item.lat is not None]
    negatives = [q for q in queries if q.item.lat is None]
    queries = mark_positives(base.references, located, base.correct_radius_m) + negatives
    return Protocol(
        "amsterdam-xcond",
        "amsterdam-lopo's query views as phone photos (night, motion blur, JPEG 40, tilt, 1.5x zoom, "
        "portrait crop) against the panoramas of other capture runs only",
        base.references, queries, correct_radius_m=base.correct_radius_m,
        notes=["a query masks all panoramas of its capture run; Houthavens' two panoramas are one run"],
    )


def read_truth_csv(path) -> Dict[str, Tuple[float, float]]:
    """Ground truth ``file,lat,lon`` (file: a name or a path relative to the CSV)."""
    truth = {}
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        missing = {"file", "lat", "lon"} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path}: the ground-truth CSV needs columns file,lat,lon (missing {', '.join(sorted(missing))})")
        for row in reader:
            truth[os.path.basename(row["file"].strip())] = (float(row["lat"]), float(row["lon"]))
    return truth


def _images_in(folder) -> List[Path]:
    from ..images import IMAGE_EXTENSIONS

    folder = Path(folder)
    if folder.is_file():
        return [folder]
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS)


def _gps(path: Path) -> Optional[Tuple[float, float]]:
    from ..images import read_exif

    try:
        exif = read_exif(str(path))
    except Exception:
        return None
    lat, lon = _get(exif, "lat"), _get(exif, "lon")
    return (float(lat), float(lon)) if lat is not None and lon is not None else None


def _get(obj, name):
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def custom_protocol(queries_dir, truth_csv=None, references_dir=None, references: Optional[List[Item]] = None,
                    correct_radius_m: float = 25.0, name: str = "custom") -> Protocol:
    """Query images with ground truth (CSV ``file,lat,lon`` or their EXIF GPS)
    against reference photos (a folder of geotagged photos) or given references.

    A query that is also a reference (same file) has that reference masked out.
    Queries without any ground truth are negatives.
    """
    truth = read_truth_csv(truth_csv) if truth_csv else {}
    refs = list(references or [])
    if references_dir:
        rtruth = truth
        for p in _images_in(references_dir):
            pos = rtruth.get(p.name) or _gps(p)
            if pos is None:
                continue  # a reference without a position cannot answer anything
            refs.append(as_reference(Item(str(p.resolve()), pos[0], pos[1], str(p.resolve()), p.stem)))
    queries = []
    for p in _images_in(queries_dir):
        pos = truth.get(p.name) or _gps(p)
        group = str(p.resolve())
        it = Item(group, pos[0] if pos else None, pos[1] if pos else None, group, p.stem)
        queries.append(Query(it, (group,), False, "photo"))
    queries = mark_positives(refs, queries, correct_radius_m)
    return Protocol(name, f"queries from {queries_dir}", refs, queries, correct_radius_m)
