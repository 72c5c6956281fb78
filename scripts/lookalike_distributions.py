"""Can a look-alike street (repeated facades, another place) be told from the same
place by the verified pair's own evidence? Features of every verified pair of the
confident answers, wrong answers against right ones (issue 23).

    GEOPIN_EVAL_CACHE=/work/eval-cache .venv/bin/python scripts/lookalike_distributions.py \
        [--run amsterdam-lopo=docs/evaluation/int4/00-amsterdam-lopo.csv ...] [--learned DIR] [--csv F] [--show]

For each protocol: the per-query table of a run with the default preset says which
answers were confident and whether they were right (within the protocol's radius, a
positive). Those queries are retrieved and verified again through the product's
cascade (the evaluation's caches: cheap), and every verified pair is matched again
by the tier that verified it (XFeat mutual NN, or LighterGlue for a promoted pair) to
get its inliers. Per pair: the tier, the fast tier's and LighterGlue's inlier counts,
inlier ratio, spread, and repetition measures of the inliers:

  alt_ratio   for each inlier (q, r): the distance of q's descriptor to r, over its
              distance to the best *other* reference keypoint more than ALT_PX away
              (1 = an equally good partner elsewhere: a repeated window); reported as
              the share of inliers with alt_ratio >= 0.9 (``amb90``) and the median
  self_sim    for each inlier's reference keypoint, the cosine similarity of its
              descriptor to the most similar other keypoint of the same image more
              than ALT_PX away (median over inliers; the query side too)
  trans       share of inliers within 0.03 (normalised) of the median displacement
              (a pure translation, as a facade shifted along a street)
  homog       share of inliers consistent with one homography (4 px): one plane
  coh         local coherence of the displacement field (``coherence``)
  sampson     median Sampson distance (px) to a fundamental matrix of all inliers
  lg_score    LighterGlue pairs: the median of the matcher's own match scores
  lg_all      ... over all its matches; bg_lg_score / bg_lg_all: the same for the best
              band candidate beyond REACH_M of the answer (the query's own score level)
  bg_fast, bg_lg  the best fast-tier / LighterGlue count among candidates beyond REACH_M
  e_share, tilt, t_up, parallax
              the calibrated relative pose (estimate/relative_pose.py): essential-matrix
              share of the inliers, tilt between the cameras' vertical axes (deg),
              vertical part of the baseline, parallax (deg)
  disk_inliers  with --learned: DISK + LightGlue inliers of the LighterGlue pairs and
              the wrong answers' pairs (a second opinion by other features)

An answer's pairs are its verified references within 250 m of its estimate (the
posterior's agreeing reach); a wrong answer's are all other-place pairs. The last
block is per answer: what a floor on LighterGlue's match score would catch and cost.
Measured figures: docs/evaluation.md (issue 23), docs/geolocation.md ("Look-alike streets").
"""
from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from plugin_path import REPO  # noqa: E402

from geopin.geopin_plugin.engine import stages  # noqa: E402
from geopin.geopin_plugin.engine.evaluation import catalogue  # noqa: E402
from geopin.geopin_plugin.engine.evaluation.caches import _pair_key  # noqa: E402
from geopin.geopin_plugin.engine.evaluation.config import EvalConfig  # noqa: E402
from geopin.geopin_plugin.engine.evaluation.runner import ProtocolRunner  # noqa: E402
from geopin.geopin_plugin.engine.geo import geodesic_distance_m  # noqa: E402

RUNS = {
    "amsterdam-lopo": "docs/evaluation/int4/00-amsterdam-lopo.csv",
    "amsterdam-xcond": "docs/evaluation/int4/01-amsterdam-xcond.csv",
    "lund-loo": "docs/evaluation/int4/02-lund-loo.csv",
    "panoramax": "docs/evaluation/int4/03-panoramax.csv",
    "amsterdam-overlay": "docs/evaluation/overlay/amsterdam-overlay-masks.csv",
    "dashcam": "docs/evaluation/overlay/dashcam-masks.csv",
}
ALT_PX = 16.0  # "another" keypoint: farther than this from the matched one (1024 px images)
REACH_M = 250.0  # posterior.AGREEMENT_REACH_M
NEAR_M = 30.0  # "the place itself": the verified reference's own panorama and partners within this


