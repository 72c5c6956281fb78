"""Issue 30 (a query in under a second): the changes that make verification cheaper
must not change what is verified.

* int4 descriptors unpack through the byte-pair table exactly as through the
  component table;
* LighterGlue's session with sleeping intra-op threads gives the same matches;
* the fast tier with OpenBLAS on one thread gives the same outcomes;
* the early stop on "nothing will verify" (VerifyConfig.hopeless_*, off by default)
  stops the fast tier and skips the matcher only when the first candidates hold no
  count near a verification, and does not fire on a real same-place candidate list.
"""
import cv2
import numpy as np
import pytest

from geopin.geopin_plugin.engine.verification import storage as F
from geopin.geopin_plugin.engine.registry import load_extractor
from geopin.geopin_plugin.engine.registry import verifier_config as config_for
from geopin.geopin_plugin.engine.models import DEFAULT_EXTRACTOR
from geopin.geopin_plugin.engine.panorama import perspective_views
from geopin.geopin_plugin.engine.verification.verifier import Verification, Verifier, replace

# the largest rule that lost no verified query on the protocols (docs/evaluation.md,
# scripts/stop_distributions.py): the first 20 candidates, best count below 15
AFTER, BELOW = 20, 15


def test_int4_pair_table_unpacks_as_the_component_table():
    rng = np.random.default_rng(3)
    d = rng.standard_normal((700, 64)).astype(np.float32)
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    buf = F._pack_int4(d).tobytes()
    per_component = F._INT4_TABLE[np.frombuffer(buf, np.uint8).reshape(700, 32)].reshape(700, 64)
    assert np.array_equal(F._unpack_int4(buf, 700, 64), per_component)
    u = F._unpack_int4(buf, 700, 64)
    cos = (u * d).sum(axis=1) / np.linalg.norm(u, axis=1)
    assert cos.min() > 0.9  # and it is still the descriptor


class _Canned(Verifier):
    """The cascade's control flow on given fast-tier counts; the matcher tier recorded."""

    def __init__(self, counts, **config):
        super().__init__(replace(config_for(DEFAULT_EXTRACTOR), threads=1, **config))
        self.counts = counts
        self.examined_ids = []
        self.confirmed = []

    def _fast_all(self, query, refs, progress, is_canceled):
        self.examined_ids += list(refs)
        need = self.config.min_inliers
        return {rid: Verification(self.counts[rid], 0.5, 0.5, self.counts[rid] >= need, np.zeros((0, 4), np.float32))
                for rid in refs}

    def confirm(self, query, refs, is_canceled=None):
        self.confirmed += list(refs)
        return {rid: Verification(0, 0.0, 0.0, False, np.zeros((0, 4), np.float32)) for rid in refs}


def _run(counts, **config):
    v = _Canned(counts, **config)
    out = v.verify(None, {i: None for i in range(len(counts))})
    return v, out


def test_early_stop_fires_only_below_the_count_and_skips_the_matcher():
    low = [12] * 50
    v, out = _run(low, hopeless_after=AFTER, hopeless_below=BELOW)
    assert v.examined_ids == list(range(AFTER)) and len(out) == AFTER and v.confirmed == []
    # one count at the bound in the first 20: the whole list and the matcher band, as before
    near = list(low)
    near[17] = BELOW
    v, out = _run(near, hopeless_after=AFTER, hopeless_below=BELOW)
    assert len(v.examined_ids) == 50 and len(v.confirmed) == 5
    # off (the default): every candidate and the band
    v, out = _run(low)
    assert len(v.examined_ids) == 50 and len(v.confirmed) == 5
    assert Verifier(config_for(DEFAULT_EXTRACTOR)).config.hopeless_after is None


def _rgb(path):
    im = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert im is not None, path
    return cv2.cvtColor(im, cv2.COLOR_BGR2RGB)


@pytest.fixture(scope="module")
def crossroads(datasets_dir):
    """XFeat features of 8 views each of two panoramas of the Overtoom crossroads
    (two capture runs, ~15 m) and of two other places."""
    ext = load_extractor(DEFAULT_EXTRACTOR)
    names = {"a": "TMX7316010203-000992_pano_0001_000323", "b": "TMX7316010203-001041_pano_0002_002709",
             "x": "TMX7316010203-001127_pano_0000_000139", "y": "TMX7316010203-000053_pano_0000_003342"}
    return {k: [ext.extract(v) for v in perspective_views(_rgb(datasets_dir / "amsterdam-panoramas" / f"{n}.jpg"),
                                                          list(range(0, 360, 45)))]
            for k, n in names.items()}


