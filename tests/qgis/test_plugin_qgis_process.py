"""qgis_process as a subprocess, through scripts/qgis_process (QGIS's qgis_process.bin
with this checkout's plugin enabled in a private profile): list, help, run."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
from qgis_helpers import QGIS_PROCESS as WRAPPER, qgis_process  # noqa: E402


@pytest.fixture(scope="module")
def listing():
    result = qgis_process("list", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), result.stderr


def written_algorithms():
    provider = (REPO / "processing" / "provider.py").read_text()
    block = provider[provider.index("ALGORITHMS = ["):provider.index("]", provider.index("ALGORITHMS = ["))]
    modules = [line.split('"')[1] for line in block.splitlines() if line.strip().startswith("(")]
    return [m for m in modules if (REPO / "processing" / f"{m}.py").exists()]


def test_list_shows_geopin_algorithms(listing):
    data, stderr = listing
    provider = data["providers"].get("geopin")
    assert provider is not None, stderr
    assert provider["name"] == "GeoPin" and provider["is_active"]
    algorithms = provider["algorithms"]
    assert "geopin:buildreferencedatabase" in algorithms
    assert len(algorithms) == len(written_algorithms()), (sorted(algorithms), written_algorithms(), stderr)
    assert "Could not load algorithm" not in stderr, stderr
    for alg_id, alg in algorithms.items():
        assert alg_id.startswith("geopin:") and alg["name"], alg_id


def test_help_lists_parameters():
    result = qgis_process("help", "geopin:buildreferencedatabase")
    assert result.returncode == 0, result.stderr
    for name in ("INPUT", "DATABASE", "MODEL"):
        assert name in result.stdout, result.stdout


def test_run_builds_a_database_from_real_photos(datasets_dir, tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("01.jpg", "02.jpg"):  # Lund street photos with EXIF GPS
        shutil.copy(datasets_dir / "lund" / name, photos / name)
    database = tmp_path / "refs.gpkg"
    result = qgis_process("run", "geopin:buildreferencedatabase", "--json", "--",
                          f"INPUT={photos}", f"DATABASE={database}")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    results = json.loads(result.stdout)["results"]
    assert results["ADDED"] == 2 and results["FAILED"] == 0, results
    assert database.is_file() and database.stat().st_size > 0


def test_user_error_is_a_message_not_a_traceback(tmp_path):
    result = qgis_process("run", "geopin:buildreferencedatabase", "--",
                          f"INPUT={tmp_path / 'missing'}", f"DATABASE={tmp_path / 'x.gpkg'}")
    assert result.returncode != 0
    assert "Input folder not found" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_wrapper_enables_plugin_in_an_existing_profile(tmp_path):
    ini = tmp_path / "profiles" / "default" / "QGIS" / "QGIS3.ini"
    ini.parent.mkdir(parents=True)
    ini.write_text("[PythonPlugins]\ngeopin=false\nprocessing=true\n\n[qgis]\nfoo=1\n")
    env = dict(os.environ, GEOPIN_QGIS_CONFIG=str(tmp_path))
    env.pop("QGIS_CUSTOM_CONFIG_PATH", None)
    result = subprocess.run([str(WRAPPER), "plugins"], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    assert "* geopin" in result.stdout, result.stdout
    text = ini.read_text()
    assert "geopin=true" in text and "geopin=false" not in text and "processing=true" in text
