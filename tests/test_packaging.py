"""`make package`: dist/geopin-<version>.zip holds one folder geopin/ with the plugin
and nothing else, and that zip installed into an empty QGIS profile loads in QGIS."""
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
QGIS_PROCESS = "/usr/bin/qgis_process.bin"


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    ts = REPO / "i18n" / "geopin_nl.ts"
    qm = ts.with_suffix(".qm")
    if not qm.exists() or qm.stat().st_mtime < ts.stat().st_mtime:  # what `make translations` does
        subprocess.run(["lrelease", "-silent", str(ts), "-qm", str(qm)], check=True)
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run([sys.executable, str(REPO / "scripts" / "package.py"), "--output", str(out)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    zips = list(out.glob("geopin-*.zip"))
    assert len(zips) == 1, result.stdout
    return zips[0]


def test_zip_has_one_geopin_folder_and_only_plugin_files(package):
    version = next(line.split("=", 1)[1] for line in (REPO / "metadata.txt").read_text().splitlines()
                   if line.startswith("version="))
    assert package.name == f"geopin-{version}.zip"
    # plugins.qgis.org refuses uploads over PLUGIN_MAX_UPLOAD_SIZE = 25000000 bytes
    assert package.stat().st_size <= 25_000_000, package.stat().st_size
    names = zipfile.ZipFile(package).namelist()
    assert all(n.startswith("geopin/") for n in names)
    for required in ["__init__.py", "metadata.txt", "LICENSE", "README.md", "requirements/runtime.txt",
                     "i18n/geopin_nl.qm", "resources/icon.svg", "geopin_plugin/plugin.py",
                     "geopin_plugin/gui/install_dialog.py", "processing/provider.py"]:
        assert f"geopin/{required}" in names, required
    for name in names:
        parts = name.split("/")
        assert not {"tests", "benchmarks", "build", ".venv", "dist", "__pycache__", ".git", "scripts"} & set(parts), name
        assert not name.endswith((".pyc", ".so", ".pth", ".bin", ".whl", ".npy", ".jpg", ".ts")), name
        assert not name.endswith(".onnx") or name.startswith("geopin/models/"), name
    # the runtime requirements the installer reads are the pinned ones, never torch
    runtime = zipfile.ZipFile(package).read("geopin/requirements/runtime.txt").decode()
    pins = [line.split("==")[0] for line in runtime.splitlines() if line.strip() and not line.startswith("#")]
    assert "onnxruntime" in pins and "torch" not in pins


def test_zip_ships_the_runtime_models_with_manifest_cards_and_licences(package):
    import hashlib

    zf = zipfile.ZipFile(package)
    manifest = json.loads(zf.read("geopin/models/manifest.json"))["files"]
    # the default embedder, XFeat and LighterGlue; not the evaluation-only DISK/LightGlue
    assert sorted(manifest) == ["lighterglue-xfeat.onnx", "mobilenetv2-gem512.onnx", "xfeat.onnx"]
    for name, entry in manifest.items():
        assert hashlib.sha256(zf.read(f"geopin/models/{name}")).hexdigest() == entry["sha256"], name
    cards = zf.read("geopin/models/MODELS.md").decode()
    assert all(name in cards and manifest[name]["licence"] in cards for name in manifest)
    licences = [n for n in zf.namelist() if n.startswith("geopin/models/LICENSE-")]
    assert "geopin/models/LICENSE-Apache-2.0.txt" in licences
    assert any("BSD-3-Clause" in n for n in licences)


def test_zip_loads_in_empty_qgis_profile(package, tmp_path):
    config = tmp_path / "config"
    plugins = config / "profiles" / "default" / "python" / "plugins"
    plugins.mkdir(parents=True)
    zipfile.ZipFile(package).extractall(plugins)
    ini = config / "profiles" / "default" / "QGIS" / "QGIS3.ini"
    ini.parent.mkdir(parents=True)
    ini.write_text("[PythonPlugins]\ngeopin=true\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "QGIS_PLUGINPATH", "VIRTUAL_ENV")}
    env.update(QGIS_CUSTOM_CONFIG_PATH=str(config), QT_QPA_PLATFORM="offscreen",
               XDG_RUNTIME_DIR=str(tmp_path), GEOPIN_DEPS_DIR=str(tmp_path / "no-deps"))

    result = subprocess.run([QGIS_PROCESS, "plugins"], capture_output=True, text=True, env=env, timeout=120)
    assert "* geopin" in result.stdout, result.stdout + result.stderr

    result = subprocess.run([QGIS_PROCESS, "list", "--json"], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    providers = json.loads(result.stdout)["providers"]
    assert "geopin" in providers, result.stderr
    assert providers["geopin"]["name"] == "GeoPin"
    # every algorithm module in the package is listed, even though this QGIS's Python
    # may lack onnxruntime/hnswlib/cv2 (they are only needed to run, not to list)
    listed = set(providers["geopin"]["algorithms"])
    zf = zipfile.ZipFile(package)  # an algorithm module is one with a processAlgorithm (not the mixins)
    shipped = [n for n in zf.namelist() if n.startswith("geopin/processing/") and n.endswith(".py")
               and b"def processAlgorithm" in zf.read(n)]
    assert len(listed) == len(shipped), (listed, shipped, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
