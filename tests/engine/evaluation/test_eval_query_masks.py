"""The evaluation's query masks (issue 23): preset key ``query_masks`` (off by default, as
Geolocate photos learns a batch's mask only when asked), a masked query's features lose the keypoints
inside its mask, and its pair outcomes are cached apart from the unmasked query's."""
from types import SimpleNamespace

import numpy as np

from geopin.geopin_plugin.engine.database.overlay_masks import OverlayMask
from geopin.geopin_plugin.engine.evaluation.caches import CachedExtractor, _pair_key
from geopin.geopin_plugin.engine.evaluation.config import EvalConfig
from geopin.geopin_plugin.engine.types import LocalFeatures


def test_preset_key():
    assert EvalConfig().query_masks is False  # opt-in, as in Geolocate photos
    assert EvalConfig.parse("query_masks=0").query_masks is False
    assert EvalConfig.parse("query_masks=1").query_masks is True


class _Store:
    config = SimpleNamespace(extractor="xfeat-1024")

    def __init__(self, features):
        self.f = features

    def features(self, item):
        return self.f, 0.1


def test_a_masked_query_drops_its_keypoints_and_keys_its_pairs_apart():
    kp = np.array([[10, 10], [500, 700], [900, 740]], np.float32)  # the last two in the bottom quarter
    f = LocalFeatures(kp, np.ones((3, 64), np.float32), (1024, 768), np.ones(3, np.float32))
    cells = np.zeros((384, 512), bool)
    cells[288:] = True  # a hood in the bottom quarter
    item = SimpleNamespace(key="q1")
    plain = CachedExtractor(_Store(f)).extract(item)
    masked = CachedExtractor(_Store(f), masks=SimpleNamespace(mask_of=lambda it: OverlayMask("g", cells, 8))).extract(item)
    assert len(plain.keypoints) == 3 and plain.mask_tag == ""
    assert masked.keypoints.tolist() == [[10, 10]] and masked.mask_tag
    ref = SimpleNamespace()
    assert _pair_key("r1", ref, plain) == "r1"  # the tables of every run before query masks stay valid
    assert _pair_key("r1", ref, masked) == f"r1|qmask={masked.mask_tag}"
    # a query whose mask drops nothing is the unmasked query
    empty = SimpleNamespace(mask_of=lambda it: OverlayMask("g", np.zeros((384, 512), bool), 8))
    assert CachedExtractor(_Store(f), masks=empty).extract(item).mask_tag == ""
