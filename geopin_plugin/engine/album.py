"""Albums: photos taken together are located together.

Flow: ``read_capture_info`` (EXIF time + camera) -> ``group_albums`` (by camera,
a gap in time starts a new album) -> each photo located alone (pipeline.Geolocator)
-> ``evidence_of`` (its posterior's witnesses) -> ``locate_album`` (a hidden Markov
model over the album's candidate places) -> one :class:`AlbumEstimate` per photo.

The joint estimate (PlaNet's album idea without a trained model): the hidden state
is where the camera stood, drawn from the places any photo of the album has as a
candidate (the posterior's witness groups, deduplicated), so two photos that
verify against the same references share that state: shared place evidence. A
photo's emission at a place is its own posterior mixture there (group weights in
inlier units, the posterior's kernels) over a floor (``evidence_floor``): a
confident photo says "here" 30x louder than anywhere else, a blurred one barely
speaks. Between two photos Δt apart the camera moved at most v·Δt (v from
``MOTION_PRESETS``): a soft distance likelihood plus a small jump floor, so an
implausible jump is survivable and reported, not smoothed. Forward-backward gives
each photo's marginal over the places.

What changes: a photo that was "no match" alone gets the album's position
(``method = "album"``), labelled "uncertain" at best (album evidence alone is not
calibrated), with a radius that says how far the camera can be from the located
neighbours it rests on (v·Δt plus their radius) or the marginal's own spread,
whichever is wider. Photos located alone keep their answer; where the album puts
them elsewhere they are flagged "inconsistent". Two located photos farther apart
than v·Δt allows are reported as a jump. Photos without a capture time are
located alone, with a note.
"""
from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field
from typing import Dict, Hashable, List, Optional, Sequence, Tuple

import numpy as np

# Top speeds (m/s) a camera plausibly moves between two photos: a brisk walk, a city
# cyclist, city driving. The motion model lets the camera move up to v·Δt freely.
MOTION_PRESETS = {"walking": 2.0, "cycling": 8.0, "driving": 20.0}
DEFAULT_GAP_S = 30 * 60.0  # a pause longer than this starts a new album
FILE_ORDER_STEP_S = 30.0  # the assumed interval between photos when only their order is known
GROUPINGS = ("time", "one", "field", "file_order", "off")


@dataclass
class CaptureInfo:
    """When and with which camera a photo was taken (from EXIF)."""

    time_s: Optional[float] = None  # seconds since the epoch; UTC when the offset is known
    camera: str = ""  # make/model/serial, "" unknown
    has_offset: bool = False
    note: str = ""


def _ascii(value) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii", "ignore")
    return str(value or "").strip().strip("\x00").strip()


def parse_exif_time(text, offset=None, subsec=None) -> Tuple[Optional[float], bool]:
    """EXIF DateTimeOriginal ("YYYY:MM:DD HH:MM:SS") + OffsetTimeOriginal ("+02:00")
    + SubSecTimeOriginal ("123") as (seconds, offset known). Without an offset the
    clock time is read as UTC: right for ordering and gaps within one camera."""
    text = _ascii(text)
    if not text:
        return None, False
    stamp = None
    for fmt in ("%Y:%m:%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y:%m:%d %H:%M"):
        try:
            stamp = _dt.datetime.strptime(text[:19], fmt)
            break
        except ValueError:
            continue
    if stamp is None or stamp.year < 1900:
        return None, False
    seconds = stamp.replace(tzinfo=_dt.timezone.utc).timestamp()
    sub = _ascii(subsec)
    if sub.isdigit():
        seconds += float("0." + sub)
    off = _ascii(offset)
    known = False
    if len(off) >= 6 and off[0] in "+-" and off[1:3].isdigit() and off[4:6].isdigit():
        sign = 1.0 if off[0] == "+" else -1.0
        seconds -= sign * (int(off[1:3]) * 3600 + int(off[4:6]) * 60)
        known = True
    return seconds, known


