"""Evaluation harness on synthetic inputs: metrics, thresholds, search masking,
CSV round trip, report files, protocol definitions (manifests only, no models)."""

import numpy as np
import pytest

from geopin.geopin_plugin.engine.evaluation.config import EvalConfig
from geopin.geopin_plugin.engine.evaluation.runner import ProtocolRunner, masked_search
from geopin.geopin_plugin.engine.evaluation.results import (QueryResult, expected_calibration_error, read_results_csv,
                                                            reliability, summarize, threshold_for_negatives,
                                                            write_results_csv)
from geopin.geopin_plugin.engine.evaluation import report as er
from geopin.geopin_plugin.engine.evaluation import protocols as pr


def _result(i, positive=True, error=5.0, confidence=0.9, label="confident", rank_r=1, rank_v=1, kind="grid90"):
    return QueryResult(
        protocol="synthetic", query=f"q{i}", key=f"k{i}", group=f"g{i}", place=f"p{i % 3}", kind=kind,
        positive=positive, truth_lat=52.0 if positive else None, truth_lon=4.9 if positive else None,
        est_lat=52.0, est_lon=4.9, error_m=error if positive else None, confidence=confidence, label=label,
        error_radius_m=20.0, rank_retrieval=rank_r, rank_verified=rank_v, n_verified=3, top_ref="r",
        top_ref_dist_m=error, correct_ref="c", answer_ref="a", top_similarity=0.5, top_inliers=40, top_spread=0.5,
        t_embed=0.1, t_search=0.01, t_verify=1.0, t_estimate=0.02, t_total=1.13, raw={"max_inliers": 40.0},
    )


def test_summary_counts_and_percentages():
    res = [
        _result(0, error=5.0),  # within 10
        _result(1, error=30.0, rank_r=3, rank_v=1),  # within 50, not 25
        _result(2, error=2000.0, label="uncertain", confidence=0.3, rank_r=None, rank_v=None),
        _result(3, error=None, label="no match", confidence=0.0, rank_r=12, rank_v=6),  # unanswered positive
        _result(4, positive=False, label="confident", confidence=0.95),  # a confident negative
        _result(5, positive=False, label="no match", confidence=0.0),
    ]
    s = summarize(res)
    assert (s["positives"], s["negatives"]) == (4, 2)
    assert s["within_10m"] == 25.0
    assert s["within_25m"] == 25.0
    assert s["within_50m"] == 50.0
    assert s["within_1000m"] == 50.0
    assert s["within_25000m"] == 75.0
    assert s["median_error_m"] == pytest.approx((30.0 + 2000.0) / 2)
    assert s["R@1_retrieval"] == 25.0 and s["R@1_verified"] == 50.0
    assert s["R@5_retrieval"] == 50.0 and s["R@10_verified"] == 75.0
    # confident: q0 (right), q1 (30 m: right), q4 (negative: wrong)
    assert s["confident"] == 3
    assert s["confident_precision"] == pytest.approx(200.0 / 3)
    assert s["coverage"] == 50.0
    assert s["negatives_confident"] == 50.0


def test_threshold_lets_at_most_the_rate_of_negatives_through():
    rng = np.random.default_rng(0)
    neg = rng.random(250)
    t = threshold_for_negatives(neg, 0.01)
    assert np.sum(neg >= t) <= 2  # floor(0.01 * 250)
    # and it is the smallest such threshold: the next lower negative would add one more
    assert np.sum(neg >= np.sort(neg)[::-1][2]) == 3
    assert threshold_for_negatives([0.2, 0.4], 0.01) > 0.4
    assert threshold_for_negatives([], 0.01) == 0.0


def test_reliability_bins_and_ece():
    res = [_result(i, confidence=0.95, error=5.0) for i in range(9)] + [_result(9, confidence=0.95, error=500.0)]
    rel = reliability(res)
    top = rel[-1]
    assert top["n"] == 10 and top["accuracy"] == pytest.approx(0.9)
    assert sum(b["n"] for b in rel) == 10
    assert expected_calibration_error(res) == pytest.approx(0.05)


