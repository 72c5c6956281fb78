"""The evaluation's cached verifier (engine/evaluation/caches.py): the product's
cascade on pair outcomes read from the caches. It stops where the product stops
(``enough_verified``) while the cache holds every candidate's outcome, decides
``verified`` at read time, and needs no real verifier once the cache is full."""
from dataclasses import replace

import numpy as np

from geopin.geopin_plugin.engine.evaluation.caches import CachedVerifier, ItemFeatures, VerificationCache
from geopin.geopin_plugin.engine.evaluation.protocols import Item
from geopin.geopin_plugin.engine.types import LocalFeatures
from geopin.geopin_plugin.engine.verification.verifier import Verification, VerifyConfig, conf

QUERY = Item("/data/amsterdam-panoramas/q.jpg", 52.0, 4.0, "q", "q")


def query():
    return ItemFeatures(np.zeros((8, 2), np.float32), np.zeros((8, 4), np.float32), (64, 48), item=QUERY)


def refs(n):
    return {f"r{i}": LocalFeatures(np.zeros((8, 2), np.float32), np.zeros((8, 4), np.float32), (64, 48))
            for i in range(n)}


class FakeProduct:
    """The real verifier's two entry points the cache fills from, counting pairs."""

    def __init__(self, inliers, matcher_inliers=None):
        self.inliers, self.matcher_inliers, self.pairs = inliers, matcher_inliers or {}, []

    def _outcome(self, rid, n, need):
        return Verification(n, 0.5, 0.5, n >= need, np.zeros((n, 4), np.float32), "fake", n, 0.01)

    def _fast_all(self, query, refs, progress, is_canceled):
        self.pairs += list(refs)
        return {rid: self._outcome(rid, self.inliers[rid], 32) for rid in refs}

    def confirm(self, query, refs, is_canceled=None):
        self.pairs += [("confirm", rid) for rid in refs]
        return {rid: self._outcome(rid, self.matcher_inliers[rid], 50) for rid in refs}


def make(tmp_path, config, product):
    return CachedVerifier(config, lambda: product, VerificationCache(tmp_path / "fast"),
                          VerificationCache(tmp_path / "confirm") if config.matcher else None)


def test_it_stops_where_the_product_stops_but_caches_every_candidate(tmp_path):
    config = replace(conf("xfeat"), chunk=2, enough_verified=2, matcher=None, band=0)
    product = FakeProduct({f"r{i}": 40 for i in range(6)})  # every pair verifies
    out = make(tmp_path, config, product).verify(query(), refs(6))
    assert list(out) == ["r0", "r1"]  # the first chunk held enough: the product looks no further
    assert sorted(product.pairs) == [f"r{i}" for i in range(6)]  # but every candidate was measured once
    assert sorted(VerificationCache(tmp_path / "fast").load(QUERY)) == [f"r{i}" for i in range(6)]


def test_a_full_cache_needs_no_verifier_and_thresholds_decide_at_read_time(tmp_path):
    config = replace(conf("xfeat"), enough_verified=None, matcher=None, band=0)
    first = make(tmp_path, config, FakeProduct({"r0": 40, "r1": 20, "r2": 35}))
    assert [v.verified for v in first.verify(query(), refs(3)).values()] == [True, False, True]

    def no_verifier():
        raise AssertionError("the cache held every pair")

    stricter = CachedVerifier(replace(config, min_inliers=36), no_verifier, VerificationCache(tmp_path / "fast"))
    out = stricter.verify(query(), refs(3))
    assert [(v.inliers, v.verified) for v in out.values()] == [(40, True), (20, False), (35, False)]
    assert stricter._verifier is None and all(len(v.matches) == 0 for v in out.values())


def test_the_matcher_band_is_cached_and_can_only_promote(tmp_path):
    config = replace(conf("xfeat"), enough_verified=None, band=2, matcher_reranks=False)
    product = FakeProduct({"r0": 40, "r1": 20, "r2": 25, "r3": 5}, {"r1": 30, "r2": 60})
    out = make(tmp_path, config, product).verify(query(), refs(4))
    assert [(rid, v.inliers, v.verified) for rid, v in out.items()] == [
        ("r0", 40, True), ("r1", 20, False), ("r2", 60, True), ("r3", 5, False)]
    assert ("confirm", "r2") in product.pairs and ("confirm", "r1") in product.pairs
    assert sorted(VerificationCache(tmp_path / "confirm").load(QUERY)) == ["r1", "r2"]


def test_rootsift_records_keep_their_verdict():
    c = VerifyConfig()  # RootSIFT: a second pass with all keypoints that depends on the thresholds
    assert CachedVerifier(c, None, None).decide_fast is False
    assert CachedVerifier(conf("xfeat"), None, None).decide_fast is True


def test_canceling_while_the_caches_fill_is_an_evaluation_error(tmp_path):
    """(It was a NameError: the cancel path named an exception it did not import.)"""
    import pytest
    from PIL import Image

    from geopin.geopin_plugin.engine.evaluation.caches import FeatureStore
    from geopin.geopin_plugin.engine.evaluation.config import EvalConfig, EvaluationError

    Image.fromarray(np.full((64, 64, 3), 128, np.uint8)).save(tmp_path / "a.jpg")
    store = FeatureStore(EvalConfig().resolved(), tmp_path / "cache")
    with pytest.raises(EvaluationError, match="canceled"):
        store.ensure([Item(str(tmp_path / "a.jpg"), None, None, "a", "a")], True, is_canceled=lambda: True)
