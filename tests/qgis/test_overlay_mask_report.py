"""The build report lists the overlay masks learned per capture group (issue 23):
Processing ▸ Build reference database on ten real Lund frames with one burnt-in
date stamp says which group got a mask, from how many images, how much is masked;
run again it learns nothing new."""
import csv
import sys
from pathlib import Path

import cv2
import pytest
from qgis.core import QgsProcessingContext, QgsProcessingFeedback

TESTS_ENGINE = Path(__file__).resolve().parents[1] / "engine"
if str(TESTS_ENGINE) not in sys.path:
    sys.path.insert(0, str(TESTS_ENGINE))
from refdb_helpers import OrbExtractor, PixelEmbedder  # noqa: E402

from geopin.geopin_plugin.engine.evaluation.overlays import paint_stamp  # noqa: E402

pytestmark = pytest.mark.timeout(300)
FRAMES = 10


class Recording(QgsProcessingFeedback):
    def __init__(self):
        super().__init__()
        self.infos = []

    def pushInfo(self, info):  # noqa: N802
        self.infos.append(info)
        super().pushInfo(info)


def _run(mod, params):
    alg = mod.BuildReferenceDatabase()
    alg.initAlgorithm()
    feedback = Recording()
    results, ok = alg.run(params, QgsProcessingContext(), feedback)
    assert ok
    return results, feedback.infos


def test_build_report_lists_the_masks_learned(qgis_app, tmp_path, datasets_dir, monkeypatch):
    from geopin.processing import build_reference_database as mod

    monkeypatch.setattr(mod, "load_models", lambda preset, extractor=None: (PixelEmbedder(), OrbExtractor()))
    rows = list(csv.DictReader(open(datasets_dir / "lund" / "manifest.csv")))[:FRAMES]
    folder = tmp_path / "frames"
    folder.mkdir()
    for r in rows:
        rgb = cv2.cvtColor(cv2.imread(str(datasets_dir / "lund" / r["file"])), cv2.COLOR_BGR2RGB)
        cv2.imwrite(str(folder / r["file"]), cv2.cvtColor(paint_stamp(rgb), cv2.COLOR_RGB2BGR),
                    [cv2.IMWRITE_JPEG_QUALITY, 92])
    coords = tmp_path / "coords.csv"
    with open(coords, "w", newline="") as fh:
        csv.writer(fh).writerows([["file", "lat", "lon"]] + [[r["file"], r["lat"], r["lon"]] for r in rows])
    params = {"INPUT": str(folder), "COORDINATES": str(coords), "DATABASE": str(tmp_path / "db.gpkg"),
              "PANORAMA_HEADINGS": 8, "VIEW_FOV": 90.0, "MODEL": 0, "WHITENING": False}
    results, infos = _run(mod, params)
    assert results["ADDED"] == FRAMES
    learned = [i for i in infos if i.startswith("Overlay mask learned for")]
    assert len(learned) == 1 and f"{folder}" in learned[0] and f": {FRAMES} images" in learned[0], infos
    share = float(learned[0].split("images, ")[1].split(" %")[0])
    assert 0.2 < share < 5.0
    assert any(i.startswith("Overlay masks:") and "keypoints" in i for i in infos), infos
    _, again = _run(mod, params)
    assert not any(i.startswith("Overlay mask learned for") for i in again), again
