"""One small real run of the harness (the Houthavens pair, 23 m apart, 2 queries):
the same protocol gives the same table from a fresh cache, and leave-one-out by
masking gives what the product pipeline gives on a database built without the
left-out panorama."""
import csv
from pathlib import Path

import pytest

from geopin.geopin_plugin.engine.evaluation.runner import DatabaseRunner, ProtocolRunner, masked_search
from geopin.geopin_plugin.engine.evaluation.config import EvalConfig
from geopin.geopin_plugin.engine.evaluation.results import TIMING_COLUMNS, write_results_csv
from geopin.geopin_plugin.engine.evaluation.items import load_item_image
from geopin.geopin_plugin.engine.evaluation import protocols as pr

HOUTHAVENS = ("TMX7315120208-000105_pano_0001_002965", "TMX7315120208-000105_pano_0001_002993")


HEADINGS = (0.0, 90.0, 180.0, 270.0)  # 4 views per panorama keep the test short


@pytest.fixture(scope="module")
def tiny(datasets_dir):
    folder = Path(datasets_dir) / "amsterdam-panoramas"
    rows = {r["pano_id"]: r for r in csv.DictReader(open(folder / "manifest.csv"))}
    refs, queries = [], []
    for pano in HOUTHAVENS:
        r = rows[pano]
        views = pr._pano_views(str(folder / r["file"]), float(r["lat"]), float(r["lon"]), pano, pano,
                               HEADINGS, pr.REF_FOV)
        refs += views
    a = next(v for v in refs if v.group == HOUTHAVENS[0] and v.heading == 90.0)  # a grid view of A
    b = pr._pano_views(refs[-1].path, refs[-1].lat, refs[-1].lon, HOUTHAVENS[1], HOUTHAVENS[1], (67.5,),
                       pr.PHONE_FOV)[0]  # a phone-like view of B
    queries = pr.mark_positives(refs, [pr.Query(a, (a.group,), False, "grid90"),
                                       pr.Query(b, (b.group,), False, "phone65")], 50.0)
    return pr.Protocol("tiny-houthavens", "Houthavens pair", refs, queries, 50.0)


@pytest.fixture(scope="module")
def first_run(tiny, tmp_path_factory):
    cache = tmp_path_factory.mktemp("cache1")
    return cache, ProtocolRunner(tiny, EvalConfig(), cache_dir=cache).run()


def _table(results, path):
    write_results_csv(results, path)
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return [{k: v for k, v in r.items() if k not in TIMING_COLUMNS} for r in rows]


def test_same_protocol_same_table(tiny, first_run, tmp_path):
    _, results = first_run
    assert len(results) == 2 and all(r.positive for r in results)
    again = ProtocolRunner(tiny, EvalConfig(), cache_dir=tmp_path / "cache2").run()
    assert _table(results, tmp_path / "a.csv") == _table(again, tmp_path / "b.csv")
    # the partner panorama is the only other one: every query finds it at rank 1
    assert all(r.rank_retrieval == 1 for r in results)
    assert all(r.error_m is not None and r.error_m < 1000 for r in results)


def count_stage_calls(monkeypatch):
    """Count the calls of the stage functions (engine/stages.py) and of the product's
    verifier cascade (Verifier.verify), whoever makes them."""
    from collections import Counter

    from geopin.geopin_plugin.engine import stages
    from geopin.geopin_plugin.engine.verification.verifier import Verifier

    calls = Counter()

    def counted(owner, name, label):
        real = getattr(owner, name)

        def wrapper(*args, **kwargs):
            calls[label] += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(owner, name, wrapper)

    for name in ("retrieve", "verify", "estimate"):
        counted(stages, name, name)
    counted(Verifier, "verify", "Verifier.verify")
    return calls


def test_masked_leave_one_out_equals_a_database_without_the_panorama(tiny, first_run, tmp_path, datasets_dir,
                                                                     monkeypatch):
    from geopin.geopin_plugin.engine.builder import ingest
    from geopin.geopin_plugin.engine.builder.config import BuildConfig
    from geopin.geopin_plugin.engine.embed import load_embedder
    from geopin.geopin_plugin.engine.registry import load_extractor
    from geopin.geopin_plugin.engine.pipeline import Geolocator, PipelineConfig
    from geopin.geopin_plugin.engine.estimate.calibration import load_calibration

    cache, results = first_run
    left_out, kept = HOUTHAVENS
    folder = tmp_path / "refs"
    folder.mkdir()
    src = Path(datasets_dir) / "amsterdam-panoramas" / f"{kept}.jpg"
    (folder / src.name).symlink_to(src)
    ref = next(r for r in tiny.references if r.group == kept)
    coords = tmp_path / "coords.csv"
    coords.write_text(f"file,lat,lon,pano_id\n{src.name},{ref.lat!r},{ref.lon!r},{kept}\n")
    db_path = tmp_path / "without.gpkg"
    ingest.build(folder, db_path, load_embedder(), load_extractor(), coordinates=str(coords),
                 config=BuildConfig(panorama_headings=len(HEADINGS)))

    # any valid calibration serves to compare the two paths (the fitted one may not exist yet)
    cal_path = tmp_path / "calibration.json"
    cal_path.write_text('{"model": "logistic", "features": ["log1p:max_inliers", "share"], "coef": [1.5, 2.0], '
                        '"intercept": -6.0, "thresholds": {"confident": 0.8, "uncertain": 0.2}}')
    geo = Geolocator(str(db_path), PipelineConfig(top_k=100, verify_top=50, calibration_path=str(cal_path)))
    runner = ProtocolRunner(tiny, EvalConfig(), cache_dir=cache, calibration=load_calibration(cal_path))
    runner.prepare()
    calls = count_stage_calls(monkeypatch)
    one_query = {"retrieve": 1, "verify": 1, "Verifier.verify": 1, "estimate": 1}
    for q, r in zip(tiny.queries, results):
        if q.item.group != left_out:
            continue
        g = geo.locate(load_item_image(q.item))
        assert calls == one_query  # the product ran the stages ...
        calls.clear()
        # the same references in the same retrieval order, the same verification
        by_rank = sorted(g.candidates, key=lambda c: c.retrieval_rank)
        headings = [c.view.rel_heading for c in by_rank]
        idx, _ = masked_search(runner._ref_vectors, runner.store.embedding(q.item)[0],
                                  runner.ref_group != left_out, 100)
        assert headings == [tiny.references[i].heading for i in idx]
        r = runner.run_query(q)
        assert calls == one_query  # ... and the harness ran the same ones, not a copy of them
        calls.clear()
        assert g.n_verified == r.n_verified
        assert g.candidates[0].inliers == r.top_inliers
        assert g.label == r.label
        assert g.confidence == pytest.approx(r.confidence, abs=1e-4)
        assert (g.lat, g.lon) == pytest.approx((r.est_lat, r.est_lon), abs=1e-6)
    geo.close()

    # the database path of geopin:evaluate runs the pipeline itself and scores it the same way
    queries = [q for q in tiny.queries if q.item.group == left_out]
    db_run = DatabaseRunner(db_path, queries, EvalConfig(), correct_radius_m=50.0).run()
    masked = [r for q, r in zip(tiny.queries, results) if q.item.group == left_out]
    for a, b in zip(db_run, masked):
        assert a.positive and (a.rank_retrieval, a.rank_verified, a.n_verified) == \
            (b.rank_retrieval, b.rank_verified, b.n_verified)
        assert a.error_m == pytest.approx(b.error_m, abs=0.01)