@pytest.mark.timeout(300)
def test_early_stop_does_not_fire_on_a_real_same_place_list(crossroads):
    """A query view of the crossroads against 16 views of other places and the 8 of
    the other capture run: its same-place candidates lift the first 20's best count
    above the bound, so the stop does not fire and the place verifies."""
    fast = Verifier(replace(config_for(DEFAULT_EXTRACTOR), matcher=None, band=0, hopeless_after=AFTER,
                            hopeless_below=BELOW))
    for q in crossroads["a"][::2]:
        refs = dict(enumerate(crossroads["x"] + crossroads["y"][:4] + crossroads["b"] + crossroads["y"][4:]))
        out = fast.verify(q, refs)
        if any(v.verified for v in out.values()):
            assert not fast.hopeless(out) and len(out) == len(refs)
            break
    else:
        pytest.fail("no view of the crossroads verified against the other capture run")


@pytest.mark.timeout(300)
def test_lighterglue_without_spinning_gives_the_same_matches(crossroads):
    from geopin.geopin_plugin.engine.models import make_session
    from geopin.geopin_plugin.engine.verification.lightglue import LightGlueMatcher

    m = LightGlueMatcher("lighterglue-xfeat")
    assert m.session.get_session_options().get_session_config_entry("session.intra_op.allow_spinning") == "0"
    q, r = crossroads["a"][0], crossroads["b"][0]
    sleeping, _ = m.match(q, r, 1024)
    m.session = make_session(m.session._model_path, spinning=True)  # as before issue 30
    spinning, _ = m.match(q, r, 1024)
    assert len(sleeping) >= 8 and np.array_equal(sleeping, spinning)


@pytest.mark.timeout(300)
def test_embedder_and_xfeat_without_spinning_give_the_same_outputs(datasets_dir):
    """Every session sleeps its idle threads by default now (models.make_session): the
    embedder's vectors and XFeat's features are those of spinning sessions, bit for bit."""
    from geopin.geopin_plugin.engine import embed, models

    emb, ext = embed.load_embedder(models.DEFAULT_EMBEDDER), load_extractor(DEFAULT_EXTRACTOR)
    for session in (emb.session, ext.session):
        assert session.get_session_options().get_session_config_entry("session.intra_op.allow_spinning") == "0"
    views = perspective_views(_rgb(datasets_dir / "amsterdam-panoramas" / "TMX7316010203-000992_pano_0001_000323.jpg"),
                              [0, 180])
    sleeping = [(emb.embed([v]), ext.extract(v)) for v in views]
    emb.session = models.make_session(emb.session._model_path, spinning=True)
    ext.session = models.make_session(ext.session._model_path, spinning=True)
    for v, (vector, features) in zip(views, sleeping):
        again = ext.extract(v)
        assert np.array_equal(vector, emb.embed([v]))
        assert len(features.keypoints) > 100 and np.array_equal(features.keypoints, again.keypoints)
        assert np.array_equal(features.descriptors, again.descriptors)


def test_bicubic_sampling_channels_last_gives_the_same_descriptors():
    """xfeat.sample_bicubic gathers from a channels-last copy: the same floats as the
    per-channel taps (xfeat._taps) it replaced."""
    from geopin.geopin_plugin.engine.verification import xfeat as X

    rng = np.random.default_rng(1)
    feat = rng.standard_normal((64, 96, 128)).astype(np.float32)
    pts = (rng.uniform(-0.02, 1.02, (2048, 2)) * [1023, 767]).astype(np.float32)  # some taps off the map
    ix, iy = X._grid_coords(pts, 128, 96, 1024, 768)
    x0, y0 = np.floor(ix).astype(np.int64), np.floor(iy).astype(np.int64)
    wx, wy = X._cubic_weights(ix - x0), X._cubic_weights(iy - y0)
    per_channel = np.zeros((2048, 64), np.float64)
    for j in range(4):
        for i in range(4):
            per_channel += (wx[:, i] * wy[:, j])[:, None] * X._taps(feat, x0 + i - 1, y0 + j - 1)
    assert np.array_equal(X.sample_bicubic(feat, pts, 1024, 768), per_channel.astype(np.float32))


def test_embedder_preprocess_is_the_same_arithmetic():
    """embed.preprocess turns the image channels-first before the float operations:
    the same floats as normalising channels-last and transposing after."""
    from geopin.geopin_plugin.engine.embed import preprocess

    rng = np.random.default_rng(0)
    im = rng.integers(0, 256, (300, 400, 3), dtype=np.uint8)
    mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
    before = (im.astype(np.float32) * (1.0 / 255.0) - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)
    out = preprocess(im, (400, 300), mean, std)
    assert out.flags.c_contiguous and np.array_equal(out, before.transpose(2, 0, 1))


def _blas_counts(blas_threads):
    return [get() for _, get in blas_threads.openblas_libraries()]


