"""Where models are found (plugin folder, user folder, $GEOPIN_MODELS_DIR, each copy
checked against its folder's manifest) and installing a models ZIP or one user ONNX."""
import json
import shutil
import zipfile

import pytest

from geopin.geopin_plugin.engine import model_install as MI
from geopin.geopin_plugin.engine import models as M
from geopin.geopin_plugin.engine.embed import load_embedder

from .dummy_models import card_for, dummy_embedder


def _fake_build(directory, preset_id, dim=512, seed=0):
    preset = M.PRESETS[preset_id]
    directory.mkdir(parents=True, exist_ok=True)
    path = dummy_embedder(directory / preset.onnx_file, dim=dim, card=card_for(dim), seed=seed)
    manifest = {"files": {preset.onnx_file: {"sha256": M.sha256_file(path), "licence": "test",
                                             "presets": [preset_id],
                                             "fingerprint": M.file_fingerprint(preset.onnx_file)}}}
    (directory / M.MANIFEST_NAME).write_text(json.dumps(manifest))
    return path


@pytest.fixture
def folders(tmp_path, monkeypatch):
    plugin, data, env = tmp_path / "plugin-models", tmp_path / "data", tmp_path / "env-models"
    monkeypatch.setattr(M, "plugin_models_dir", lambda: plugin)
    monkeypatch.setattr(MI, "plugin_models_dir", lambda: plugin)
    monkeypatch.setenv("GEOPIN_DATA_DIR", str(data))
    monkeypatch.setenv("GEOPIN_MODELS_DIR", str(env))
    return plugin, data / "models", env


def test_lookup_order_plugin_then_user_then_env(folders):
    plugin, user, env = folders
    assert M.model_dirs() == [plugin, user, env]
    with pytest.raises(M.ModelError, match="in none of.*Models"):
        M.check_built(M.DEFAULT_EMBEDDER)
    _fake_build(env, M.DEFAULT_EMBEDDER, seed=3)
    assert M.check_built(M.DEFAULT_EMBEDDER).parent == env
    _fake_build(user, M.DEFAULT_EMBEDDER, seed=2)
    assert M.check_built(M.DEFAULT_EMBEDDER).parent == user
    path = _fake_build(plugin, M.DEFAULT_EMBEDDER, seed=1)
    assert M.check_built(M.DEFAULT_EMBEDDER).parent == plugin
    assert load_embedder(M.DEFAULT_EMBEDDER).path.parent == plugin
    # a damaged plugin copy does not hide the good user copy; the listing says which is bad
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    assert M.check_built(M.DEFAULT_EMBEDDER).parent == user
    status = {(m.where, m.file): m.status for m in MI.installed()}
    assert status[("plugin", "mobilenetv2-gem512.onnx")].startswith("sha256 differs")
    assert status[("user", "mobilenetv2-gem512.onnx")] == "ok"
    # damaged everywhere: the sha256 error, not "missing"
    for d in (user, env):
        shutil.copyfile(path, d / path.name)
    with pytest.raises(M.ModelError, match="does not match its manifest sha256"):
        M.check_built(M.DEFAULT_EMBEDDER)


def test_models_zip_installs_checked_files_into_the_user_folder(folders, tmp_path):
    _plugin, user, _env = folders
    src = tmp_path / "built"
    _fake_build(src, M.DEFAULT_EMBEDDER)
    archive = tmp_path / "models.zip"
    with zipfile.ZipFile(archive, "w") as zf:  # shaped like the plugin ZIP: geopin/models/...
        for f in src.iterdir():
            zf.write(f, f"geopin/models/{f.name}")
        zf.writestr("geopin/models/MODELS.md", "cards")
        zf.writestr("geopin/other.py", "not copied")
    assert MI.install_models_zip(archive) == ["mobilenetv2-gem512.onnx"]
    assert (user / "MODELS.md").read_text() == "cards" and not (user / "other.py").exists()
    assert M.check_built(M.DEFAULT_EMBEDDER).parent == user
    assert MI.missing_runtime() == ["xfeat-1024", "lighterglue-xfeat"]

    # a ZIP whose file differs from its manifest installs nothing and keeps the old copy
    before = (user / "mobilenetv2-gem512.onnx").read_bytes()
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.write(src / M.MANIFEST_NAME, M.MANIFEST_NAME)
        zf.writestr("mobilenetv2-gem512.onnx", b"not the model")
    with pytest.raises(MI.InstallError, match="sha256 differs"):
        MI.install_models_zip(bad)
    assert (user / "mobilenetv2-gem512.onnx").read_bytes() == before
    assert not [p for p in user.iterdir() if p.name.startswith(".")]  # no temporary left

    with zipfile.ZipFile(tmp_path / "photos.zip", "w") as zf:
        zf.writestr("a.jpg", b"x")
    with pytest.raises(MI.InstallError, match="not a GeoPin models ZIP"):
        MI.install_models_zip(tmp_path / "photos.zip")
    with zipfile.ZipFile(tmp_path / "slip.zip", "w") as zf:
        zf.writestr("manifest.json", json.dumps({"files": {"../evil.onnx": {"sha256": "0"}}}))
    with pytest.raises(MI.InstallError, match="not a plain .onnx file name"):
        MI.install_models_zip(tmp_path / "slip.zip")


def test_user_onnx_with_card_is_installed_and_loads(folders, tmp_path):
    _plugin, user, _env = folders
    mine = dummy_embedder(tmp_path / "my-vpr.onnx", dim=32, card=card_for(32))
    installed = MI.install_onnx(mine)
    assert installed == str(user / "my-vpr.onnx")
    emb = load_embedder(installed)
    assert emb.dim == 32
    entry = M.read_manifest(user)["files"]["my-vpr.onnx"]
    assert entry["sha256"] == M.sha256_file(mine) and entry["user"]
    assert [m.status for m in MI.installed() if m.file == "my-vpr.onnx"] == ["ok"]

    no_card = dummy_embedder(tmp_path / "bare.onnx", dim=8, card=None)
    with pytest.raises(M.ModelError, match="no model card"):
        MI.install_onnx(no_card)
    assert not (user / "bare.onnx").exists()
    with pytest.raises(MI.InstallError, match="catalogue model"):
        MI.install_onnx(_fake_build(tmp_path / "x", M.DEFAULT_EMBEDDER))
