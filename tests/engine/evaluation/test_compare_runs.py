"""scripts/compare_runs.py: two runs' per-query tables (written by the evaluation's own
writer) are the same apart from timings, or the difference is named and the exit is 1."""
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from geopin.geopin_plugin.engine.evaluation.results import QueryResult, write_results_csv

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "compare_runs.py"


def _results(n=4):
    return [QueryResult(
        protocol="lund-loo", query=f"q{i}", key=f"k{i}", group=f"g{i}", place="p", kind="photo", positive=True,
        truth_lat=52.0, truth_lon=4.9, est_lat=52.0, est_lon=4.9, error_m=5.0, confidence=0.9, label="confident",
        error_radius_m=20.0, rank_retrieval=1, rank_verified=1, n_verified=3, top_ref="r", top_ref_dist_m=5.0,
        correct_ref="c", answer_ref="a", top_similarity=0.5, top_inliers=40, top_spread=0.5, t_embed=0.1,
        t_search=0.01, t_verify=1.0, t_estimate=0.02, t_total=1.13, raw={"max_inliers": 40.0, "album_seconds": 1.0},
    ) for i in range(n)]


def _run(before, after):
    return subprocess.run([sys.executable, str(SCRIPT), str(before), str(after)], capture_output=True, text=True,
                          timeout=120)


def test_timings_differ_verdicts_do_not(tmp_path):
    results = _results()
    write_results_csv(results, tmp_path / "a" / "00-lund-loo.csv")
    slower = [replace(r, t_total=2.5, t_verify=3.0, raw={**r.raw, "album_seconds": 9.0}) for r in results]
    write_results_csv(slower, tmp_path / "b" / "03-lund-loo.csv")  # another order prefix: the same protocol
    done = _run(tmp_path / "a", tmp_path / "a")
    assert done.returncode == 0 and "lund-loo.csv: byte-identical" in done.stdout, done.stdout + done.stderr
    done = _run(tmp_path / "a", tmp_path / "b")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "lund-loo.csv: identical apart from the timing columns" in done.stdout


def test_a_changed_verdict_or_a_missing_table_fails(tmp_path):
    results = _results()
    write_results_csv(results, tmp_path / "a" / "00-lund-loo.csv")
    write_results_csv(results, tmp_path / "a" / "01-panoramax.csv")
    changed = list(results)
    changed[2] = replace(changed[2], label="uncertain")
    write_results_csv(changed, tmp_path / "b" / "00-lund-loo.csv")
    done = _run(tmp_path / "a", tmp_path / "b")
    assert done.returncode == 1
    assert "lund-loo.csv: DIFFERENT (query q2 differs)" in done.stdout
    assert "panoramax.csv: only in" in done.stdout


def test_a_compare_run_pairs_each_preset_of_a_protocol(tmp_path):
    """A --compare run writes one table per preset and protocol (00-lund-loo, 01-lund-loo):
    each is compared with its own, not only the last."""
    results = _results()
    changed = [replace(results[0], label="no match")] + results[1:]
    for run, second in (("a", results), ("b", changed)):
        write_results_csv(results, tmp_path / run / "00-lund-loo.csv")
        write_results_csv(second, tmp_path / run / "01-lund-loo.csv")
    done = _run(tmp_path / "a", tmp_path / "b")
    assert done.returncode == 1, done.stdout
    assert "lund-loo.csv: byte-identical" in done.stdout and "lund-loo.csv #2" in done.stdout
