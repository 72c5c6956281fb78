"""Issue 26: a stored local-feature row of the wrong width (0, 32 or 128 where the
query has 64) or one whose bytes do not decode costs only its own view: the other
candidates are verified as before and the bad one is logged with its id (it made
every photo fail with numpy's matmul mismatch, or a DatabaseError)."""
import logging
import sqlite3
from dataclasses import dataclass, replace
from typing import Optional

import numpy as np
import pytest
from helpers import make_photos
from refdb_helpers import OrbExtractor, PixelEmbedder

from geopin.geopin_plugin.engine.builder import ingest
from geopin.geopin_plugin.engine import stages
from geopin.geopin_plugin.engine.database.refdb import ReferenceDatabase
from geopin.geopin_plugin.engine.types import LocalFeatures
from geopin.geopin_plugin.engine.verification.verifier import Verifier, VerifyConfig

pytestmark = pytest.mark.timeout(180)


@dataclass
class View:
    view_id: int
    x: float = 121000.0
    y: float = 487000.0
    pano_id: Optional[str] = None
    heading: Optional[float] = None
    fov: Optional[float] = None


def scene_features(n=400, dim=64, seed=0):
    rng = np.random.default_rng(seed)
    kp = rng.uniform([0, 0], [640, 480], (n, 2)).astype(np.float32)
    d = rng.standard_normal((n, dim)).astype(np.float32)
    return LocalFeatures(kp, d / np.linalg.norm(d, axis=1, keepdims=True), (640, 480))


class Extractor:
    preset_id = "fake-64"

    def extract(self, image):
        return scene_features()


@pytest.mark.parametrize("width", [0, 32, 128])
def test_a_feature_row_of_another_width_excludes_only_its_view(record, caplog, width):
    good = scene_features()
    moved = LocalFeatures(good.keypoints * 0.9 + 12.0, good.descriptors, good.image_size)  # the same place
    bad = LocalFeatures(good.keypoints, np.zeros((len(good.keypoints), width), np.float32), good.image_size)
    refs = {1: moved, 2: bad, 3: scene_features(seed=5)}
    cands = [stages.Candidate(rank=i, retrieval_rank=i, view=View(i), similarity=0.9) for i in (1, 2, 3)]
    caplog.set_level(logging.WARNING)
    try:
        checked, exc = stages.verify("photo", cands, Extractor(), lambda ids: {i: refs[i] for i in ids},
                                     Verifier(replace(VerifyConfig(), matcher=None)), 3), None
    except Exception as e:  # noqa: BLE001 - the case records what happened
        checked, exc = None, e
    logged = any("view 2" in r.getMessage() and "damaged" in r.getMessage() for r in caplog.records)
    ok = checked is not None and set(checked.outcomes) == {1, 3} and checked.outcomes[1].verified
    record("local feature rows", f"descriptor width {width} instead of 64", clear_error=logged,
           traceback=exc is not None, data_lost=not ok)
    assert exc is None and ok and logged, (exc, checked and checked.outcomes)


def test_a_feature_row_that_does_not_decode_excludes_only_its_view(tmp_path, record):
    folder = tmp_path / "in"
    make_photos(folder, 4)
    db_path = tmp_path / "ref.gpkg"
    ingest.build(folder, db_path, PixelEmbedder(), OrbExtractor())
    con = sqlite3.connect(db_path)
    con.execute("UPDATE geopin_local_features SET desc_dim = desc_dim + 7 WHERE view_id = 2")
    con.commit()
    con.close()
    try:
        with ReferenceDatabase.open(db_path) as db:
            feats = db.local_features([1, 2, 3, 4], OrbExtractor.preset_id)
            warnings = list(db.warnings)
        exc = None
    except Exception as e:  # noqa: BLE001
        feats, warnings, exc = {}, [], e
    warned = any("view 2" in w for w in warnings)
    record("local feature rows", "a row whose bytes do not match its width", clear_error=warned,
           traceback=exc is not None, data_lost=sorted(feats) != [1, 3, 4])
    assert exc is None and sorted(feats) == [1, 3, 4] and warned, (exc, sorted(feats), warnings)
