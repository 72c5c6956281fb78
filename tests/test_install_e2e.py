"""From the plugin ZIP to a located photo, installed as a QGIS user installs it.

A fresh virtual environment from /usr/bin/python3 (--system-site-packages: QGIS's
own numpy, PROJ, GDAL) gets only requirements/runtime.txt, from wheels only
(--only-binary :all:) and QGIS's constraints: no torch, no dev packages, no
checkout on sys.path. `make package`'s ZIP is unpacked into an empty QGIS profile;
qgis_process, with that environment's packages and no user models folder (the
models come from the ZIP), builds a reference database of real Amsterdam
panoramas and locates the demo photo (a 65° view of a panorama left out of it).

Needs the package index (pypi.org); skipped with a message without it.
"""
import csv
import importlib.util
import json
import math
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
QGIS_PROCESS = "/usr/bin/qgis_process.bin"
SYS_PYTHON = "/usr/bin/python3"
sys.path.insert(0, str(REPO / "scripts"))
spec = importlib.util.spec_from_file_location("check_wheels", REPO / "scripts" / "check_wheels.py")
check_wheels = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_wheels)

pytestmark = pytest.mark.timeout(1800)
LEAVE_OUT = "TMX7316010203-001041_pano_0002_002827"  # scripts/demo.py's demo panorama
PARTNERS = 12  # the nearest panoramas of the left-out one make the database


@pytest.fixture(scope="module")
def runtime_env(tmp_path_factory):
    if not check_wheels.index_reachable():
        pytest.skip(f"{check_wheels.INDEX} cannot be reached: the install test needs the package index")
    root = tmp_path_factory.mktemp("e2e")
    venv = root / "venv"
    subprocess.run([SYS_PYTHON, "-m", "venv", "--system-site-packages", str(venv)], check=True, timeout=300)
    constraints = root / "constraints.txt"
    constraints.write_text(subprocess.run([SYS_PYTHON, str(REPO / "geopin_plugin" / "constraints.py")],
                                          capture_output=True, text=True, check=True).stdout)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PIP_CONSTRAINT")}
    install = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check", "--no-input",
         "--only-binary", ":all:", "-c", str(constraints), "-r", str(REPO / "requirements" / "runtime.txt")],
        capture_output=True, text=True, timeout=1500, env=env, cwd=str(root))
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    site = next((venv / "lib").glob("python3*/site-packages"))
    probe = subprocess.run([str(venv / "bin" / "python"), "-c",
                            "import sys, importlib.util as u; print([p for p in sys.path if p]); "
                            "print({m: u.find_spec(m) is not None for m in "
                            "('onnxruntime', 'cv2', 'faiss', 'hnswlib', 'torch', 'pytest', 'kornia')})"],
                           capture_output=True, text=True, cwd=str(root), env=env, timeout=120)
    paths, found = probe.stdout.strip().splitlines()
    assert str(REPO) not in paths, paths
    assert found == str({"onnxruntime": True, "cv2": True, "faiss": True, "hnswlib": False, "torch": False,
                         "pytest": False, "kornia": False}), found
    return root, site


@pytest.fixture(scope="module")
def clean_profile(runtime_env):
    root, _site = runtime_env
    out = root / "dist"
    result = subprocess.run([sys.executable, str(REPO / "scripts" / "package.py"), "--output", str(out)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    package = next(out.glob("geopin-*.zip"))
    config = root / "config"
    plugins = config / "profiles" / "default" / "python" / "plugins"
    plugins.mkdir(parents=True)
    zipfile.ZipFile(package).extractall(plugins)
    ini = config / "profiles" / "default" / "QGIS" / "QGIS3.ini"
    ini.parent.mkdir(parents=True)
    ini.write_text("[PythonPlugins]\ngeopin=true\n")
    return config, plugins / "geopin"


def qgis_process(runtime_env, config, *args):
    root, site = runtime_env
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "QGIS_PLUGINPATH", "VIRTUAL_ENV", "GEOPIN_MODELS_DIR", "QGIS_CUSTOM_CONFIG_PATH")}
    env.update(QGIS_CUSTOM_CONFIG_PATH=str(config), PYTHONPATH=str(site), QT_QPA_PLATFORM="offscreen",
               XDG_RUNTIME_DIR=str(root), GEOPIN_DATA_DIR=str(root / "empty-user-data"),
               GEOPIN_DEPS_DIR=str(root / "no-deps"))
    return subprocess.run([QGIS_PROCESS, *args], capture_output=True, text=True, env=env, timeout=900,
                          cwd=str(root))


def distance_m(lat0, lon0, lat1, lon1):
    k = math.pi / 180
    x = (lon1 - lon0) * k * math.cos((lat0 + lat1) / 2 * k)
    return 6371000 * math.hypot(x, (lat1 - lat0) * k)


def test_zip_installed_in_a_clean_profile_locates_the_demo_photo(runtime_env, clean_profile, datasets_dir):
    import cv2

    from geopin.geopin_plugin.engine.images import load_image
    from geopin.geopin_plugin.engine.panorama import perspective_view

    root, _site = runtime_env
    config, plugin = clean_profile
    assert (plugin / "models" / "manifest.json").is_file()
    folder = Path(datasets_dir) / "amsterdam-panoramas"
    with open(folder / "manifest.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    query_row = next(r for r in rows if r["pano_id"] == LEAVE_OUT)
    lat, lon = float(query_row["lat"]), float(query_row["lon"])
    near = sorted((r for r in rows if r["pano_id"] != LEAVE_OUT),
                  key=lambda r: distance_m(lat, lon, float(r["lat"]), float(r["lon"])))[:PARTNERS]
    photos = root / "photos"
    photos.mkdir()
    with open(root / "coordinates.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["file", "lat", "lon", "heading"])
        for r in near:
            shutil.copyfile(folder / r["file"], photos / r["file"])
            writer.writerow([r["file"], r["lat"], r["lon"], 0.0])  # published north-centred
    query = root / "demo.jpg"  # scripts/demo.py's view: 65° wide, heading 180°, no EXIF
    view = perspective_view(load_image(str(folder / query_row["file"])), 180.0, 65.0, (1024, 768))
    cv2.imwrite(str(query), cv2.cvtColor(view, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 92])

    database = root / "reference.gpkg"
    built = qgis_process(runtime_env, config, "run", "geopin:buildreferencedatabase", "--json", "--",
                         f"INPUT={photos}", f"COORDINATES={root / 'coordinates.csv'}", f"DATABASE={database}")
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    assert json.loads(built.stdout)["results"]["ADDED"] == PARTNERS
    assert "Traceback" not in built.stderr, built.stderr[-3000:]

    estimates = root / "estimates.gpkg"
    located = qgis_process(runtime_env, config, "run", "geopin:geolocatephotos", "--json", "--",
                           f"INPUT={query}", f"DATABASE={database}", f"OUTPUT_ESTIMATES={estimates}")
    assert located.returncode == 0, located.stdout[-3000:] + located.stderr[-3000:]
    assert json.loads(located.stdout)["results"]["LOCATED"] == 1
    from osgeo import ogr

    dataset = ogr.Open(str(estimates))  # held: its layers die with it
    feature = dataset.GetLayer(0).GetNextFeature()
    error = distance_m(lat, lon, feature.GetField("lat"), feature.GetField("lon"))
    assert error < 50, error  # the partners are 7-42 m away (scripts/demo.py)