def _index(kps: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """The keypoint index of each point (matches are copied from the keypoint arrays)."""
    kps = np.asarray(kps, np.float32)
    d = ((pts[:, None, :] - kps[None, :, :]) ** 2).sum(-1)
    return d.argmin(axis=1)


def _unit(desc) -> np.ndarray:
    d = np.asarray(desc, np.float32)
    return d / np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-9)


def coherence(m: np.ndarray, qsize, rsize, k: int = 6, tol: float = 0.02) -> float:
    """Share of inliers whose normalised displacement lies within ``tol`` of the median
    displacement of its ``k`` nearest inliers (query side): a scene's displacement field
    is smooth along a facade; matches between two repeated facades that only satisfy the
    epipolar constraint (one dimension) need not be."""
    nq = m[:, :2] / np.array(qsize, np.float32)
    disp = m[:, 2:] / np.array(rsize, np.float32) - nq
    d = ((nq[:, None, :] - nq[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    nn = np.argsort(d, axis=1)[:, :k]
    local = np.median(disp[nn], axis=1)
    return float((np.hypot(*(disp - local).T) < tol).mean())


def sampson_px(m: np.ndarray) -> float:
    """Median Sampson distance (px) of the inliers to a fundamental matrix fitted on all of them."""
    import cv2

    F, _ = cv2.findFundamentalMat(m[:, :2], m[:, 2:], cv2.FM_8POINT)
    if F is None or F.shape != (3, 3):
        return float("nan")
    x1 = np.c_[m[:, :2], np.ones(len(m))]
    x2 = np.c_[m[:, 2:], np.ones(len(m))]
    fx1, ftx2 = x1 @ F.T, x2 @ F
    num = (x2 * fx1).sum(1) ** 2
    den = fx1[:, 0] ** 2 + fx1[:, 1] ** 2 + ftx2[:, 0] ** 2 + ftx2[:, 1] ** 2
    return float(np.median(np.sqrt(num / np.maximum(den, 1e-12))))


def _camera(item, feature_size, hfov):
    """A view's exact pinhole (when its cut is known), else a centred one at ``hfov``."""
    from geopin.geopin_plugin.engine.estimate.relative_pose import centred_intrinsics, view_intrinsics
    from geopin.geopin_plugin.engine.evaluation.perturb import REFRAMING

    if item.is_view and item.condition not in REFRAMING:
        return view_intrinsics(item.fov, feature_size, tuple(item.size), item.min_elevation)
    return centred_intrinsics(feature_size, hfov)


def plausibility(q_item, r_item, qf, rf, m: np.ndarray) -> dict:
    """The calibrated relative pose of one pair (estimate/relative_pose.py): the share of
    the fundamental matrix's inliers an essential matrix keeps, the tilt between the two
    cameras' vertical axes (street cameras are upright) and the vertical part of the
    baseline. Photos without a known cut: the pose stage's FOV hypotheses, the best kept."""
    from geopin.geopin_plugin.engine.estimate.relative_pose import FOV_HYPOTHESES, relative_pose

    known = q_item.is_view and r_item.is_view
    best = None
    for hfov in ((90.0,) if known else FOV_HYPOTHESES):
        pose = relative_pose(m, _camera(q_item, qf.image_size, hfov), _camera(r_item, rf.image_size, hfov))
        if pose is not None and (best is None or pose.inliers > best.inliers):
            best = pose
    if best is None:
        return dict(e_share=0.0)
    centre = -best.R.T @ best.t
    return dict(e_share=best.inliers / float(len(m)), tilt=float(np.degrees(np.arccos(np.clip(best.R[1, 1], -1, 1)))),
                t_up=float(abs(centre[1])) if not best.degenerate else None, parallax=best.parallax_deg,
                yaw=best.yaw_deg)


def repetition(qf, rf, m: np.ndarray) -> dict:
    """The repetition measures of one pair's inliers ``m`` ([xq, yq, xr, yr])."""
    import cv2

    kq, kr = np.asarray(qf.keypoints, np.float32), np.asarray(rf.keypoints, np.float32)
    dq, dr = _unit(qf.descriptors), _unit(rf.descriptors)
    iq, ir = _index(kq, m[:, :2]), _index(kr, m[:, 2:])
    sim = dq[iq] @ dr.T  # inliers' query descriptors against every reference keypoint
    s_match = sim[np.arange(len(iq)), ir]
    far = ((kr[None, :, :] - kr[ir][:, None, :]) ** 2).sum(-1) > ALT_PX ** 2
    s_alt = np.where(far, sim, -2.0).max(axis=1)
    d_match = np.sqrt(np.maximum(2 - 2 * s_match, 0))
    d_alt = np.sqrt(np.maximum(2 - 2 * s_alt, 1e-12))
    alt = d_match / d_alt

    def self_sim(k, d, idx):
        s = d[idx] @ d.T
        away = ((k[None, :, :] - k[idx][:, None, :]) ** 2).sum(-1) > ALT_PX ** 2
        return np.where(away, s, -2.0).max(axis=1)

    nq = m[:, :2] / np.array(qf.image_size, np.float32)
    nr = m[:, 2:] / np.array(rf.image_size, np.float32)
    disp = nr - nq
    trans = float((np.hypot(*(disp - np.median(disp, axis=0)).T) < 0.03).mean())
    homog = 0.0
    if len(m) >= 4:
        _, mask = cv2.findHomography(m[:, :2], m[:, 2:], cv2.RANSAC, 4.0)
        homog = float(mask.mean()) if mask is not None else 0.0
    return dict(amb90=float((alt >= 0.9).mean()), alt_med=float(np.median(alt)),
                coh=coherence(m, qf.image_size, rf.image_size), sampson=sampson_px(m),
                self_ref=float(np.median(self_sim(kr, dr, ir))), self_q=float(np.median(self_sim(kq, dq, iq))),
                trans=trans, homog=homog)


def answers(table: Path):
    with open(table, newline="") as fh:
        return {r["key"]: r for r in csv.DictReader(fh) if r["label"] == "confident"}


def lg_scores(inner, qf, rf, inliers: np.ndarray) -> dict:
    """LighterGlue's match scores: the median over the pair's MAGSAC ``inliers``
    (lg_score, lg_strong: share above 0.5) and over all its matches (lg_all)."""
    pairs, sc = inner.confirm_matcher.match(qf, rf, inner.config.matcher_keypoints)
    out = dict(lg_all=float(np.median(sc)) if len(sc) else 0.0)
    if len(inliers):
        kq = np.asarray(qf.keypoints, np.float32)
        where = {tuple(kq[i]): s for i, s in zip(pairs[:, 0], sc)}
        ms = np.array([where.get(tuple(p), np.nan) for p in inliers[:, :2]], float)
        out.update(lg_score=float(np.nanmedian(ms)), lg_strong=float(np.nanmean(ms > 0.5)))
    return out


def feats_any(runner, key):
    return runner.features([key])[key]


def pairs_of(name: str, table: Path, log=print, learned_cache: Path = None):
    protocol = catalogue.builtin_protocol(name)
    confident = answers(table)
    runner = ProtocolRunner(protocol, EvalConfig.parse(""))
    runner.prepare()
    second = None
    if learned_cache is not None:  # DISK + LightGlue (the registry's "learned" verifier) as a second opinion
        second = ProtocolRunner(protocol, EvalConfig.parse("tier=learned"), cache_dir=learned_cache)
        second.learned_features.masks = runner.features.masks
    pc, inner = runner.pipeline, runner.verifier.inner
    refs = {r.key: r for r in protocol.references}
    out = []
    for q in protocol.queries:
        row = confident.get(q.item.key)
        if row is None:
            continue
        err = float(row["error_m"]) if row["error_m"] else None
        wrong = not q.positive or err is None or err > protocol.correct_radius_m
        cands = stages.retrieve(q.item, runner.embedder, runner.index, pc.top_k, exclude=q.exclude_groups,
                                cells=pc.cells).candidates
        checked = stages.verify(q.item, cands, runner.extractor, runner.features, runner.verifier, pc.verify_top)
        qf = checked.query_features
        verified = [vid for vid, v in checked.outcomes.items() if v.verified]
        if len(verified) != int(row["n_verified"]):
            log(f"  ! {q.item.label}: {len(verified)} verified now, {row['n_verified']} in the table")
        fast_table = runner.vcache.load(q.item)
        conf_table = runner.ccache.load(q.item) if runner.ccache is not None else {}
        feats = runner.features(verified)
        by_id = {c.view.view_id: c for c in cands}
        # the background: the best counts among the candidates far from the answer (> REACH_M)
        far = [c.view.view_id for c in cands[: pc.verify_top]
               if float(geodesic_distance_m(float(row["est_lat"]), float(row["est_lon"]),
                                            refs[c.view.view_id].lat, refs[c.view.view_id].lon)) > REACH_M]
        bg_fast = max((fast_table.get(_pair_key(k, feats_any(runner, k), qf), {}).get("inliers", 0) for k in far),
                      default=0)
        bg_lg = max((conf_table.get(_pair_key(k, feats_any(runner, k), qf), {}).get("inliers", 0) for k in far),
                    default=0)
        band_far = [k for k in far if _pair_key(k, feats_any(runner, k), qf) in conf_table]
        bg = {}

        def background():  # LighterGlue's scores on the band's candidates far from the answer (once a query)
            if not bg:
                got = []
                for k in band_far:
                    rf_k = feats_any(runner, k)
                    vk = inner.verify_pair(qf, rf_k, inner.config.matcher_keypoints, matcher=inner.confirm_matcher,
                                           min_inliers=inner.config.matcher_min_inliers)
                    got.append(lg_scores(inner, qf, rf_k, vk.matches))
                bg["score"] = max((g.get("lg_score", 0.0) for g in got), default=0.0)
                bg["all"] = max((g["lg_all"] for g in got), default=0.0)
            return bg

        def bg_score():
            return background()["score"]

        def bg_all():
            return background()["all"]

        for vid in verified:
            v, rf = checked.outcomes[vid], feats[vid]
            ref = refs[vid]
            d_est = float(geodesic_distance_m(float(row["est_lat"]), float(row["est_lon"]), ref.lat, ref.lon))
            d_truth = (float(geodesic_distance_m(q.item.lat, q.item.lon, ref.lat, ref.lon))
                       if q.item.lat is not None else None)
            same = d_truth is not None and d_truth <= protocol.correct_radius_m
            lg = v.tier.startswith("lighterglue")
            if lg:
                again = inner.verify_pair(qf, rf, inner.config.matcher_keypoints, matcher=inner.confirm_matcher,
                                          min_inliers=inner.config.matcher_min_inliers)
            else:
                again = inner.verify_pair(qf, rf, inner.config.fast_keypoints)
            key = _pair_key(vid, rf, qf)
            # support from the place itself: the best fast-tier count among the other, unverified
            # candidates within NEAR_M of this reference (its panorama's other headings, partners)
            near = [c.view.view_id for c in cands[: pc.verify_top]
                    if c.view.view_id != vid and c.view.view_id not in verified
                    and float(geodesic_distance_m(ref.lat, ref.lon, refs[c.view.view_id].lat,
                                                  refs[c.view.view_id].lon)) <= NEAR_M]
            near_fast = max((fast_table.get(_pair_key(k, feats_any(runner, k), qf), {}).get("inliers", 0)
                             for k in near), default=0)
            fast = fast_table.get(key, {}).get("inliers")
            conf = conf_table.get(key, {}).get("inliers")
            rec = dict(protocol=name, query=q.item.label, ref=vid, wrong_answer=wrong, same_place=same,
                       d_truth=d_truth, supports=d_est <= REACH_M, tier="LG" if lg else "fast",
                       fast_inliers=fast, lg_inliers=conf, inliers=v.inliers, again=again.inliers,
                       inlier_ratio=v.inlier_ratio, spread=v.spread, rank=by_id[vid].retrieval_rank,
                       similarity=by_id[vid].similarity, n_verified=len(verified), confidence=float(row["confidence"]),
                       bg_fast=bg_fast, bg_lg=bg_lg, near_fast=near_fast, near_n=len(near))
            if len(again.matches) >= 8:
                rec.update(repetition(qf, rf, again.matches))
                rec.update(plausibility(q.item, ref, qf, rf, again.matches))
                if lg:  # LighterGlue's own match scores of the inliers
                    rec.update(lg_scores(inner, qf, rf, again.matches))
                    rec.update(bg_lg_score=bg_score(), bg_lg_all=bg_all())
            if second is not None and (lg or wrong):
                sq = second.learned_extractor.extract(q.item)
                sr = second.learned_features([vid])[vid]
                lv = second.learned.inner.verify_pair(sq, sr, second.learned.inner.config.full_keypoints)
                rec.update(disk_inliers=lv.inliers, disk_spread=lv.spread)
            out.append(rec)
    return out


FEATURES = ("inliers", "fast_inliers", "lg_inliers", "inlier_ratio", "spread", "amb90", "alt_med",
            "self_ref", "self_q", "trans", "homog", "coh", "sampson", "lg_score", "lg_strong", "lg_all", "bg_lg_score", "bg_lg_all",
            "rank", "similarity", "bg_fast", "bg_lg", "near_fast", "near_n", "e_share", "tilt", "t_up", "parallax", "disk_inliers", "disk_spread")


def summary(rows, title):
    print(f"{title}: {len(rows)} pairs")
    for f in FEATURES:
        v = np.array([r[f] for r in rows if r.get(f) is not None], float)
        if len(v):
            p = np.percentile(v, [0, 5, 50, 95, 100])
            print(f"  {f:13s} min {p[0]:.3f}  p5 {p[1]:.3f}  p50 {p[2]:.3f}  p95 {p[3]:.3f}  max {p[4]:.3f}  (n {len(v)})")


def answers_table(rows, thresholds=(0.30, 0.37, 0.40, 0.45)):
    """Per answer: its supporting pairs; the LighterGlue-only answers' best median match
    score, and what "a LighterGlue pair whose inliers' median match score is below t does
    not count" would do (an answer left without a supporting pair loses its confidence)."""
    by = {}
    for r in rows:
        if r["supports"]:
            by.setdefault((r["protocol"], r["query"]), []).append(r)
    print(f"answers: {len(by)} confident, {sum(1 for v in by.values() if v[0]['wrong_answer'])} wrong")
    print("LighterGlue-only answers (every supporting pair promoted by LighterGlue), best median match score:")
    for (p, q), xs in sorted(by.items()):
        if all(x["tier"] == "LG" for x in xs):
            print(f"  {'WRONG' if xs[0]['wrong_answer'] else 'right'} {p:17s} {q:48s} pairs {len(xs)}  "
                  f"{max(x.get('lg_score', 0.0) for x in xs):.3f}")
    for t in thresholds:
        caught, lost = 0, {}
        for (p, q), xs in by.items():
            if all(x["tier"] == "LG" and x.get("lg_score", 1.0) < t for x in xs):
                if xs[0]["wrong_answer"]:
                    caught += 1
                else:
                    lost[p] = lost.get(p, 0) + 1
        print(f"  LighterGlue pairs below {t:.2f} do not count: wrong answers caught {caught}, right ones lost {lost}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", nargs="*", default=[f"{k}={v}" for k, v in RUNS.items()],
                    help="protocol=per-query CSV of a default-preset run")
    ap.add_argument("--show", action="store_true", help="print every pair")
    ap.add_argument("--csv", help="write every pair's features here")
    ap.add_argument("--learned", metavar="CACHE_DIR",
                    help="also match the LighterGlue-promoted and the wrong answers' pairs with DISK + LightGlue "
                         "(features cached in CACHE_DIR; about 2 s a pair)")
    args = ap.parse_args(argv)
    rows = []
    for spec in args.run:
        name, table = spec.split("=", 1)
        print(f"{name}: {table}", file=sys.stderr, flush=True)
        rows += pairs_of(name, REPO / table if not Path(table).is_absolute() else Path(table),
                         log=lambda m: print(m, file=sys.stderr),
                         learned_cache=Path(args.learned) if args.learned else None)
    if args.csv:
        keys = sorted({k for r in rows for k in r})
        with open(args.csv, "w", newline="") as fh:
            w = csv.DictWriter(fh, keys)
            w.writeheader()
            w.writerows(rows)
    wrong = [r for r in rows if r["wrong_answer"] and r["supports"]]
    right = [r for r in rows if not r["wrong_answer"] and r["supports"] and r["same_place"]]
    summary(wrong, "pairs carrying a confident WRONG answer (other place)")
    summary(right, "pairs carrying a confident right answer (same place)")
    for tier in ("fast", "LG"):
        summary([r for r in right if r["tier"] == tier], f"  ... of them tier {tier}")
    views = ("amsterdam-lopo", "amsterdam-xcond", "amsterdam-overlay", "dashcam")  # both cuts known: exact pinholes
    summary([r for r in right if r["protocol"] in views], "  ... of them Amsterdam views (the wrong ones' kind)")
    answers_table(rows)
    if args.show:
        for r in rows:
            print({k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()})


if __name__ == "__main__":
    main()
