"""Embedder loading and inference with tiny generated ONNX models."""
import json

import numpy as np
import pytest

from geopin.geopin_plugin.engine import models as M
from geopin.geopin_plugin.engine.embed import EmbedderError, load_embedder, preprocess, target_size

from .dummy_models import card_for, dummy_embedder, expected_embedding


def _img(h, w, seed=0):
    return np.random.RandomState(seed).randint(0, 256, (h, w, 3), dtype=np.uint8)


def test_user_onnx_with_metadata_card_embeds_l2_normalised(tmp_path):
    path = dummy_embedder(tmp_path / "m.onnx", dim=16, card=card_for(16, size=(64, 48)))
    emb = load_embedder(path)
    assert emb.dim == 16 and emb.preset_id.startswith("user-dummy-64x48-")
    imgs = [_img(96, 128, 1), _img(200, 100, 2), _img(48, 64, 3)]  # two aspect ratios -> two batches
    out = emb.embed(imgs)
    assert out.shape == (3, 16) and out.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    for im, row in zip(imgs, out):
        size = target_size(im.shape[1], im.shape[0], (64, 48))
        ref = expected_embedding(preprocess(im, size, (0.5,) * 3, (0.25,) * 3), 16)
        np.testing.assert_allclose(row, ref, atol=1e-4)


def test_json_card_beside_the_file_and_unprefixed_keys(tmp_path):
    path = dummy_embedder(tmp_path / "cosplace.onnx", dim=8)
    card = {k.replace("geopin.", ""): v for k, v in card_for(8, size=(32, 32), id="cosplace").items()}
    (tmp_path / "cosplace.onnx.json").write_text(json.dumps(card))
    emb = load_embedder(str(path))
    assert emb.dim == 8 and "cosplace" in emb.preset_id
    assert emb.embed([_img(40, 30)]).shape == (1, 8)


def test_fixed_size_model_gets_its_own_size(tmp_path):
    path = dummy_embedder(tmp_path / "f.onnx", dim=4, card=card_for(4, size=(32, 16)), fixed_hw=(16, 32))
    emb = load_embedder(path)
    assert emb.fixed_size == (32, 16)
    assert emb.embed([_img(300, 100)]).shape == (1, 4)


def test_preset_id_changes_with_the_file(tmp_path):
    a = load_embedder(dummy_embedder(tmp_path / "a.onnx", dim=4, card=card_for(4), seed=1))
    b = load_embedder(dummy_embedder(tmp_path / "b.onnx", dim=4, card=card_for(4), seed=2))
    assert a.preset_id != b.preset_id


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: dummy_embedder(p, dim=16), "no model card"),
        (lambda p: dummy_embedder(p, dim=16, card=card_for(32)), "card says dim 32"),
        (lambda p: dummy_embedder(p, dim=16, card={"geopin.dim": "16"}), "lacks 'input_size'"),
        (lambda p: dummy_embedder(p, dim=16, card=card_for(16, mean=[0.5, 0.5])), "mean needs 3 numbers"),
        (lambda p: dummy_embedder(p, dim=16, card=card_for(16, kind="extractor")), "not an embedder"),
        (lambda p: dummy_embedder(p, dim=16, card=card_for(16), out_rank=3), "must output (n, dim)"),
        (lambda p: p.write_bytes(np.random.RandomState(0).bytes(4000)) and p, "not a loadable ONNX model"),
        (lambda p: p.write_text("this is a text file, not a model\n") and p, "not a loadable ONNX model"),
        (lambda p: p.write_bytes(b"") and p, "not a loadable ONNX model"),
    ],
    ids=["no-card", "wrong-dim", "missing-size", "bad-mean", "wrong-kind", "wrong-output-rank",
         "random-bytes", "text-file", "empty-file"],
)
def test_bad_user_models_raise_clear_errors(tmp_path, make, message):
    path = tmp_path / "bad.onnx"
    make(path)
    with pytest.raises(EmbedderError) as exc:
        load_embedder(path)
    assert message in str(exc.value)


def test_truncated_onnx_is_refused(tmp_path):
    good = dummy_embedder(tmp_path / "g.onnx", dim=16, card=card_for(16))
    data = good.read_bytes()
    (tmp_path / "t.onnx").write_bytes(data[: len(data) // 2])
    with pytest.raises(EmbedderError, match="not a loadable ONNX model"):
        load_embedder(tmp_path / "t.onnx")


def test_unknown_name_and_missing_file(tmp_path):
    with pytest.raises(EmbedderError, match="neither a known embedder preset"):
        load_embedder("no-such-model")
    with pytest.raises(EmbedderError, match="is a extractor|not an embedder"):
        load_embedder("rootsift-2048")


def _fake_build(directory, preset_id, dim):
    """A dummy file standing in for a built preset, with a manifest entry."""
    preset = M.PRESETS[preset_id]
    path = dummy_embedder(directory / preset.onnx_file, dim=dim, card=card_for(dim))
    manifest = {"files": {preset.onnx_file: {"sha256": M.sha256_file(path),
                                             "fingerprint": M.file_fingerprint(preset.onnx_file)}}}
    (directory / M.MANIFEST_NAME).write_text(json.dumps(manifest))
    return path


def test_preset_is_checked_against_the_manifest(tmp_path, monkeypatch):
    monkeypatch.setenv("GEOPIN_MODELS_DIR", str(tmp_path))
    monkeypatch.setenv("GEOPIN_DATA_DIR", str(tmp_path / "no-user-models"))  # the user folder is searched too
    with pytest.raises(EmbedderError, match="not built.*make models"):
        load_embedder(M.DEFAULT_EMBEDDER)
    path = _fake_build(tmp_path, M.DEFAULT_EMBEDDER, 512)
    emb = load_embedder(M.DEFAULT_EMBEDDER)
    assert emb.preset_id == M.DEFAULT_EMBEDDER and emb.dim == 512
    assert emb.input_size == M.PRESETS[M.DEFAULT_EMBEDDER].input_size
    # Tampered file: sha256 no longer matches the manifest.
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(EmbedderError, match="does not match its manifest sha256"):
        load_embedder(M.DEFAULT_EMBEDDER)


def test_preset_with_wrong_dim_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("GEOPIN_MODELS_DIR", str(tmp_path))
    monkeypatch.setenv("GEOPIN_DATA_DIR", str(tmp_path / "no-user-models"))
    _fake_build(tmp_path, M.DEFAULT_EMBEDDER, 64)
    with pytest.raises(EmbedderError, match="outputs 64-d vectors but its card says dim 512"):
        load_embedder(M.DEFAULT_EMBEDDER)


def test_catalogue_is_consistent():
    assert M.PRESETS[M.DEFAULT_EMBEDDER].kind == "embedder"
    assert M.PRESETS[M.DEFAULT_EXTRACTOR].kind == "extractor"
    for pid, p in M.PRESETS.items():
        assert p.id == pid and p.kind in ("embedder", "extractor", "matcher")
        assert p.licence and p.dim > 0
        card = p.card()
        assert all(isinstance(v, str) for v in card.values())
        assert json.loads(card["input_size"]) == list(p.input_size)
    embedders = [p for p in M.PRESETS.values() if p.kind == "embedder"]
    assert all(p.dim == 512 for p in embedders)
    # ids differ whenever the input resolution differs (they go into cache names)
    assert len({(p.id) for p in embedders}) == len({(p.onnx_file, p.input_size) for p in embedders})
