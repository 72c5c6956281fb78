"""Global embedders: ONNX models run with onnxruntime (never torch).

``load_embedder(preset_id)`` loads a catalogue preset built by ``make models``;
``load_embedder("/path/model.onnx")`` loads a user-supplied model described by
a model card, either in the file's ``metadata_props`` (keys ``geopin.*`` or plain)
or in a JSON file beside it (``model.onnx.json`` or ``model.json``):

    {"id": "cosplace-r18-512", "input_size": [640, 480],
     "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225], "dim": 512}

The model must take one float32 NCHW RGB input (pixels scaled to 0..1, then
(x - mean) / std) and return (n, dim). It is validated on load (one tiny
inference) and every problem raises :class:`EmbedderError` with the reason.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import models
from .models import META_PREFIX, ModelError, PRESETS, check_built, get_preset

BATCH = 8


class EmbedderError(ModelError):
    """The embedder cannot be used (missing, corrupt, not ONNX, wrong card)."""


def make_session(path: Path, threads: Optional[int] = None):
    """The embedder's onnxruntime session; every problem is an EmbedderError."""
    try:
        return models.make_session(path, threads)
    except ModelError as exc:
        raise EmbedderError(str(exc)) from exc


def target_size(width: int, height: int, input_size: Tuple[int, int]) -> Tuple[int, int]:
    """Resize keeping the aspect ratio so the long side equals max(input_size)."""
    long_side = max(input_size)
    scale = long_side / float(max(width, height))
    return max(16, int(round(width * scale))), max(16, int(round(height * scale)))


def preprocess(image: np.ndarray, size: Tuple[int, int], mean, std) -> np.ndarray:
    """RGB uint8 (H, W, 3) -> float32 (3, h, w) normalised, size=(w, h)."""
    import cv2

    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise EmbedderError(f"expected an RGB uint8 (H, W, 3) image, got {image.dtype} {image.shape}")
    w, h = size
    if (image.shape[1], image.shape[0]) != (w, h):
        interp = cv2.INTER_AREA if w < image.shape[1] else cv2.INTER_LINEAR
        image = cv2.resize(image, (w, h), interpolation=interp)
    # channels first while still uint8, then in place: the same float32 operations per
    # element (bit-identical), 15 -> 2 ms of CPU at 1024 x 768 (issue 30)
    x = np.ascontiguousarray(image.transpose(2, 0, 1)).astype(np.float32)
    x *= np.float32(1.0 / 255.0)
    x -= np.asarray(mean, np.float32)[:, None, None]
    x /= np.asarray(std, np.float32)[:, None, None]
    return x


def _parse_card(raw: Dict[str, str], where: str) -> dict:
    card = {}
    for k, v in raw.items():
        key = k[len(META_PREFIX):] if k.startswith(META_PREFIX) else k
        card[key] = v
    try:
        def seq(key, n):
            val = card[key]
            val = json.loads(val) if isinstance(val, str) else val
            val = [float(x) for x in val]
            if len(val) != n:
                raise ValueError(f"{key} needs {n} numbers, got {len(val)}")
            return val

        size = [int(x) for x in seq("input_size", 2)]
        mean = seq("mean", 3)
        std = seq("std", 3)
        dim = int(card["dim"])
    except KeyError as exc:
        raise EmbedderError(f"model card in {where} lacks {exc.args[0]!r} (needs input_size, mean, std, dim)") from None
    except (TypeError, ValueError) as exc:
        raise EmbedderError(f"model card in {where} is invalid: {exc}") from None
    if min(size) < 16 or dim <= 0 or min(std) <= 0:
        raise EmbedderError(f"model card in {where} is invalid: input_size {size}, dim {dim}, std {std}")
    if card.get("kind", "embedder") != "embedder":
        raise EmbedderError(f"{where} is a {card.get('kind')!r} model, not an embedder")
    return {"id": str(card.get("id", "")), "input_size": tuple(size), "mean": mean, "std": std, "dim": dim}


def read_card(path: Path, session) -> dict:
    """The model card: a JSON beside the file wins over metadata_props."""
    path = Path(path)
    for side in (path.with_name(path.name + ".json"), path.with_suffix(".json")):
        if side.is_file():
            try:
                raw = json.loads(side.read_text())
            except ValueError as exc:
                raise EmbedderError(f"model card {side} is not valid JSON: {exc}") from None
            if not isinstance(raw, dict):
                raise EmbedderError(f"model card {side} must be a JSON object")
            return _parse_card(raw, str(side))
    meta = dict(session.get_modelmeta().custom_metadata_map or {})
    if not any(k.replace(META_PREFIX, "") == "dim" for k in meta):
        raise EmbedderError(
            f"{path.name} has no model card: add metadata_props or a JSON file "
            f"{path.name}.json with input_size, mean, std, dim"
        )
    return _parse_card(meta, f"{path.name} metadata_props")


