"""Real QGIS desktop under Xvfb with the GeoPin dock open in Dutch, screenshotted
by scripts/screenshot_qgis.sh (the same script `make screenshot` runs)."""
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_screenshot_of_qgis_with_dutch_dock(tmp_path):
    png = tmp_path / "qgis-geopin-nl.png"
    result = subprocess.run([str(REPO / "scripts" / "screenshot_qgis.sh"), str(png), "nl"],
                            capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stdout + result.stderr
    status = result.stdout.strip().splitlines()[-1]
    assert "ok dock=True" in status, status
    # the dock's own widgets show the Dutch strings from i18n/geopin_nl.qm
    assert "Lokaliseren" in status and "Foto's kiezen…" in status, status
    assert "'Locate'" not in status, status
    size = subprocess.run(["identify", "-format", "%w %h", str(png)], capture_output=True, text=True, check=True)
    assert size.stdout.split() == ["1600", "1000"]
    # not a blank screen: QGIS's window has many colours
    colours = subprocess.run(["identify", "-format", "%k", str(png)], capture_output=True, text=True, check=True)
    assert int(colours.stdout) > 50
