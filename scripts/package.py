#!/usr/bin/env python3
"""Build the installable plugin zip: dist/geopin-<version>.zip with one folder geopin/.

Contents: the plugin code (geopin_plugin/, processing/), __init__.py, metadata.txt,
LICENSE, README.md, docs/*.md, resources/, the compiled Dutch i18n/*.qm and
requirements/runtime.txt (read by "Install dependencies…"). Only those folders, and
in them only files git does not ignore (plus the .qm that `make translations`
compiles), so tests, caches, the venv, build outputs and benchmarks never get in;
files that look binary (shared libraries, model weights, data images) are refused.

    python3 scripts/package.py [--output DIR]      (`make package` runs it)
"""
import argparse
import configparser
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MAX_BYTES = 25 * 1024 * 1024
TOP_FILES = ["__init__.py", "metadata.txt", "LICENSE", "README.md", "requirements/runtime.txt"]
TREES = ["geopin_plugin", "processing", "resources", "docs"]
# What may go into the zip; everything else under TREES is reported and left out.
ALLOWED_SUFFIXES = {".py", ".md", ".txt", ".svg", ".png", ".qml", ".json", ".qm", ".csv", ".ui"}
NEVER = ("__pycache__", ".pyc", "tests/", ".onnx", ".pth", ".so", ".pyd", ".dll", ".whl", ".bin", ".npy")


def version():
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(REPO / "metadata.txt", encoding="utf-8")
    return parser["general"]["version"]


def tracked_files():
    """Files git tracks or would track (not ignored: no caches, venv, build), as in
    the working tree; all files when there is no git."""
    try:
        out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO, capture_output=True, check=True).stdout
        return [p for p in out.decode().split("\0") if p]
    except (OSError, subprocess.CalledProcessError):
        return [p.relative_to(REPO).as_posix() for p in REPO.rglob("*") if p.is_file()]


def select_files():
    """(included relative paths, [(path, why) left out])."""
    tracked = set(tracked_files())
    qm = sorted(p.relative_to(REPO).as_posix() for p in (REPO / "i18n").glob("*.qm"))
    if not qm:
        raise SystemExit("no compiled translations in i18n/: run `make translations` first")
    chosen, skipped = list(TOP_FILES) + qm, []
    for path in sorted(tracked):
        if path.split("/")[0] not in TREES:
            continue
        if not (REPO / path).is_file():
            continue  # deleted in the working tree
        if any(bad in path for bad in NEVER) or Path(path).suffix.lower() not in ALLOWED_SUFFIXES:
            skipped.append((path, "not a plugin file type"))
            continue
        if path.startswith("docs/") and not path.endswith(".md"):
            skipped.append((path, "docs: only Markdown"))
            continue
        chosen.append(path)
    missing = [p for p in chosen if not (REPO / p).is_file()]
    if missing:
        raise SystemExit(f"missing files for the package: {missing}")
    return chosen, skipped


def build(output_dir):
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    target = output_dir / f"geopin-{version()}.zip"
    files, skipped = select_files()
    tmp = target.with_suffix(".zip.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for rel in files:
            info = zipfile.ZipInfo(f"geopin/{rel}", date_time=(2020, 1, 1, 0, 0, 0))  # reproducible
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, (REPO / rel).read_bytes())
    size = tmp.stat().st_size
    if size > MAX_BYTES:
        tmp.unlink()
        raise SystemExit(f"package is {size} bytes, over the {MAX_BYTES} byte limit")
    tmp.replace(target)
    return target, files, skipped


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", default=REPO / "dist", help="folder for the zip (default dist/)")
    args = parser.parse_args(argv)
    target, files, skipped = build(args.output)
    for path, why in skipped:
        print(f"left out {path}: {why}")
    print(f"{target}: {len(files)} files, {target.stat().st_size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