def read_capture_info(path) -> CaptureInfo:
    """The capture time and camera of a photo file; an unreadable EXIF block gives an
    empty CaptureInfo with a note (the photo is then located alone)."""
    try:
        from PIL import Image

        with Image.open(str(path)) as im:
            exif = im.getexif()
            try:
                sub = exif.get_ifd(0x8769)
            except Exception:
                sub = {}
    except Exception as exc:
        return CaptureInfo(note=f"unreadable EXIF: {exc}")
    original = sub.get(36867) or sub.get(36868)  # DateTimeOriginal, DateTimeDigitized
    time_s, known = parse_exif_time(original or exif.get(306),
                                    sub.get(36881) or sub.get(36880) if original else sub.get(36880),
                                    sub.get(37521) if original else sub.get(37520))
    camera = "/".join(_ascii(v) for v in (exif.get(271), exif.get(272), sub.get(42033)))
    camera = "" if camera == "//" else camera
    return CaptureInfo(time_s, camera, known, "" if time_s is not None else "no capture time in EXIF")


@dataclass
class Album:
    album_id: str
    members: List[int]  # photo indices in capture order
    times: List[Optional[float]]  # seconds, same order (file_order: assumed steps)
    note: str = ""


def group_albums(infos: Sequence[CaptureInfo], grouping: str = "time", gap_s: float = DEFAULT_GAP_S,
                 fields: Optional[Sequence[object]] = None, step_s: float = FILE_ORDER_STEP_S) -> List[Album]:
    """Albums from capture information (one per photo index of ``infos``).

    ``time``: by camera, ordered by capture time, a gap over ``gap_s`` starts a new
    album; ``one``: every timed photo in one album, whatever the camera; ``field``:
    the values of ``fields`` name the albums (ordered by time within each); ``file_order``:
    one album in the given order, ``step_s`` apart; ``off``: each photo alone.
    A photo without a capture time is an album of its own, noted (except file_order).
    """
    if grouping not in GROUPINGS:
        raise ValueError(f"album grouping must be one of {', '.join(GROUPINGS)}, not {grouping!r}")
    n = len(infos)
    if grouping == "off":
        return [Album(f"photo-{i + 1}", [i], [infos[i].time_s]) for i in range(n)]
    if grouping == "file_order":
        return [Album("album-1", list(range(n)), [i * float(step_s) for i in range(n)])] if n else []
    alone = [i for i in range(n) if infos[i].time_s is None]
    timed = [i for i in range(n) if infos[i].time_s is not None]
    if grouping == "field":
        if fields is None or len(fields) != n:
            raise ValueError("album grouping by field needs one value per photo")
        keys = {i: ("field", str(fields[i])) for i in timed}
    elif grouping == "one":
        keys = {i: ("one",) for i in timed}
    else:
        keys = {i: ("camera", infos[i].camera) for i in timed}
    by_key: Dict[Hashable, List[int]] = {}
    for i in timed:
        by_key.setdefault(keys[i], []).append(i)
    runs = []
    for key, members in by_key.items():
        members.sort(key=lambda i: (infos[i].time_s, i))
        run = [members[0]]
        for prev, cur in zip(members, members[1:]):
            if grouping == "time" and infos[cur].time_s - infos[prev].time_s > gap_s:
                runs.append(run)
                run = []
            run.append(cur)
        runs.append(run)
    runs.sort(key=lambda r: min(r))
    albums = [Album(f"album-{k + 1}", run, [infos[i].time_s for i in run]) for k, run in enumerate(runs)]
    for i in alone:
        albums.append(Album(f"photo-{i + 1}", [i], [None], note="no capture time: located alone"))
    return albums


# --- the joint estimate -------------------------------------------------------------------
@dataclass
class Witness:
    x: float
    y: float
    weight: float  # in inlier units (posterior.observation_weights)
    sigma: float
    verified: bool
    key: Hashable = None


@dataclass
class PhotoEvidence:
    """One photo located alone, as the album sees it."""

    x: Optional[float]
    y: Optional[float]
    radius: float
    label: str  # confident / uncertain / no match
    witnesses: List[Witness] = field(default_factory=list)


def evidence_of(candidates, answer_xy, radius, label, config=None) -> PhotoEvidence:
    """A located photo's witnesses: its candidates grouped and weighted as the posterior
    groups and weighs them (posterior.observation_weights / make_groups)."""
    from .estimate import posterior as post
    from .stages import group_key

    config = config or post.PosteriorConfig()
    obs = [post.Observation(x=float(c.view.x), y=float(c.view.y), similarity=float(c.similarity),
                            inliers=int(c.inliers), verified=bool(c.verified), group=group_key(c.view))
           for c in candidates]
    witnesses = []
    if obs:
        for g in post.make_groups(obs, post.observation_weights(obs, config), config):
            sigma = config.sigma_verified_m if g.verified else config.sigma_unverified_m
            witnesses.append(Witness(g.x, g.y, float(g.weight), sigma, g.verified, g.key))
    x, y = (None, None) if answer_xy is None else (float(answer_xy[0]), float(answer_xy[1]))
    return PhotoEvidence(x, y, float(radius or 0.0), label, witnesses)


