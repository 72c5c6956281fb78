"""metadata.txt: complete enough for QGIS to load the plugin and for the plugin
repository to accept it, and consistent with the dependencies the plugin checks."""
import configparser
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def metadata():
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(REPO / "metadata.txt", encoding="utf-8")
    return parser["general"]


def test_required_and_publishing_fields():
    meta = metadata()
    # required by plugins.qgis.org's validator
    for key in ("name", "qgisMinimumVersion", "description", "about", "version", "author", "email",
                "repository", "tracker", "homepage", "license", "changelog", "tags", "category"):
        assert meta.get(key, "").strip(), key
    assert meta["name"] == "GeoPin"
    assert meta["qgisMinimumVersion"] == "3.22"
    assert meta["hasProcessingProvider"] == "yes"
    assert re.fullmatch(r"\d+\.\d+\.\d+", meta["version"])
    assert meta["version"] in meta["changelog"]
    assert "GPL" in meta["license"] and "GNU GENERAL PUBLIC LICENSE" in (REPO / "LICENSE").read_text()
    assert (REPO / meta["icon"]).is_file()
    assert meta.get("description[nl]")


def test_about_lists_the_dependencies_the_plugin_checks():
    about = metadata()["about"]
    runtime = (REPO / "requirements" / "runtime.txt").read_text()
    lines = [line for line in runtime.splitlines() if line.strip() and not line.startswith("#")]
    deps_source = (REPO / "geopin_plugin" / "deps.py").read_text()
    for line in lines:
        pip_name = re.split(r"[=<>!~;\s]", line, maxsplit=1)[0]
        assert pip_name in about, pip_name
        if ";" not in line or "linux" in line.split(";")[1] and "!=" not in line:
            assert f'"{pip_name}"' in deps_source, f"deps.REQUIRED does not check {pip_name}"
