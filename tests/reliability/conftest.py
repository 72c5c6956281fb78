"""The reliability suite: every case records what the user saw (a clear error,
a crash, a traceback, lost data) and the session writes the table of
docs/reliability.md to build/reliability/table.md (and results.json)."""
import json
import os
import subprocess
import sys
from collections import OrderedDict
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tests" / "engine"))  # refdb_helpers, fixtures_refdb, dummy_models
sys.path.insert(0, str(HERE))  # helpers (pytest runs with --import-mode=importlib)

RESULTS = []
OUT_DIR = REPO / "build" / "reliability"


@pytest.fixture
def record(request):
    """record(area, case, clear_error=..., crash=..., traceback=..., hang=..., data_lost=...);
    data_lost: committed data missing or a silent wrong answer; hang: over the case's deadline."""
    def _record(area, case, clear_error=False, crash=False, traceback=False, data_lost=False, hang=False):
        RESULTS.append({"area": area, "case": case, "test": request.node.nodeid, "clear_error": bool(clear_error),
                        "crash": bool(crash), "traceback": bool(traceback), "hang": bool(hang),
                        "data_lost": bool(data_lost)})
    return _record


def pytest_sessionfinish(session, exitstatus):
    if not RESULTS:
        return
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "results.json").write_text(json.dumps(RESULTS, indent=1))
    areas = OrderedDict()
    for r in RESULTS:
        a = areas.setdefault(r["area"], {"cases": 0, "clear_error": 0, "crash": 0, "traceback": 0, "hang": 0,
                                         "data_lost": 0})
        a["cases"] += 1
        for k in ("clear_error", "crash", "traceback", "hang", "data_lost"):
            a[k] += r.get(k, False)
    lines = ["| area | cases tried | clear error | crash | traceback shown | hang | data lost / silent wrong answer |",
             "|---|---|---|---|---|---|---|"]
    total = {"cases": 0, "clear_error": 0, "crash": 0, "traceback": 0, "hang": 0, "data_lost": 0}
    for name, a in areas.items():
        lines.append(f"| {name} | {a['cases']} | {a['clear_error']} | {a['crash']} | {a['traceback']} | "
                     f"{a['hang']} | {a['data_lost']} |")
        for k in total:
            total[k] += a[k]
    lines.append(f"| **all** | {total['cases']} | {total['clear_error']} | {total['crash']} | {total['traceback']} "
                 f"| {total['hang']} | {total['data_lost']} |")
    (OUT_DIR / "table.md").write_text("\n".join(lines) + "\n")


@pytest.fixture
def small_disk(tmp_path):
    """A folder on a 3 MiB tmpfs (root), or None when mounting is not possible;
    tests then inject ENOSPC instead."""
    mnt = tmp_path / "small_disk"
    mnt.mkdir()
    ok = os.geteuid() == 0 and subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mnt)],
                                              capture_output=True).returncode == 0
    yield mnt if ok else None
    if ok:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)
