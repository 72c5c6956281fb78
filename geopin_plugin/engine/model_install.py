"""What models are installed where, and installing more without a checkout.

The plugin ZIP ships the runtime models (scripts/package.py); Plugins ▸ GeoPin ▸
Models… lists every folder of models.model_dirs() and installs into the user models
folder either a models ZIP (a manifest.json with each file's sha256, as `make models`
and scripts/package.py write it) or one user ONNX file with its model card (the
card travels as metadata_props or a JSON file beside it, embed.read_card). Every
file is checked against its sha256 before it replaces anything, and written
atomically (a cancelled or failed install leaves the old copy).

QGIS-free; reading a user ONNX card needs onnxruntime.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import List, Optional

from . import models as M
from .fsutil import sha256_file
from .paths import plugin_models_dir, user_models_dir

# The runtime models the plugin needs (the default embedder, XFeat, LighterGlue);
# DISK / LightGlue / EfficientNet are evaluation options and stay out of the ZIP.
RUNTIME_PRESETS = (M.DEFAULT_EMBEDDER, M.DEFAULT_EXTRACTOR, "lighterglue-xfeat")


@dataclass
class InstalledModel:
    file: str
    folder: Path
    where: str  # "plugin" | "user" | "GEOPIN_MODELS_DIR"
    presets: List[str]
    licence: str
    bytes: int
    status: str  # "ok" or why the file cannot be used


def runtime_files() -> List[str]:
    return sorted({M.get_preset(p).onnx_file for p in RUNTIME_PRESETS})


def _where(folder: Path) -> str:
    if os.path.abspath(folder) == os.path.abspath(plugin_models_dir()):
        return "plugin"
    if os.path.abspath(folder) == os.path.abspath(user_models_dir()):
        return "user"
    return "GEOPIN_MODELS_DIR"


def installed() -> List[InstalledModel]:
    """Every ONNX file in the model folders, with whether its manifest vouches for it."""
    out = []
    for folder in M.model_dirs():
        if not folder.is_dir():
            continue
        try:
            entries = M.read_manifest(folder).get("files", {})
        except M.ModelError as exc:
            entries, broken = {}, str(exc)
        else:
            broken = ""
        for path in sorted(folder.glob("*.onnx")):
            entry = entries.get(path.name) or {}
            if broken:
                status = broken
            elif not entry:
                status = "not in manifest.json"
            elif entry.get("sha256") != sha256_file(path):
                status = "sha256 differs from manifest.json (damaged or replaced)"
            else:
                status = "ok"
            out.append(InstalledModel(path.name, folder, _where(folder), list(entry.get("presets", [])),
                                      str(entry.get("licence", "")), path.stat().st_size, status))
    return out


def missing_runtime() -> List[str]:
    """Runtime preset ids with no usable copy in any model folder."""
    out = []
    for pid in RUNTIME_PRESETS:
        try:
            M.check_built(pid)
        except M.ModelError:
            out.append(pid)
    return out


class InstallError(M.ModelError):
    """A models ZIP or ONNX file that cannot be installed (says why)."""


def _merge_manifest(target: Path, entries: dict) -> None:
    manifest = M.read_manifest(target)
    manifest.setdefault("files", {}).update(entries)
    tmp = target / (M.MANIFEST_NAME + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True))
    os.replace(tmp, target / M.MANIFEST_NAME)


def _place(src_file, target: Path, name: str, sha256: str) -> None:
    """Copy an open binary file to target/name through a temporary file, checking its sha256."""
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=target)
    try:
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(src_file, out, 1 << 20)
        if sha256 and sha256_file(tmp) != sha256:
            raise InstallError(f"{name}: its sha256 differs from the manifest (the ZIP is damaged)")
        os.replace(tmp, target / name)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def install_models_zip(zip_path, target: Optional[Path] = None) -> List[str]:
    """Install the ONNX files a models ZIP lists in its manifest.json (at the root or in
    one folder, e.g. the plugin ZIP's geopin/models/) plus their cards and licences.
    Returns the installed file names."""
    target = Path(target or user_models_dir())
    try:
        zf = zipfile.ZipFile(zip_path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise InstallError(f"{zip_path} is not a ZIP file: {exc}") from None
    with zf:
        manifests = sorted((n for n in zf.namelist() if PurePosixPath(n).name == M.MANIFEST_NAME), key=len)
        if not manifests:
            raise InstallError(f"{Path(zip_path).name} has no {M.MANIFEST_NAME}: it is not a GeoPin models ZIP")
        base = str(PurePosixPath(manifests[0]).parent)
        prefix = "" if base == "." else base + "/"
        try:
            files = json.loads(zf.read(manifests[0])).get("files", {})
        except (ValueError, AttributeError) as exc:
            raise InstallError(f"{manifests[0]} is not a valid manifest: {exc}") from None
        names = set(zf.namelist())
        wanted = {}
        for name, entry in files.items():
            if "/" in name or "\\" in name or name.startswith(".") or not name.endswith(".onnx"):
                raise InstallError(f"{manifests[0]} names {name!r}, which is not a plain .onnx file name")
            if prefix + name not in names:
                raise InstallError(f"{Path(zip_path).name} lacks {name}, which its manifest lists")
            if not entry.get("sha256"):
                raise InstallError(f"{name} has no sha256 in the manifest")
            wanted[name] = entry
        if not wanted:
            raise InstallError(f"{manifests[0]} lists no model files")
        target.mkdir(parents=True, exist_ok=True)
        for name, entry in wanted.items():
            with zf.open(prefix + name) as src:
                _place(src, target, name, entry["sha256"])
        for extra in names:  # model cards and licences beside the files
            rel = extra[len(prefix):] if extra.startswith(prefix) else None
            if rel and "/" not in rel and rel.endswith((".md", ".txt", ".onnx.json")) and not rel.startswith("."):
                with zf.open(extra) as src:
                    _place(src, target, rel, "")
        _merge_manifest(target, wanted)
    return sorted(wanted)


def install_onnx(onnx_path, target: Optional[Path] = None) -> str:
    """Install one user ONNX file with its model card (metadata_props or <file>.json
    beside it) into the user models folder; returns the installed path. A file named
    like a catalogue model must be that model (its manifest entry is unknown here)."""
    from .embed import read_card

    src = Path(onnx_path)
    if src.suffix.lower() != ".onnx" or not src.is_file():
        raise InstallError(f"{src} is not an .onnx file")
    if src.name in {p.onnx_file for p in M.PRESETS.values() if p.onnx_file}:
        raise InstallError(f"{src.name} is a GeoPin catalogue model: install it from its models ZIP "
                           "(the ZIP's manifest vouches for its sha256)")
    try:
        card = read_card(src, M.make_session(src))
    except M.ModelError:
        raise
    except Exception as exc:  # onnxruntime's own errors for a file that is no model
        raise InstallError(f"{src.name} cannot be opened as an ONNX model: {exc}") from None
    target = Path(target or user_models_dir())
    target.mkdir(parents=True, exist_ok=True)
    digest = sha256_file(src)
    with open(src, "rb") as fh:
        _place(fh, target, src.name, digest)
    for side in (src.with_name(src.name + ".json"), src.with_suffix(".json")):
        if side.is_file():
            shutil.copyfile(side, target / side.name)
    _merge_manifest(target, {src.name: {"sha256": digest, "bytes": src.stat().st_size, "presets": [],
                                        "licence": str(card.get("licence", "")), "user": True,
                                        "card": {k: str(v) for k, v in card.items()}}})
    return str(target / src.name)