def test_masked_search_equals_search_without_the_excluded_group():
    rng = np.random.default_rng(1)
    vecs = rng.normal(size=(60, 16)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    vecs[7] = vecs[3]  # a tie: broken by reference order
    groups = np.repeat(np.arange(12), 5)
    q = vecs[3] + 0.01
    visible = groups != 4
    idx, sims = masked_search(vecs, q, visible, 10)
    kept = np.flatnonzero(visible)
    idx2, sims2 = masked_search(vecs[kept], q, np.ones(len(kept), bool), 10)
    assert list(idx) == list(kept[idx2])
    assert np.allclose(sims, sims2)
    assert not np.isin(idx, np.flatnonzero(groups == 4)).any()
    assert list(idx[:2]) == [3, 7]


def test_results_csv_round_trip(tmp_path):
    res = [_result(0), _result(1, positive=False, label="no match", confidence=0.0, rank_r=None, rank_v=None)]
    path = write_results_csv(res, tmp_path / "t.csv")
    back = read_results_csv(path)
    assert [r.key for r in back] == ["k0", "k1"]
    assert back[0].positive and not back[1].positive
    assert back[1].rank_retrieval is None and back[0].rank_verified == 1
    assert back[0].raw == {"max_inliers": 40.0}
    assert back[1].truth_lat is None and back[0].error_m == pytest.approx(5.0)


def test_eval_config_parse():
    c = EvalConfig.parse("tier=none,top_k=20,verify_top=10,whitening=yes")
    assert (c.tier, c.top_k, c.verify_top, c.whitening) == ("none", 20, 10, True)
    assert EvalConfig.parse("") == EvalConfig()
    with pytest.raises(ValueError):
        EvalConfig.parse("tier=slow")
    with pytest.raises(ValueError):
        EvalConfig.parse("colour=blue")


def test_eval_config_keys_left_out_keep_the_product_value_and_zero_is_a_value():
    from geopin.geopin_plugin.engine.evaluation.config import make_verifier

    product = make_verifier(EvalConfig()).config
    assert EvalConfig().verifier_overrides() == {} and EvalConfig().posterior_overrides() == {}
    off = make_verifier(EvalConfig.parse("static_displacement=0,min_extent=0,enough_verified=0,band=0")).config
    assert (off.static_displacement, off.min_extent, off.enough_verified, off.band) == (0.0, 0.0, None, 0)
    assert product.static_displacement > 0 and product.enough_verified and product.band > 0
    c = EvalConfig.parse("mean_radius=0,matcher_reranks=0,cell_max=3")
    assert (c.mean_radius, c.matcher_reranks, c.cell_max) == (0.0, False, 3)
    assert c.pipeline_config().posterior.mean_radius_m == 0.0
    with pytest.raises(ValueError, match="needs a whole number"):
        EvalConfig.parse("band=wide")
    with pytest.raises(ValueError, match=">= 0"):
        EvalConfig.parse("band=-1")  # the old "default" sentinel: now leave the key out


def test_report_files(tmp_path):
    proto = pr.Protocol("synthetic", "synthetic results", [], [], 25.0)
    res = [_result(i, error=float(3 ** i), confidence=min(1.0, 0.2 * i),
                   label="confident" if i > 2 else "uncertain") for i in range(6)]
    res.append(_result(9, positive=False, label="no match", confidence=0.05, kind="unlocated"))
    path = er.write_report(tmp_path, [er.Run(proto, "synthetic preset", res)], command="pytest")
    text = path.read_text()
    assert "Reliability" in text and "Failure gallery" in text
    for name in ("error_cdf.png", "reliability.png", "00-synthetic.csv", "summary.md"):
        assert (tmp_path / name).stat().st_size > 0
    md = (tmp_path / "summary.md").read_text()
    assert md.splitlines()[2].startswith("| synthetic | synthetic preset | 6 | 1 |")
    # failures: confident wrong ones first, farthest first
    worst = er.failures(res)
    assert [r.key for r in worst][:2] == ["k5", "k4"]


def test_a_preset_runs_the_product_defaults_and_the_report_prints_them(tmp_path):
    from geopin.geopin_plugin.engine.pipeline import PipelineConfig

    default, product = EvalConfig(), PipelineConfig()
    assert (default.top_k, default.verify_top, default.position) == (product.top_k, product.verify_top,
                                                                     product.position_method)
    pc = EvalConfig.parse("top_k=20,inlier_power=1,tier=none").pipeline_config()
    assert (pc.top_k, pc.verify_top, pc.posterior.inlier_power) == (20, 0, 1.0)
    runner = ProtocolRunner(pr.Protocol("synthetic", "synthetic", [], [], 25.0), EvalConfig(),
                               cache_dir=tmp_path / "cache")
    settings = runner.settings()
    assert settings["pipeline"]["identity"] == runner.pipeline.identity()
    assert settings["verifier"]["min_inliers"] == runner.verifier.config.min_inliers
    path = er.write_report(tmp_path, [er.Run(runner.protocol, default.name, [], settings)])
    text = path.read_text()
    for name, value in er.flat_settings(settings):
        assert name in text
    assert "pipeline.posterior.inlier_power" in text and "verifier.matcher" in text


def test_builtin_protocols_match_the_datasets_readme(datasets_dir):
    lopo = pr.amsterdam_lopo(datasets_dir)
    positives = sorted({q.item.group for q in lopo.queries if q.positive})
    # Overtoom x4, Waterlooplein x2, Houthavens x2 (datasets README)
    assert len(positives) == 8
    assert "TMX7316010203-000711_pano_0000_003648" in positives
    assert all(q.item.group in q.exclude_groups for q in lopo.queries if q.kind != "unlocated")
    assert len(lopo.references) == 17 * 8
    assert len({r.key for r in lopo.references}) == len(lopo.references)
    lund = pr.lund_loo(datasets_dir)
    assert len(lund.queries) == 29 and all(q.positive for q in lund.queries)
    px = pr.panoramax(datasets_dir)
    pos = {q.item.group.split("/")[1] for q in px.queries if q.positive}
    assert pos == {"1.jpg", "2.jpg", "3.jpg", "4.jpg", "5.jpg", "e1.jpg", "e2.jpg", "e3.jpg", "e4.jpg", "e5.jpg"}
    small = lopo.subset(max_queries=5)
    assert len(small.queries) == 5 and small.queries[0] == lopo.queries[0]


def _cal_result(i, positive, inliers, error, lat=52.0, lon=4.9):
    r = _result(i, positive=positive, error=error, confidence=0.0, label="no match")
    r.truth_lat, r.truth_lon = (lat, lon) if positive else (None, None)
    r.raw = {"max_inliers": float(inliers), "n_verified_groups": 1.0 if inliers >= 20 else 0.0,
             "share": 0.9, "verified_cluster_weight": float(inliers), "runner_up_ratio": 0.1, "n_places": 1.0}
    return r


def test_calibration_fit_meets_its_threshold_rules():
    from geopin.geopin_plugin.engine.evaluation import calibrate as cb

    rng = np.random.default_rng(3)
    res = []
    for i in range(120):  # covered places: many inliers, mostly right
        inl = int(rng.integers(20, 120))
        res.append(_cal_result(i, True, inl, 10.0 if inl > 30 else 400.0, lat=52.0 + (i % 6) * 0.05))
    for i in range(200):  # not covered: few inliers, a few verified by accident
        res.append(_cal_result(1000 + i, False, int(rng.integers(0, 35)), None))
    cal = cb.fit(res, cb.FEATURE_SETS["inliers"])
    labelled = cb.apply(cal, res)
    neg = [r for r in labelled if not r.positive]
    conf = [r for r in labelled if r.confident]
    assert sum(r.confident for r in neg) <= 0.01 * len(neg)
    assert conf and sum(r.positive and r.correct for r in conf) >= 0.98 * len(conf)
    assert all(r.label == "no match" for r in labelled if r.raw["n_verified_groups"] == 0)
    assert cal.uncertain_threshold <= cal.confident_threshold
    # out-of-fold labels: same queries, same order, labelled by fits that did not see their place
    cv = cb.cross_validate(res, cb.FEATURE_SETS["inliers"])
    assert [r.key for r in cv] == [r.key for r in res]


def test_spatial_folds_link_nearby_truths():
    from geopin.geopin_plugin.engine.evaluation import calibrate as cb

    a = _cal_result(0, True, 50, 5.0, lat=52.0, lon=4.9)
    b = _cal_result(1, True, 50, 5.0, lat=52.0009, lon=4.9)  # 100 m north
    c = _cal_result(2, True, 50, 5.0, lat=52.05, lon=4.9)  # 5.5 km
    n1 = _cal_result(3, False, 5, None)
    n2 = _cal_result(4, False, 5, None)
    n2.group = n1.group  # two views of one unlocated panorama
    folds = cb.spatial_folds([a, b, c, n1, n2])
    assert folds[0] == folds[1] != folds[2]
    assert folds[3] == folds[4] and folds[3] not in folds[:3]


def test_query_camera_of_a_cut_view_is_the_cut_and_photos_stay_centred():
    """The pose stage gets the principal point a panorama cut gives its query view
    (bottom row at min_elevation), never its FOV; crops, zooms and turns keep the
    photo's centred pinhole."""
    import math
    from dataclasses import replace

    from geopin.geopin_plugin.engine.estimate import relative_pose as pose
    from geopin.geopin_plugin.engine.evaluation.runner import query_camera

    q = next(q for q in pr.amsterdam_lopo().queries if q.positive)
    assert q.item.min_elevation is not None and q.item.pitch == 0
    camera = query_camera(q.item)
    k = camera((512, 384), 90.0)  # features at half size, a FOV hypothesis of 90 degrees
    assert k.f == pytest.approx(256.0) and k.cx == pytest.approx(255.5)
    assert k.cy == pytest.approx(((767 - 512 * math.tan(math.radians(22.0))) + 0.5) * 0.5 - 0.5)
    assert k.cy > pose.centred_intrinsics((512, 384), 90.0).cy + 80  # 177 px at full size
    assert camera((512, 384), 65.0).f > k.f  # the FOV is the hypothesis, not the truth
    for cond in ("tilt", "zoom", "portrait"):
        assert query_camera(replace(q.item, condition=cond)) is None
    assert query_camera(replace(q.item, condition="night")) is not None
    assert query_camera(replace(q.item, min_elevation=None)) is None
    assert query_camera(replace(q.item, pitch=10.0)) is None
