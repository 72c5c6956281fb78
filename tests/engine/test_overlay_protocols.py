"""Issue 23's material and rules without models: the generated overlays paint the
same pixels into every image of a rig, the protocols hold same-rig and phone-like
queries, the displacement measures, and the confidence rule for disagreeing evidence."""
import numpy as np

from geopin.geopin_plugin.engine.estimate import posterior as post
from geopin.geopin_plugin.engine.evaluation import catalogue
from geopin.geopin_plugin.engine.evaluation.items import render_items
from geopin.geopin_plugin.engine.verification.geometry import displacement, vertical_extent


def test_amsterdam_overlay_has_same_rig_and_phone_queries():
    p = catalogue.builtin_protocol("amsterdam-overlay")
    kinds = {q.kind for q in p.queries}
    assert {"same-rig90", "phone65", "unlocated-same-rig90", "unlocated-phone65"} <= kinds
    assert all(r.overlay.startswith("cap") for r in p.references)
    assert len({r.overlay for r in p.references}) >= 2  # two or three caps
    same_rig = [q.item for q in p.queries if q.kind == "same-rig90"]
    refs = {r.key for r in p.references}
    assert all(it.key in refs for it in same_rig)  # cut exactly as the references are
    assert sum(q.positive for q in p.queries) == 64


def test_one_cap_paints_the_same_pixels_into_different_places():
    p = catalogue.builtin_protocol("amsterdam-overlay")
    by_cap = {}
    for r in p.references:
        if r.heading == 0.0:
            by_cap.setdefault(r.overlay, []).append(r)
    cap, items = next((c, its) for c, its in by_cap.items() if len(its) >= 2)
    (a, va), (b, vb) = list(render_items(items[:2]))
    assert a.group != b.group
    assert np.array_equal(va[-60:], vb[-60:])  # the cap's rows: identical
    assert not np.array_equal(va[:400], vb[:400])  # the places: not


def test_new_protocols_are_builtin():
    for name in ("amsterdam-overlay", "lund-stamp", "dashcam", "panoramax-2048"):
        p = catalogue.builtin_protocol(name)
        assert p.queries and p.references
    assert all(q.item.overlay == "stamp" for q in catalogue.builtin_protocol("lund-stamp").queries)
    assert any(r.source_width == 2048 for r in catalogue.builtin_protocol("panoramax-2048").references)


def test_displacement_and_vertical_extent():
    pq = np.array([[100.0, 700.0], [512.0, 384.0]])
    pr_ = np.array([[100.0, 700.0], [612.0, 384.0]])
    d = displacement(pq, pr_, (1024, 768), (1024, 768))
    assert d[0] == 0.0 and abs(d[1] - 100 / 1024) < 1e-6
    band = np.column_stack([np.linspace(0, 1000, 50), np.full(50, 700.0)])
    assert vertical_extent(band, (1024, 768)) == 0.0
    spread = np.column_stack([np.linspace(0, 1000, 50), np.linspace(50, 700, 50)])
    assert vertical_extent(spread, (1024, 768)) > 0.5


def test_confidence_falls_when_verified_references_disagree():
    assert post.agreeing_confidence(0.99, (0, 0), [(10, 0, 5.0), (0, 30, 5.0)]) == 0.99
    assert abs(post.agreeing_confidence(0.99, (0, 0), [(10, 0, 5.0), (4000, 0, 5.0)]) - 0.495) < 1e-9
    assert post.agreeing_confidence(0.5, (0, 0), []) == 0.5
    assert post.honest_label("confident", 150.0) == "uncertain"
    assert post.honest_label("confident", 30.0) == "confident"
    assert post.honest_label("no match", 5000.0) == "no match"