@dataclass
class AlbumConfig:
    speed_mps: float = MOTION_PRESETS["walking"]
    # metres the states may be off the camera (references stand beside it, not on it)
    slack_m: float = 10.0
    sigma_m: float = 10.0  # softness of the v·Δt bound
    pace_share: float = 0.5  # the typical move between photos as a share of v·Δt (the transition's scale)
    jump_floor: float = 1e-4  # an implausible jump stays possible (and is reported)
    evidence_floor: float = 2.0  # inlier units: "somewhere else" (a verified witness has >= 12)
    max_states: int = 600
    max_witnesses: int = 30  # per photo, heaviest first
    snap_m: float = 2.0  # places closer than this are one state
    # album vs alone farther apart than the answer's radius + this: inconsistent. 50 m: the
    # distance within which a confident answer counts as right; at 25 m the three best
    # answers of amsterdam-walk (crossings 1-3 m off) were flagged, the album's consensus
    # being the partner panoramas 34-43 m away (docs/geolocation.md)
    inconsistent_m: float = 50.0


@dataclass
class AlbumEstimate:
    index: int  # into the album's photos (input order of locate_album)
    x: Optional[float]
    y: Optional[float]
    radius: float
    label: str
    method: str  # "alone" or "album"
    album_label: str  # kept / album / inconsistent / no time / not located
    note: str = ""
    album_x: Optional[float] = None  # the album's own opinion (marginal's best place)
    album_y: Optional[float] = None


@dataclass
class AlbumOutcome:
    estimates: List[AlbumEstimate]
    jumps: List[Tuple[int, int, float, float]]  # (i, j, distance m, allowed m)
    seconds: float = 0.0

    @property
    def message(self) -> str:
        return "; ".join(f"photos {i + 1} and {j + 1} are {d:.0f} m apart, more than the {a:.0f} m "
                         f"the camera can move in between: implausible jump" for i, j, d, a in self.jumps)


def _states(photos: Sequence[PhotoEvidence], cfg: AlbumConfig) -> np.ndarray:
    weight: Dict[Tuple[int, int], float] = {}
    pos: Dict[Tuple[int, int], Tuple[float, float]] = {}
    for p in photos:
        ws = sorted(p.witnesses, key=lambda w: -w.weight)[: cfg.max_witnesses]
        pts = [(w.x, w.y, w.weight) for w in ws]
        if p.x is not None:
            pts.append((p.x, p.y, max((w.weight for w in ws), default=1.0)))
        for x, y, wt in pts:
            key = (int(round(x / cfg.snap_m)), int(round(y / cfg.snap_m)))
            weight[key] = weight.get(key, 0.0) + wt
            pos.setdefault(key, (x, y))
    keys = sorted(weight, key=lambda k: (-weight[k], k))[: cfg.max_states]
    return np.array([pos[k] for k in keys], float).reshape(-1, 2)


def _emission(p: PhotoEvidence, states: np.ndarray, cfg: AlbumConfig) -> np.ndarray:
    e = np.full(len(states), cfg.evidence_floor)
    for w in p.witnesses:
        d2 = (states[:, 0] - w.x) ** 2 + (states[:, 1] - w.y) ** 2
        e += w.weight * np.exp(-0.5 * d2 / (w.sigma * w.sigma))
    return e


def _transition(dist: np.ndarray, dt: float, cfg: AlbumConfig) -> np.ndarray:
    """P(next state | state): a walker Δt later is most likely near where it was and
    about ``pace`` x Δt away at most typically (a Gaussian of that scale, so a photo
    between two located neighbours lands between them), never farther than the
    preset's v·Δt beyond the slack (the bound's own soft edge, then the jump floor)."""
    scale = cfg.slack_m + cfg.pace_share * cfg.speed_mps * max(dt, 0.0)
    excess = np.maximum(0.0, dist - cfg.speed_mps * max(dt, 0.0) - cfg.slack_m)
    t = np.exp(-0.5 * (dist / scale) ** 2 - 0.5 * (excess / cfg.sigma_m) ** 2) + cfg.jump_floor
    return t / t.sum(axis=1, keepdims=True)


