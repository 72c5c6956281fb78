"""Issue 23's overlay masks as a user sees them: a database of ten real Lund frames
with a burnt-in date stamp learns the stamp as its camera's mask; a stamped frame of
the same street is located through the dock, and the match viewer opened with its
button draws the masked stamp hatched on the reference and says what it is."""
import csv
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtTest import QTest
from qgis.PyQt.QtWidgets import QApplication

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from qgis_helpers import wait_for  # noqa: E402

from geopin.geopin_plugin.engine.builder import ingest  # noqa: E402
from geopin.geopin_plugin.engine.verification.matchviz import MASK_COLOUR  # noqa: E402
from geopin.geopin_plugin.engine.models import DEFAULT_EMBEDDER, DEFAULT_EXTRACTOR  # noqa: E402
from geopin.geopin_plugin.engine.evaluation.overlays import paint_stamp  # noqa: E402
from geopin.geopin_plugin.engine.registry import shared as _model  # noqa: E402

pytestmark = pytest.mark.timeout(900)
FRAMES = 10


def _stamped(datasets_dir, name, target):
    rgb = cv2.cvtColor(cv2.imread(str(datasets_dir / "lund" / name)), cv2.COLOR_BGR2RGB)
    cv2.imwrite(str(target), cv2.cvtColor(paint_stamp(rgb), cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 92])


def test_match_viewer_draws_the_learned_stamp_mask(qgis_app, qgis_iface, datasets_dir, tmp_path):
    from geopin.geopin_plugin.gui.dock import GeoPinDock

    rows = list(csv.DictReader(open(datasets_dir / "lund" / "manifest.csv")))
    folder = tmp_path / "refs"
    folder.mkdir()
    for r in rows[:FRAMES]:
        _stamped(datasets_dir, r["file"], folder / r["file"])
    coords = tmp_path / "coords.csv"
    with open(coords, "w", newline="") as fh:
        csv.writer(fh).writerows([["file", "lat", "lon"]] + [[r["file"], r["lat"], r["lon"]] for r in rows[:FRAMES]])
    db = tmp_path / "lund.gpkg"
    report = ingest.build(folder, db, _model("embedder", DEFAULT_EMBEDDER), _model("extractor", DEFAULT_EXTRACTOR),
                          coordinates=coords)
    assert report.added == FRAMES and len(report.masks.learned) == 1
    query = tmp_path / "query.jpg"  # the next frame of the street, same stamp
    _stamped(datasets_dir, rows[FRAMES]["file"], query)

    dock = GeoPinDock(qgis_iface)
    try:
        dock.set_database(str(db))
        dock.set_photo(str(query))
        QTest.mouseClick(dock.locate_button, Qt.LeftButton)
        wait_for(lambda: dock.task is None, timeout=300)
        assert dock.result is not None and dock.current.reference_masks, dock.stage_label.text()
        dock.results_list.setCurrentRow(0)
        QTest.mouseClick(dock.matches_button, Qt.LeftButton)
        viewers = [w for w in QApplication.topLevelWidgets() if w.objectName() == "geopinMatchViewer"
                   and w.isVisible()]
        assert len(viewers) == 1
        viewer = viewers[0]
        assert viewer.mask_label.isVisibleTo(viewer)
        right = viewer.picture[:, viewer.picture.shape[1] // 2 + 8:]
        h, w = right.shape[:2]
        stamp = right[int(0.85 * h):, int(0.6 * w):]  # the stamp's corner, bottom right
        hatched = np.all(stamp == np.array(MASK_COLOUR, np.uint8), axis=2)
        assert hatched.mean() > 0.02
        assert not np.all(right[: h // 2] == np.array(MASK_COLOUR, np.uint8), axis=2).any()  # the street is not
        viewer.close()
    finally:
        dock.close_and_cleanup()
