"""On real street imagery (../shared/datasets): same-place pairs get clearly more
verified inliers than different-place pairs, judged by the verifier's own
thresholds (registry.verifier_config: RootSIFT's MIN_INLIERS, XFeat's XFEAT_MIN_INLIERS), for
both extractors. Each Amsterdam comparison is the best over
8 x 8 perspective views (the panoramas' headings are unknown), so the negatives
are the hardest of 64 tries — as in a top-k candidate list."""
import cv2
import pytest

from geopin.geopin_plugin.engine.registry import load_extractor
from geopin.geopin_plugin.engine.models import DEFAULT_EXTRACTOR
from geopin.geopin_plugin.engine.panorama import perspective_views
from geopin.geopin_plugin.engine.verification.verifier import Verifier, replace
from geopin.geopin_plugin.engine.registry import verifier_config as config_for

HEADINGS = list(range(0, 360, 45))
PANOS = {
    # Overtoom / Jan Pieter Heijestraat crossroads, three capture runs
    "overtoom_a": "TMX7316010203-000992_pano_0001_000323",
    "overtoom_b": "TMX7316010203-001041_pano_0002_002709",
    "overtoom_c": "TMX7316010203-001041_pano_0002_002827",
    "overtoom_d": "TMX7316010203-001631_pano_0000_000280",
    # elsewhere in Amsterdam
    "other_x": "TMX7316010203-001127_pano_0000_000139",
    "other_y": "TMX7316010203-000053_pano_0000_003342",
}
SAME = [("overtoom_a", "overtoom_b"), ("overtoom_a", "overtoom_c"), ("overtoom_b", "overtoom_d")]  # three capture runs
DIFFERENT = [("overtoom_a", "other_x"), ("overtoom_b", "other_y"), ("overtoom_c", "other_x"), ("overtoom_d", "other_y"),
             ("other_x", "other_y")]


def _rgb(path):
    im = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert im is not None, path
    return cv2.cvtColor(im, cv2.COLOR_BGR2RGB)


@pytest.fixture(scope="module", params=["rootsift-2048", DEFAULT_EXTRACTOR])
def extractor(request):
    return load_extractor(request.param)


def _fast_verifier(extractor):
    """The extractor's fast tier alone (what decides most candidates)."""
    return Verifier(replace(config_for(extractor.preset_id), matcher=None, band=0))


@pytest.fixture(scope="module")
def pano_features(datasets_dir, extractor):
    out = {}
    for key, name in PANOS.items():
        pano = _rgb(datasets_dir / "amsterdam-panoramas" / f"{name}.jpg")
        out[key] = [extractor.extract(v) for v in perspective_views(pano, HEADINGS)]
    return out


def _best(verifier, query_views, ref_views):
    best = None
    for fq in query_views:
        for v in verifier.verify(fq, dict(enumerate(ref_views))).values():
            key = (v.verified, v.inliers)
            if best is None or key > (best.verified, best.inliers):
                best = v
    return best


@pytest.mark.timeout(300)
def test_amsterdam_same_crossroads_verifies_different_places_do_not(pano_features, extractor):
    verifier = _fast_verifier(extractor)
    MIN_INLIERS = verifier.config.min_inliers
    same = {p: _best(verifier, pano_features[p[0]], pano_features[p[1]]) for p in SAME}
    diff = {p: _best(verifier, pano_features[p[0]], pano_features[p[1]]) for p in DIFFERENT}
    report = {f"{a}~{b}": (v.inliers, round(v.spread, 2), v.verified) for (a, b), v in {**same, **diff}.items()}
    print(report)
    for pair, v in same.items():
        assert v.verified and v.inliers >= 2 * MIN_INLIERS, (pair, report)
    for pair, v in diff.items():
        assert not v.verified and v.inliers < MIN_INLIERS, (pair, report)
    weakest_same = min(v.inliers for v in same.values())
    strongest_diff = max(v.inliers for v in diff.values())
    assert weakest_same >= 2 * strongest_diff, report


@pytest.mark.timeout(300)
def test_lund_neighbouring_frames_verify_against_other_places(datasets_dir, extractor, pano_features):
    frames = sorted((datasets_dir / "lund").glob("*.jpg"))
    assert len(frames) >= 27
    feats = {i: extractor.extract(_rgb(frames[i])) for i in (0, 1, 9, 10, 19, 20, 25, 26)}
    verifier = _fast_verifier(extractor)
    MIN_INLIERS = verifier.config.min_inliers
    neighbours = [verifier.verify(feats[i], {0: feats[i + 1]})[0] for i in (0, 9, 19, 25)]
    amsterdam = pano_features["overtoom_a"] + pano_features["other_x"]
    others = [v for i in (0, 10, 20, 26) for v in verifier.verify(feats[i], dict(enumerate(amsterdam))).values()]
    print([v.inliers for v in neighbours], max(v.inliers for v in others))
    assert all(v.verified and v.inliers >= 2 * MIN_INLIERS for v in neighbours)
    assert not any(v.verified for v in others)
    assert min(v.inliers for v in neighbours) >= 2 * max(v.inliers for v in others)
