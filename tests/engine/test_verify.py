"""Verifier on synthetic images: a warped copy verifies, an unrelated image does
not, and inliers bunched in a small area or along a line fail the spread guard."""
import cv2
import numpy as np
import pytest

from geopin.geopin_plugin.engine.verification.rootsift import bottom_mask
from geopin.geopin_plugin.engine.registry import load_extractor
from geopin.geopin_plugin.engine.types import LocalFeatures
from geopin.geopin_plugin.engine.verification.verifier import (FAST_KEYPOINTS, MIN_INLIERS, MIN_SPREAD, Verifier,
                                                               VerifyConfig, coverage, mutual_matches)


def texture(h=768, w=1024, seed=0):
    """Random overlapping discs and boxes: thousands of SIFT keypoints, no repeats."""
    rng = np.random.RandomState(seed)
    img = np.full((h, w, 3), 127, np.uint8)
    for _ in range(h * w // 250):
        c = tuple(int(v) for v in rng.randint(0, 256, 3))
        x, y, r = int(rng.randint(0, w)), int(rng.randint(0, h)), int(rng.randint(2, 14))
        if rng.rand() < 0.5:
            cv2.circle(img, (x, y), r, c, -1)
        else:
            cv2.rectangle(img, (x, y), (x + r, y + int(rng.randint(2, 14))), c, -1)
    return cv2.GaussianBlur(img, (3, 3), 0)


H = np.array([[0.95, 0.05, 30.0], [-0.04, 1.02, 12.0], [2e-5, 1e-5, 1.0]])


def warp(img, hmat=H):
    return cv2.warpPerspective(img, hmat, (img.shape[1], img.shape[0]), borderMode=cv2.BORDER_REFLECT)


@pytest.fixture(scope="module")
def ex():
    return load_extractor("rootsift-2048")


def test_extractor_output_types_and_cap(ex):
    f = ex.extract(texture())
    assert isinstance(f, LocalFeatures)
    assert f.keypoints.dtype == np.float32 and f.descriptors.dtype == np.float16
    assert 500 < len(f.keypoints) <= 2048 and f.descriptors.shape == (len(f.keypoints), 128)
    assert f.image_size == (1024, 768)
    np.testing.assert_allclose(np.linalg.norm(f.descriptors.astype(np.float32), axis=1), 1.0, atol=1e-2)
    assert np.all(np.diff(f.scores) <= 0)  # strongest first: tier 1 uses a prefix


def test_extractor_keeps_input_pixel_frame_and_mask(ex):
    big = cv2.resize(texture(), (2048, 1536))
    f = ex.extract(big, mask=bottom_mask(1536, 2048, 0.25))
    assert f.image_size == (2048, 1536)
    assert f.keypoints[:, 0].max() > 1100 and f.keypoints[:, 1].max() < 1536 * 0.75 + 4


def test_warped_copy_verifies_unrelated_does_not(ex):
    a = texture(seed=1)
    fa, fb, fc = ex.extract(a), ex.extract(warp(a)), ex.extract(texture(seed=2))
    res = Verifier().verify(fa, {1: fb, 2: fc})
    good, bad = res[1], res[2]
    assert good.verified and good.inliers >= 5 * MIN_INLIERS and good.spread > 3 * MIN_SPREAD
    assert good.matches.shape == (good.inliers, 4) and good.matches.dtype == np.float32
    # inliers follow the homography
    pts = cv2.perspectiveTransform(good.matches[:, None, :2].astype(np.float64), H)[:, 0]
    assert np.median(np.linalg.norm(pts - good.matches[:, 2:], axis=1)) < 2.0
    assert not bad.verified and bad.inliers < MIN_INLIERS
    assert good.tier == "rootsift-1k"


def test_bunched_inliers_fail_the_spread_guard(ex):
    """A small textured patch (a tree, a car) on a flat background: many inliers,
    all in one place -> not verified."""
    flat = np.full((768, 1024, 3), 128, np.uint8)
    patch = texture(200, 200, seed=3)
    a = flat.copy()
    a[300:500, 400:600] = patch
    b = flat.copy()
    b[310:510, 380:580] = patch
    res = Verifier().verify(ex.extract(a), {7: ex.extract(b)})[7]
    assert res.inliers >= MIN_INLIERS  # the raw count alone would have been fooled
    assert res.spread < MIN_SPREAD and not res.verified


def test_inliers_along_a_line_fail_the_spread_guard(ex):
    flat = np.full((768, 1024, 3), 128, np.uint8)
    strip = texture(40, 1000, seed=4)
    a = flat.copy()
    a[360:400, 12:1012] = strip
    b = flat.copy()
    b[370:410, 0:1000] = strip
    res = Verifier().verify(ex.extract(a), {1: ex.extract(b)})[1]
    assert res.inliers >= MIN_INLIERS
    assert res.spread < MIN_SPREAD and not res.verified


def test_coverage_measure():
    size = (800, 600)
    g = np.stack(np.meshgrid(np.linspace(10, 790, 8), np.linspace(10, 590, 6)), -1).reshape(-1, 2)
    assert coverage(g.astype(np.float32), size) == pytest.approx(1.0)
    line = np.stack([np.linspace(0, 799, 50), np.full(50, 300.0)], 1).astype(np.float32)
    assert coverage(line, size) == 0.0
    assert coverage(np.zeros((0, 2), np.float32), size) == 0.0


def test_mutual_matches_are_one_to_one():
    rng = np.random.RandomState(0)
    d = rng.rand(300, 128).astype(np.float32)
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    q = np.concatenate([d[:200], d[:50]])  # duplicates on the query side
    pairs = mutual_matches(q, d)
    assert len(np.unique(pairs[:, 1])) == len(pairs)
    assert len(np.unique(pairs[:, 0])) == len(pairs)


def test_tier2_only_for_the_ambiguous_band_and_budget(ex):
    a = texture(seed=5)
    fa = ex.extract(a)
    refs = {i: ex.extract(texture(seed=10 + i)) for i in range(3)}
    refs[99] = ex.extract(warp(a))
    ver = Verifier(VerifyConfig(reject_below=0))  # every unverified one is "ambiguous"
    res = ver.verify(fa, refs)
    assert res[99].tier == "rootsift-1k" and res[99].verified
    assert all(res[i].tier == "rootsift-2k" for i in range(3))
    res = Verifier(VerifyConfig(reject_below=0, tier2_budget_s=0.0)).verify(fa, refs)
    assert sum(v.tier == "rootsift-2k" for v in res.values()) <= 1
    res = Verifier().verify(fa, refs)  # default: unrelated ones rejected at tier 1
    assert all(res[i].tier == "rootsift-1k" and not res[i].verified for i in range(3))


def test_progress_and_cancel(ex):
    fa = ex.extract(texture(seed=6))
    refs = {i: ex.extract(texture(seed=20 + i)) for i in range(3)}
    seen = []
    Verifier().verify(fa, refs, progress=lambda stage, fraction, message: seen.append((stage, fraction)))
    fractions = [f for _, f in seen]
    assert {s for s, _ in seen} == {"verify"} and fractions[-1] == 1.0 and fractions == sorted(fractions)
    calls = []

    def cancel():
        calls.append(1)
        return len(calls) > 1

    assert len(Verifier().verify(fa, refs, is_canceled=cancel)) == 1


def test_too_few_features_is_not_verified():
    empty = LocalFeatures(np.zeros((0, 2), np.float32), np.zeros((0, 128), np.float16), (100, 100))
    res = Verifier().verify(empty, {1: empty})[1]
    assert res.inliers == 0 and not res.verified and res.matches.shape == (0, 4)
    assert FAST_KEYPOINTS <= 2048
