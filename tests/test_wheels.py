"""requirements/runtime.txt installs from wheels alone (--only-binary :all:) on
Windows, macOS arm64 and x86_64 and Linux x86_64, each with Python 3.9, 3.12 and
3.13: resolved against the package index by scripts/check_wheels.py, skipped with
a message when the index cannot be reached (no network)."""
import importlib.util
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("check_wheels", REPO / "scripts" / "check_wheels.py")
check_wheels = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_wheels)


def test_markers_choose_one_line_per_package_for_every_target():
    for platform, python in check_wheels.targets():
        names = [r.split("=")[0].split(">")[0].split("<")[0] for r in check_wheels.requirements_for(platform, python)]
        assert len(names) == len(set(names)), (platform, python, names)
        assert {"onnxruntime", "opencv-python-headless", "faiss-cpu"} <= set(names)
        # hnswlib is source-only and chroma-hnswlib writes another file layout: faiss serves
        assert "hnswlib" not in names and "chroma-hnswlib" not in names


@pytest.mark.timeout(900)
def test_runtime_requirements_resolve_from_wheels_on_every_platform():
    if not check_wheels.index_reachable():
        pytest.skip(f"{check_wheels.INDEX} cannot be reached: the wheel check needs the package index")
    results = {t: check_wheels.resolve(*t, pip=(sys.executable, "-m", "pip")) for t in check_wheels.targets()}
    failed = {t: r for t, (ok, r) in results.items() if not ok}
    assert not failed, failed
    assert len(results) == 12
    for (platform, python), (_ok, wheels) in results.items():
        assert all(f.endswith(".whl") for _v, f in wheels.values()), (platform, python, wheels)
        assert "faiss-cpu" in wheels and "onnxruntime" in wheels