class OnnxEmbedder:
    """A global embedder: embed(list of RGB uint8) -> (n, dim) float32, L2-normalised."""

    def __init__(self, path: Path, preset_id: str, input_size, mean, std, dim: int, threads=None):
        self.path = Path(path)
        self.session = make_session(self.path, threads)
        self.preset_id = preset_id
        self.input_size = tuple(int(v) for v in input_size)
        self.mean = tuple(mean)
        self.std = tuple(std)
        self.dim = int(dim)
        self._validate()

    def _validate(self):
        inputs = self.session.get_inputs()
        if len(inputs) != 1:
            raise EmbedderError(f"{self.path.name} must have exactly one input, has {len(inputs)}")
        inp = inputs[0]
        if inp.type != "tensor(float)" or len(inp.shape) != 4:
            raise EmbedderError(f"{self.path.name} input must be float32 NCHW, is {inp.type} {inp.shape}")
        if isinstance(inp.shape[1], int) and inp.shape[1] != 3:
            raise EmbedderError(f"{self.path.name} input must have 3 channels (RGB), has {inp.shape[1]}")
        self.input_name = inp.name
        h, w = inp.shape[2], inp.shape[3]
        # A model exported at one fixed size gets exactly that size (no aspect kept).
        self.fixed_size = (w, h) if isinstance(h, int) and isinstance(w, int) else None
        outs = self.session.get_outputs()
        self.output_name = outs[0].name
        probe_size = self.fixed_size or (64, 48)
        probe = np.zeros((1, 3, probe_size[1], probe_size[0]), np.float32)
        try:
            out = self.session.run([self.output_name], {self.input_name: probe})[0]
        except Exception as exc:
            raise EmbedderError(f"{self.path.name} failed on a test image: {str(exc).splitlines()[0][:300]}") from exc
        out = np.asarray(out)
        if out.ndim != 2 or out.shape[0] != 1:
            raise EmbedderError(f"{self.path.name} must output (n, dim), gave shape {out.shape}")
        if out.shape[1] != self.dim:
            raise EmbedderError(f"{self.path.name} outputs {out.shape[1]}-d vectors but its card says dim {self.dim}")
        if not np.all(np.isfinite(out)):
            raise EmbedderError(f"{self.path.name} returned non-finite values on a test image")

    def size_for(self, image: np.ndarray) -> Tuple[int, int]:
        if self.fixed_size:
            return self.fixed_size
        return target_size(image.shape[1], image.shape[0], self.input_size)

    def embed(self, images: Sequence[np.ndarray]) -> np.ndarray:
        images = list(images)
        out = np.zeros((len(images), self.dim), np.float32)
        groups: Dict[Tuple[int, int], List[int]] = {}
        for i, im in enumerate(images):
            groups.setdefault(self.size_for(im), []).append(i)
        for size, idx in groups.items():
            for start in range(0, len(idx), BATCH):
                chunk = idx[start:start + BATCH]
                x = np.stack([preprocess(images[i], size, self.mean, self.std) for i in chunk])
                y = self.session.run([self.output_name], {self.input_name: x})[0]
                out[chunk] = np.asarray(y, np.float32).reshape(len(chunk), self.dim)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)

    def __repr__(self):
        return f"OnnxEmbedder({self.preset_id!r}, dim={self.dim}, input={self.input_size}, file={self.path})"


def load_embedder(preset_or_path: Union[str, os.PathLike, None] = None, models_directory=None,
                  threads: Optional[int] = None) -> OnnxEmbedder:
    """A catalogue preset id (built by `make models`) or a path to a user ONNX file."""
    from .models import DEFAULT_EMBEDDER

    key = str(preset_or_path) if preset_or_path is not None else DEFAULT_EMBEDDER
    if key in PRESETS:
        preset = get_preset(key)
        if preset.kind != "embedder":
            raise EmbedderError(f"preset {key!r} is a {preset.kind}, not an embedder")
        try:
            path = check_built(key, models_directory)
        except EmbedderError:
            raise
        except ModelError as exc:
            raise EmbedderError(str(exc)) from None
        return OnnxEmbedder(path, preset.id, preset.input_size, preset.mean, preset.std, preset.dim, threads)
    path = Path(key).expanduser()
    if not path.exists():
        raise EmbedderError(f"{key!r} is neither a known embedder preset ({', '.join(sorted(p for p in PRESETS if PRESETS[p].kind == 'embedder'))}) nor an existing file")
    session = make_session(path, threads)
    card = read_card(path, session)
    # The user model's identity for cache/index names: card id + a short file hash.
    from .fsutil import sha256_file

    digest = sha256_file(path)[:10]
    name = card["id"] or path.stem
    size = "x".join(str(v) for v in card["input_size"])
    preset_id = f"user-{name}-{size}-{digest}"
    emb = OnnxEmbedder.__new__(OnnxEmbedder)
    emb.path, emb.session, emb.preset_id = path, session, preset_id
    emb.input_size, emb.mean, emb.std, emb.dim = card["input_size"], tuple(card["mean"]), tuple(card["std"]), card["dim"]
    emb._validate()
    return emb
