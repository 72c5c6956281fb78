#!/usr/bin/env python3
"""Do two evaluation runs give the same per-query tables? (a refactor must not change a verdict)

    .venv/bin/python scripts/compare_runs.py build/eval/before build/eval/after

Tables are paired by protocol (the run folder's ``NN-`` order prefix is ignored; a --compare run's
presets in their order). For each:
are the bytes identical, and is every column apart from the timing columns
(results.TIMING_COLUMNS, and the album runs' raw_album_seconds: they differ between any
two runs) identical? Exit 1 when a table differs or is missing from one run.
"""
import argparse
import csv
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from plugin_path import REPO  # noqa: E402,F401  (the checkout as package `geopin`)

from geopin.geopin_plugin.engine.evaluation.results import TIMING_COLUMNS  # noqa: E402


def is_timing(column: str) -> bool:
    return column in TIMING_COLUMNS or (column.startswith("raw_") and column.endswith("_seconds"))


def tables(folder: Path):
    """{protocol table name: path}; a --compare run holds one table per preset and
    protocol, so the second table of a protocol is "name.csv #2" and so on."""
    out, seen = {}, {}
    for p in sorted(folder.glob("*.csv")):
        name = re.sub(r"^\d+-", "", p.name)
        seen[name] = seen.get(name, 0) + 1
        out[name if seen[name] == 1 else f"{name} #{seen[name]}"] = p
    return out


def compare(a: Path, b: Path) -> str:
    """"bytes" (identical), "values" (identical apart from timing columns) or why not."""
    if a.read_bytes() == b.read_bytes():
        return "bytes"
    with open(a, newline="") as fa, open(b, newline="") as fb:
        ra, rb = list(csv.reader(fa)), list(csv.reader(fb))
    if not ra or not rb or ra[0] != rb[0]:
        return "other columns"
    if len(ra) != len(rb):
        return f"{len(ra) - 1} vs {len(rb) - 1} queries"
    keep = [i for i, name in enumerate(ra[0]) if not is_timing(name)]
    for row_a, row_b in zip(ra[1:], rb[1:]):
        if [row_a[i] for i in keep] != [row_b[i] for i in keep]:
            return f"query {row_a[1]} differs"
    return "values"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("before", type=Path)
    ap.add_argument("after", type=Path)
    args = ap.parse_args(argv)
    ta, tb = tables(args.before), tables(args.after)
    bad = 0
    for name in sorted(set(ta) | set(tb)):
        if name not in ta or name not in tb:
            print(f"{name}: only in {args.before if name in ta else args.after}")
            bad += 1
            continue
        verdict = compare(ta[name], tb[name])
        ok = verdict in ("bytes", "values")
        bad += not ok
        print(f"{name}: " + {"bytes": "byte-identical", "values": "identical apart from the timing columns"}.get(
            verdict, f"DIFFERENT ({verdict})"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
