"""One progress/cancel shape through the engine (engine/types.py): the verifier, the
evaluation's caches and runner, and the helpers every caller scales with."""
import numpy as np
from PIL import Image

from geopin.geopin_plugin.engine.evaluation.caches import FeatureStore
from geopin.geopin_plugin.engine.evaluation.config import EvalConfig
from geopin.geopin_plugin.engine.evaluation.protocols import Item
from geopin.geopin_plugin.engine.pipeline import LOCATE_STAGES, locate_fraction
from geopin.geopin_plugin.engine.types import canceled, scaled


def test_scaled_maps_a_part_onto_its_share_and_keeps_stage_and_message():
    seen = []
    part = scaled(lambda s, f, m: seen.append((s, f, m)), 0.25, 0.5)
    part("verify", 0.0, "a")
    part("verify", 1.0, "b")
    assert seen == [("verify", 0.25, "a"), ("verify", 0.75, "b")]
    assert scaled(None, 0.0, 1.0) is None


def test_canceled_is_false_without_a_callback():
    assert not canceled(None) and canceled(lambda: True) and not canceled(lambda: False)


def test_locate_stages_tile_the_whole_bar_in_order():
    spans = list(LOCATE_STAGES.values())
    assert spans[0][0] == 0.0 and abs(sum(length for _, length in spans) - 1.0) < 1e-9
    assert all(abs(a[0] + a[1] - b[0]) < 1e-9 for a, b in zip(spans, spans[1:]))
    assert locate_fraction("posterior", 1.0) == 1.0 and locate_fraction("unknown", 0.5) == 0.0
    assert locate_fraction("verify", 0.5) == LOCATE_STAGES["verify"][0] + LOCATE_STAGES["verify"][1] / 2


def test_the_evaluation_caches_report_stage_fraction_message(tmp_path):
    for name, value in (("a", 90), ("b", 160)):
        Image.fromarray(np.full((64, 64, 3), value, np.uint8)).save(tmp_path / f"{name}.jpg")
    items = [Item(str(tmp_path / f"{n}.jpg"), None, None, n, n) for n in "ab"]
    store = FeatureStore(EvalConfig().resolved(), tmp_path / "cache")
    seen = []
    store.ensure(items, False, progress=lambda s, f, m: seen.append((s, f, m)), stage="references")
    assert seen == [("references", 0.5, "references 1/2"), ("references", 1.0, "references 2/2")]
