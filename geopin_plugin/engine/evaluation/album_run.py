"""The album's joint estimate (engine/album.py) over an album protocol's per-query
results, and the album-vs-alone table (degraded frames and all frames).

Preset ``album=walking`` (cycling, driving): :class:`ProtocolRunner` runs every query
alone through the product's stages as usual, keeps each one's witnesses, then hands
each album to ``album.locate_album`` and rewrites the answers the album changes
(``position_method = "album"``). ``--compare "" "album=walking"`` gives alone and
album in one run; the second pass reads every expensive part from the caches.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Dict, List, Sequence

from ..album import MOTION_PRESETS, AlbumConfig, PhotoEvidence, locate_album
from ..geo import geodesic_distance_m, rd_to_wgs84
from .results import CONFIDENT_RADIUS_M, QueryResult


def album_config(preset: str) -> AlbumConfig:
    if preset not in MOTION_PRESETS:
        raise ValueError(f"album must be one of {', '.join(MOTION_PRESETS)}, not {preset!r}")
    return AlbumConfig(speed_mps=MOTION_PRESETS[preset])


def apply_albums(protocol, results: Sequence[QueryResult], evidence: Dict[str, PhotoEvidence],
                 config: AlbumConfig) -> List[QueryResult]:
    """The results with the album's answers: per album of ``protocol.albums`` (query
    keys in capture order, ``protocol.times``). Each result's raw gains album_seconds
    (the joint estimate's time, shared by its album) and album_inconsistent."""
    by_key = {r.key: i for i, r in enumerate(results)}
    out = list(results)
    for album in protocol.albums:
        keys = [k for k in album if k in by_key and k in evidence]
        if not keys:
            continue
        outcome = locate_album([evidence[k] for k in keys], [protocol.times[k] for k in keys], config)
        jumped = {n for pair in outcome.jumps for n in pair[:2]}
        for n, (k, est) in enumerate(zip(keys, outcome.estimates)):
            r = out[by_key[k]]
            raw = dict(r.raw, album_seconds=outcome.seconds, album_inconsistent=float(est.album_label == "inconsistent"),
                       album_jump=float(n in jumped))
            if est.method != "album":
                out[by_key[k]] = replace(r, raw=raw)
                continue
            lat, lon = rd_to_wgs84(est.x, est.y)
            error = (float(geodesic_distance_m(r.truth_lat, r.truth_lon, lat, lon))
                     if r.truth_lat is not None else None)
            out[by_key[k]] = replace(r, est_lat=float(lat), est_lon=float(lon), error_m=error, label=est.label,
                                     error_radius_m=float(est.radius), position_method="album", raw=raw)
    return out


def _pct(n, d):
    return f"{100.0 * n / d:.1f}" if d else "–"


def _figures(rows: Sequence[QueryResult]) -> List[str]:
    pos = [r for r in rows if r.positive]
    within = [_pct(sum(1 for r in pos if r.error_m is not None and r.error_m <= t), len(pos)) for t in (10, 25, 50)]
    conf = [r for r in rows if r.confident]
    coverage = _pct(sum(1 for r in pos if r.confident and r.correct), len(pos))
    precision = _pct(sum(1 for r in conf if r.positive and r.correct), len(conf))
    radius_ok = [r for r in pos if r.error_m is not None and r.error_radius_m and r.label != "no match"]
    inside = _pct(sum(1 for r in radius_ok if r.error_m <= r.error_radius_m), len(radius_ok))
    return within + [coverage, precision, f"{len(conf)}", inside]


def album_table(runs) -> str:
    """Alone vs album for each album protocol in ``runs`` (report.Run objects of one
    compare): degraded frames and all frames; "worse": frames located alone (not "no
    match") whose error grew by more than 1 m with the album."""
    by_protocol: Dict[str, dict] = {}
    for run in runs:
        if getattr(run.protocol, "albums", None):
            album = (run.settings or {}).get("album") or ""
            by_protocol.setdefault(run.protocol.name, {})[album] = run
    lines = []
    head = ("| protocol | frames | run | n | within 10 m | 25 m | 50 m | coverage | confident precision | confident "
            "| inside radius | worse | album s |")
    for name, variants in by_protocol.items():
        alone = variants.get("")
        if not lines:
            lines += [head, "|" + "---|" * (head.count("|") - 1)]
        degraded = set(alone.protocol.degraded) if alone else set(next(iter(variants.values())).protocol.degraded)
        for subset, keep in (("degraded", lambda r: r.key in degraded), ("all", lambda r: True)):
            for label, run in sorted(variants.items()):
                rows = [r for r in run.results if keep(r)]
                worse = "–"
                if alone is not None and label:
                    before = {r.key: r for r in alone.results}
                    worse = str(sum(1 for r in rows if before[r.key].label != "no match"
                                    and before[r.key].error_m is not None and r.error_m is not None
                                    and r.error_m > before[r.key].error_m + 1.0))
                secs = max((r.raw.get("album_seconds", 0.0) for r in rows), default=0.0)
                lines.append(f"| {name} | {subset} | {label or 'alone'} | {len(rows)} | "
                             + " | ".join(_figures(rows)) + f" | {worse} | {secs:.3f} |")
    if not lines:
        return ""
    return ("Albums (engine/album.py) vs each frame alone; within: % of positives; coverage: positives confident "
            f"within {CONFIDENT_RADIUS_M:g} m; inside radius: located answers within their error radius\n"
            + "\n".join(lines))