def locate_album(photos: Sequence[PhotoEvidence], times: Sequence[float],
                 config: Optional[AlbumConfig] = None) -> AlbumOutcome:
    """The joint estimate of one album (photos in capture order, ``times`` in seconds)."""
    import time as _time

    t0 = _time.perf_counter()
    cfg = config or AlbumConfig()
    n = len(photos)
    out = [AlbumEstimate(i, p.x, p.y, p.radius, p.label, "alone",
                         "kept" if p.x is not None else "not located") for i, p in enumerate(photos)]
    jumps = _jumps(photos, times, cfg)
    states = _states(photos, cfg)
    if n < 2 or not len(states):
        return AlbumOutcome(out, [], _time.perf_counter() - t0)
    dist = np.hypot(states[:, None, 0] - states[None, :, 0], states[:, None, 1] - states[None, :, 1])
    emis = np.array([_emission(p, states, cfg) for p in photos])
    emis /= emis.max(axis=1, keepdims=True)
    trans = [_transition(dist, times[k + 1] - times[k], cfg) for k in range(n - 1)]
    alpha = np.zeros((n, len(states)))
    a = emis[0] / emis[0].sum()
    alpha[0] = a
    for k in range(1, n):
        a = (alpha[k - 1] @ trans[k - 1]) * emis[k]
        alpha[k] = a / a.sum()
    beta = np.ones((n, len(states)))
    for k in range(n - 2, -1, -1):
        b = trans[k] @ (emis[k + 1] * beta[k + 1])
        beta[k] = b / b.sum()
    gamma = alpha * beta
    gamma /= gamma.sum(axis=1, keepdims=True)

    located = [i for i, p in enumerate(photos) if p.x is not None and p.label in ("confident", "uncertain")]
    for i, p in enumerate(photos):
        g = gamma[i]
        best = int(np.argmax(g))
        near = dist[best] <= 2.0 * cfg.slack_m
        ax = float(np.dot(g[near], states[near, 0]) / g[near].sum())
        ay = float(np.dot(g[near], states[near, 1]) / g[near].sum())
        est = out[i]
        est.album_x, est.album_y = ax, ay
        if p.label in ("confident", "uncertain") and p.x is not None:
            if math.hypot(ax - p.x, ay - p.y) > p.radius + cfg.inconsistent_m:
                est.album_label = "inconsistent"
                est.note = (f"the album puts this photo {math.hypot(ax - p.x, ay - p.y):.0f} m from its own "
                            "answer: check it")
            continue
        # not located alone: the album's place, as wide as the camera can be from its neighbours
        spread = _mass_radius(g, dist[best], 0.68)
        reach = [cfg.speed_mps * abs(times[j] - times[i]) + photos[j].radius + cfg.slack_m
                 for j in located if j != i]
        if not reach:
            continue
        est.x, est.y = ax, ay
        est.radius = float(max(spread, min(reach)))
        est.label, est.method, est.album_label = "uncertain", "album", "album"
        est.note = "placed by the album (its neighbours in time), not by its own pixels"
    for i, j, d, allowed in jumps:
        for k in (i, j):
            out[k].note = "; ".join(filter(None, (out[k].note, f"implausible jump: {d:.0f} m from photo "
                                                  f"{(j if k == i else i) + 1}, at most {allowed:.0f} m possible")))
    return AlbumOutcome(out, jumps, _time.perf_counter() - t0)


def _mass_radius(g: np.ndarray, d: np.ndarray, mass: float) -> float:
    order = np.argsort(d, kind="stable")
    idx = min(int(np.searchsorted(np.cumsum(g[order]), mass)), len(order) - 1)
    return float(d[order][idx])


def _jumps(photos, times, cfg: AlbumConfig):
    """Consecutive confident photos farther apart than the camera can move (their radii
    and the slack allowed): reported, never smoothed over."""
    conf = [i for i, p in enumerate(photos) if p.label == "confident" and p.x is not None]
    out = []
    for i, j in zip(conf, conf[1:]):
        d = math.hypot(photos[j].x - photos[i].x, photos[j].y - photos[i].y)
        allowed = cfg.speed_mps * abs(times[j] - times[i]) + photos[i].radius + photos[j].radius + cfg.slack_m
        if d > allowed:
            out.append((i, j, d, allowed))
    return out
