"""The stage functions (engine/stages.py) on small fakes: what each one hands to its
parts, what it sets on the candidates, and the order it returns them in."""
from dataclasses import dataclass
from typing import Optional

import numpy as np
import pytest

from geopin.geopin_plugin.engine import stages
from geopin.geopin_plugin.engine.errors import Cancelled
from geopin.geopin_plugin.engine.estimate.posterior import PosteriorConfig
from geopin.geopin_plugin.engine.types import LocalFeatures
from geopin.geopin_plugin.engine.verification.verifier import Verification


@dataclass
class View:
    view_id: int
    x: float
    y: float
    pano_id: Optional[str] = None
    heading: Optional[float] = None
    fov: Optional[float] = None


class Embedder:
    def __init__(self):
        self.seen = []

    def embed(self, images):
        self.seen.append(images)
        return np.ones((1, 4), np.float32)


class Index:
    def __init__(self, views):
        self.views = views
        self.asked = []

    def search(self, vector, k, area=None, exclude=()):
        self.asked.append((vector.shape, k, area, tuple(exclude)))
        return [(v, 1.0 - 0.1 * i) for i, v in enumerate(self.views)][:k]


def features(n=10):
    return LocalFeatures(np.zeros((n, 2), np.float32), np.zeros((n, 4), np.float32), (64, 48))


class Extractor:
    preset_id = "fake"

    def extract(self, image):
        return features()


def outcome(inliers, verified, tier="fake"):
    return Verification(inliers, 0.5, 0.3, verified, np.zeros((inliers, 4), np.float32), tier, inliers, 0.01)


class Verifier:
    def __init__(self, verdicts):
        self.verdicts = verdicts  # view_id -> (inliers, verified)
        self.refs = None

    def verify(self, query, refs, progress=None, is_canceled=None):
        self.refs = list(refs)
        if progress is not None:
            progress("verify", 1.0, "")
        if is_canceled is not None:
            is_canceled()
        return {rid: outcome(*self.verdicts[rid]) for rid in refs if rid in self.verdicts}


VIEWS = [View(i, 1000.0 + 5 * i, 2000.0, pano_id=f"p{i // 2}") for i in range(6)]


def test_retrieve_embeds_searches_and_ranks_by_similarity():
    embedder, index, seen, timings = Embedder(), Index(VIEWS), [], {}
    found = stages.retrieve("photo", embedder, index, 4, area="ring", exclude=["p9"],
                            report=lambda s, f, m: seen.append((s, f, m)), timings=timings)
    assert embedder.seen == [["photo"]] and index.asked == [((4,), 4, "ring", ("p9",))]
    assert [c.view.view_id for c in found.candidates] == [0, 1, 2, 3]
    assert [(c.rank, c.retrieval_rank) for c in found.candidates] == [(1, 1), (2, 2), (3, 3), (4, 4)]
    assert found.candidates[1].similarity == pytest.approx(0.9)
    assert seen == [("embed", 0.0, ""), ("embed", 1.0, ""), ("search", 0.0, ""), ("search", 1.0, "4")]
    assert set(timings) == {"embed", "search"}


def test_retrieve_checks_for_cancel_after_each_step():
    calls = []

    def check():
        calls.append(1)
        if len(calls) == 2:
            raise Cancelled()

    with pytest.raises(Cancelled):
        stages.retrieve("photo", Embedder(), Index(VIEWS), 4, check=check)
    assert len(calls) == 2


def test_verify_runs_the_verifier_on_the_first_verify_top_and_sets_outcomes():
    cands = stages.retrieve("photo", Embedder(), Index(VIEWS), 6).candidates
    verifier = Verifier({0: (12, False), 1: (40, True), 2: (5, False)})
    asked = []
    checked = stages.verify("photo", cands, Extractor(), lambda ids: asked.append(ids) or {i: features() for i in ids},
                            verifier, 3)
    assert asked == [[0, 1, 2]] and verifier.refs == [0, 1, 2]
    assert checked.query_size == (64, 48) and set(checked.outcomes) == {0, 1, 2}
    assert [(c.checked, c.verified, c.inliers) for c in cands[:4]] == [
        (True, False, 12), (True, True, 40), (True, False, 5), (False, False, 0)]
    assert cands[1].ref_feature_size == (64, 48) and len(cands[1].matches) == 40


def test_verify_without_candidates_extracts_nothing():
    checked = stages.verify("photo", [], None, None, None, 50)
    assert checked.query_features is None and checked.query_size is None and checked.outcomes == {}


def test_a_cancel_during_verification_is_raised():
    cands = stages.retrieve("photo", Embedder(), Index(VIEWS), 6).candidates
    calls = []

    def check():
        calls.append(1)
        if len(calls) > 1:  # after the extraction, inside the verifier
            raise Cancelled()

    with pytest.raises(Cancelled):
        stages.verify("photo", cands, Extractor(), lambda ids: {i: features() for i in ids},
                      Verifier({0: (12, False)}), 3, check=check)


def test_confirm_band_promotes_only_what_the_second_verifier_verifies():
    cands = stages.retrieve("photo", Embedder(), Index(VIEWS), 6).candidates
    stages.verify("photo", cands, Extractor(), lambda ids: {i: features() for i in ids},
                  Verifier({0: (3, False), 1: (40, True), 2: (9, False), 3: (7, False)}), 4)
    second = Verifier({2: (70, True), 3: (20, False)})
    stages.confirm_band("photo", cands[:4], Extractor(), lambda ids: {i: features() for i in ids}, second, 2)
    assert second.refs == [2, 3]  # the unverified, most fast-tier inliers first
    assert [(c.verified, c.inliers) for c in cands[:4]] == [(False, 3), (True, 40), (True, 70), (False, 7)]


def test_estimate_orders_verified_first_and_labels_without_calibration():
    cands = stages.retrieve("photo", Embedder(), Index(VIEWS), 6).candidates
    stages.verify("photo", cands, Extractor(), lambda ids: {i: features() for i in ids},
                  Verifier({0: (12, False), 3: (40, True), 4: (25, True)}), 6)
    timings = {}
    answer = stages.estimate(cands, (64, 48), PosteriorConfig(), timings=timings)
    assert [c.view.view_id for c in answer.candidates][:3] == [3, 4, 0]
    assert [c.rank for c in answer.candidates] == list(range(1, 7))
    assert answer.candidates == sorted(cands, key=stages.verified_order)
    assert (answer.n_verified, answer.label, answer.confidence) == (2, "uncalibrated", 0.0)
    assert answer.posterior is not None and abs(answer.posterior.x - VIEWS[3].x) < 10
    assert set(timings) == {"pose", "posterior"}


def test_estimate_of_nothing_is_no_match():
    answer = stages.estimate([], None, PosteriorConfig())
    assert (answer.posterior, answer.candidates, answer.label, answer.n_verified) == (None, [], "no match", 0)


def test_views_of_one_panorama_are_one_witness():
    assert stages.group_key(View(1, 0, 0, pano_id="a")) == stages.group_key(View(2, 0, 0, pano_id="a"))
    assert stages.group_key(View(1, 0, 0)) != stages.group_key(View(2, 0, 0))
