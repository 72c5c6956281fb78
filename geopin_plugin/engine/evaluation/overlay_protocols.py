"""Evaluation protocols with pixels that are not the place (issue 23): the shared
images with generated static overlays (engine/evaluation/overlays.py), and the Panoramax
panoramas as a 2048 x 1024 upload.

The failure they count: a *confident* answer farther than the protocol's radius
from the truth, which an overlay shared by query and references causes when the
verifier trusts it. What decides whether it bites is that the query comes from
the same rig and is cut exactly as the references are (an archive of unlocated
frames, a dashcam fleet), so each protocol has such queries beside phone-like ones.

* ``amsterdam-overlay``: amsterdam-lopo with a nadir cap (one of three, by capture
  run; the unlocated panoramas' by their run too) in every panorama; queries: 4
  views cut as the references are (90°, the -22° shift) and 4 phone-like 65° views
  of each located panorama, one of each per unlocated panorama (negatives);
* ``lund-stamp``: lund-loo with one burnt-in date/time stamp in every Lund photo and
  in the views of five Amsterdam panoramas (distractors that share the stamp);
* ``dashcam``: amsterdam-lopo's grid views, every one with the same hood and
  dashboard in its bottom quarter (one dashcam model);
* ``panoramax-2048``: the panoramax protocol with its 360° panoramas downscaled to
  2048 x 1024 before cutting, as a crowd-sourced upload.
"""
from __future__ import annotations

import zlib
from dataclasses import replace
from pathlib import Path
from typing import Optional

from .overlays import CAPS
from .protocols import (GRID_QUERY_HEADINGS, HEADING_OFFSET, PHONE_FOV, PHONE_QUERY_HEADINGS, REF_FOV, Protocol,
                        Query, _pano_views, _read_manifest, amsterdam_lopo, amsterdam_references, lund_loo,
                        mark_positives, panoramax)
from ..paths import datasets_dir

DOWNSCALED_WIDTH = 2048
STAMP_DISTRACTORS = 5  # Amsterdam panoramas whose views carry the Lund stamp too


def cap_for_run(run: str) -> str:
    """One of the three caps per capture run (a stable hash: the same run, the same cap)."""
    return CAPS[zlib.crc32(run.encode("utf-8")) % len(CAPS)]


def _run_of_unlocated(stem: str) -> str:
    return stem.split("_pano_")[0] if "_pano_" in stem else "unnamed"


def amsterdam_overlay(root: Optional[Path] = None) -> Protocol:
    root = Path(root or datasets_dir())
    folder = root / "amsterdam-panoramas"
    rows = _read_manifest(folder / "manifest.csv")
    cap = {row["pano_id"]: cap_for_run(row["capture_run"]) for row in rows}
    refs = [replace(r, overlay=cap[r.group]) for r in amsterdam_references(root)]
    queries = []
    for row in rows:
        args = (str(folder / row["file"]), float(row["lat"]), float(row["lon"]), row["pano_id"], row["pano_id"])
        for it in _pano_views(*args, GRID_QUERY_HEADINGS, REF_FOV):
            queries.append(Query(replace(it, overlay=cap[row["pano_id"]]), (row["pano_id"],), False, "same-rig90"))
        for it in _pano_views(*args, PHONE_QUERY_HEADINGS, PHONE_FOV):
            queries.append(Query(replace(it, overlay=cap[row["pano_id"]]), (row["pano_id"],), False, "phone65"))
    queries = mark_positives(refs, queries, 50.0)
    for i, path in enumerate(sorted((root / "amsterdam-unlocated").glob("*.jpg"))):
        ovl = cap_for_run(_run_of_unlocated(path.stem))
        heading = (0.0, 90.0, 180.0, 270.0)[i % 4]
        grid = _pano_views(str(path), None, None, path.stem, "unlocated:" + path.stem, (heading,), REF_FOV)
        phone = _pano_views(str(path), None, None, path.stem, "unlocated:" + path.stem,
                            (heading + HEADING_OFFSET,), PHONE_FOV)
        queries.append(Query(replace(grid[0], overlay=ovl), (), False, "unlocated-same-rig90"))
        queries.append(Query(replace(phone[0], overlay=ovl), (), False, "unlocated-phone65"))
    return Protocol(
        "amsterdam-overlay",
        "amsterdam-lopo with a generated nadir cap (3 variants, by capture run) in every panorama; queries cut "
        "as the references are (90 deg, -22 deg shift) and phone-like (65 deg); unlocated panoramas as negatives",
        refs, queries, correct_radius_m=50.0,
        notes=["the failure counted: a confident answer more than 50 m from the truth (any negative confident)"],
    )


def lund_stamp(root: Optional[Path] = None) -> Protocol:
    root = Path(root or datasets_dir())
    base = lund_loo(root)
    stamped_panos = sorted({r.group for r in base.references if r.is_view})[:STAMP_DISTRACTORS]
    refs = [replace(r, overlay="stamp") if (not r.is_view or r.group in stamped_panos) else r
            for r in base.references]
    queries = [replace(q, item=replace(q.item, overlay="stamp")) for q in base.queries]
    return Protocol("lund-stamp", "lund-loo with one burnt-in date/time stamp in every Lund photo and in the views "
                    f"of {STAMP_DISTRACTORS} Amsterdam panoramas (distractors)",
                    refs, mark_positives(refs, queries, base.correct_radius_m), base.correct_radius_m)


def dashcam(root: Optional[Path] = None) -> Protocol:
    root = Path(root or datasets_dir())
    base = amsterdam_lopo(root, unlocated=True, phone_headings=())
    refs = [replace(r, overlay="hood0") for r in base.references]
    queries = []
    for q in base.queries:
        item = q.item
        if q.kind == "unlocated":  # a negative cut as the dashcam references are
            item = replace(item, fov=REF_FOV, heading=item.heading - HEADING_OFFSET,
                           min_elevation=refs[0].min_elevation)
        queries.append(replace(q, item=replace(item, overlay="hood0"), kind="dashcam-" + q.kind))
    located = mark_positives(refs, [q for q in queries if q.item.lat is not None], base.correct_radius_m)
    return Protocol("dashcam", "amsterdam-lopo's grid views with one dashcam hood and dashboard in the bottom "
                    "quarter of every reference and query view; unlocated views as negatives",
                    refs, located + [q for q in queries if q.item.lat is None], base.correct_radius_m)


def panoramax_2048(root: Optional[Path] = None) -> Protocol:
    base = panoramax(root)
    panos = {r.path for r in base.references if r.is_view and "panoramax-samples" in r.path}

    def small(it):
        return replace(it, source_width=DOWNSCALED_WIDTH) if it.path in panos else it

    refs = [small(r) for r in base.references]
    queries = [replace(q, item=small(q.item)) for q in base.queries]
    return Protocol("panoramax-2048", "panoramax with its 360 deg panoramas downscaled to 2048 x 1024 before cutting "
                    "(a crowd-sourced upload's size)", refs, queries, base.correct_radius_m, list(base.notes))