@pytest.mark.timeout(300)
def test_fast_tier_with_openblas_on_one_thread_gives_the_same_outcomes(crossroads):
    """The fast tier runs its own threads with OpenBLAS on one (blas_threads.py): every
    pair's inliers and matches as with OpenBLAS's threads, and the counts put back."""
    from geopin.geopin_plugin.engine.verification import blas_threads

    before = _blas_counts(blas_threads)
    if max(before, default=1) <= 1:
        pytest.skip("no OpenBLAS with more than one thread in this process")
    one = Verifier(replace(config_for(DEFAULT_EXTRACTOR), matcher=None, band=0, enough_verified=None, threads=1))
    refs = dict(enumerate(crossroads["b"] + crossroads["x"] + crossroads["y"]))
    verified = 0
    for q in crossroads["a"][::2]:
        theirs = one.verify(q, refs)  # one Python thread: OpenBLAS's own threads as they are
        with blas_threads.single_threaded_blas():
            assert set(_blas_counts(blas_threads)) == {1}
            ours = one.verify(q, refs)
        assert _blas_counts(blas_threads) == before
        assert all(theirs[r].inliers == ours[r].inliers and np.array_equal(theirs[r].matches, ours[r].matches)
                   for r in refs)
        verified += sum(v.verified for v in ours.values())
    assert verified  # the other capture run of the crossroads verifies: real matches were compared


def test_every_loaded_openblas_is_set_whatever_sorts_first(monkeypatch):
    """Wheels bundle private OpenBLAS copies (opencv-python-headless: a 0.3.3 whose
    count is always 1). Which path sorts first depends on where the packages live, so
    the rule may not be "the first one found": with the list reversed (a venv under
    /home or /tmp puts OpenCV's copy before /usr) numpy's library is still on one
    thread inside the block and back after."""
    from geopin.geopin_plugin.engine.verification import blas_threads

    paths = blas_threads._loaded_libraries()
    if len(paths) < 2:
        pytest.skip("fewer than two BLAS libraries loaded here")
    monkeypatch.setattr(blas_threads, "_loaded_libraries", lambda: sorted(paths, reverse=True))
    monkeypatch.setattr(blas_threads, "_found", None)
    a = np.ones((64, 64), np.float32)
    _ = a @ a  # numpy's BLAS is loaded and initialised
    every = blas_threads.libraries_at(paths)  # read apart from the module's list
    before = [get() for _, get in every]
    if max(before, default=1) <= 1:
        pytest.skip("no OpenBLAS with more than one thread in this process")
    with blas_threads.single_threaded_blas():
        assert [get() for _, get in every] == [1] * len(every)
    assert [get() for _, get in every] == before


class _FakeBlas:
    """A thread count as OpenBLAS keeps one, with every change recorded."""

    def __init__(self, count):
        self.count, self.calls = count, []

    def set(self, n):
        self.calls.append(n)
        self.count = n

    def get(self):
        return self.count


@pytest.fixture
def fake_blas(monkeypatch):
    """blas_threads driving two fake libraries, one on two threads and one always on
    one (as OpenCV's bundled copy): the nesting and restoring logic on its own,
    without the process-wide counts of the real ones."""
    from geopin.geopin_plugin.engine.verification import blas_threads

    blas, fixed = _FakeBlas(2), _FakeBlas(1)
    monkeypatch.setattr(blas_threads, "_found", [(fixed.set, fixed.get), (blas.set, blas.get)])
    assert blas_threads._depth == 0
    return blas_threads, blas, fixed


def test_single_threaded_blas_nests_and_restores(fake_blas):
    blas_threads, blas, fixed = fake_blas
    with blas_threads.single_threaded_blas():
        with blas_threads.single_threaded_blas():
            assert blas.count == 1
        assert blas.count == 1  # the outer block still runs
    assert blas.count == 2 and blas.calls == [1, 2]  # set once, put back once
    assert fixed.calls == []  # already on one thread: nothing to set or put back
    with pytest.raises(RuntimeError):
        with blas_threads.single_threaded_blas():
            raise RuntimeError("a pair failed")
    assert blas.count == 2 and blas_threads._depth == 0


def test_single_threaded_blas_overlapping_threads_restore_once_after_the_last(fake_blas):
    """Two locates' fast tiers overlapping (a batch and the dock): the count stays 1
    until the last one leaves, whichever entered first."""
    import threading

    blas_threads, blas, _ = fake_blas
    entered, leave_first = threading.Event(), threading.Event()
    seen = []

    def first():
        with blas_threads.single_threaded_blas():
            entered.set()
            leave_first.wait(10)

    t = threading.Thread(target=first)
    t.start()
    assert entered.wait(10)
    with blas_threads.single_threaded_blas():
        leave_first.set()
        t.join(10)
        seen.append(blas.count)  # the first block has left, this one still runs
    assert not t.is_alive()
    assert seen == [1] and blas.count == 2 and blas.calls == [1, 2]


def test_single_threaded_blas_without_openblas_changes_nothing(monkeypatch):
    from geopin.geopin_plugin.engine.verification import blas_threads

    monkeypatch.setattr(blas_threads, "_found", [])
    with blas_threads.single_threaded_blas():
        assert blas_threads._depth == 0
