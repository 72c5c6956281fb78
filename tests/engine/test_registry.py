"""The registry of the pipeline's parts (engine/registry.py): every catalogue
extractor and matcher has an entry and nothing else does, parts are found by kind
and name, and which models a database needs is decided in one place."""
import pytest

from geopin.geopin_plugin.engine import registry
from geopin.geopin_plugin.engine.verification.rootsift import RootSiftExtractor
from geopin.geopin_plugin.engine.models import DEFAULT_EMBEDDER, DEFAULT_EXTRACTOR, FALLBACK_EXTRACTOR, PRESETS
from geopin.geopin_plugin.engine.verification.verifier import CONFS, LearnedVerifier, Verifier
from geopin.geopin_plugin.engine.registry import verifier_config as config_for


@pytest.mark.parametrize("kind", ["embedder", "extractor", "matcher"])
def test_every_catalogue_preset_of_a_kind_has_an_entry(kind):
    assert set(registry.PARTS[kind]) == {p.id for p in PRESETS.values() if p.kind == kind}


def test_verifier_entries_are_the_named_confs():
    assert set(registry.PARTS["verifier"]) == set(CONFS)
    for p in registry.PARTS["extractor"].values():
        assert p.verifier in CONFS


def test_an_extractor_names_the_verifier_measured_for_its_features():
    assert registry.verifier_for("xfeat-1024") == registry.verifier_for("xfeat-640") == "xfeat"
    assert registry.verifier_for("rootsift-2048") == "rootsift"
    assert registry.verifier_for("test-orb") == registry.GENERIC_VERIFIER  # unknown features: the generic settings
    assert config_for("xfeat-1024").matcher == "lighterglue-xfeat" and config_for("rootsift-2048").matcher is None


def test_parts_load_by_kind_and_name():
    assert isinstance(registry.load("extractor", "rootsift-2048"), RootSiftExtractor)
    v = registry.load("verifier", "xfeat", min_inliers=40, band=None)
    assert type(v) is Verifier and v.config == config_for(DEFAULT_EXTRACTOR, min_inliers=40)
    assert registry.factory("verifier", "learned") is registry.factory("verifier", "xfeat")
    assert registry.part("verifier", "learned").features == "disk-640"
    with pytest.raises(registry.UnknownPart, match="no matcher named 'nope'"):
        registry.load("matcher", "nope")


def test_the_learned_verifier_matches_every_pair(monkeypatch):
    monkeypatch.setattr(registry, "load_matcher", lambda preset, directory=None: f"matcher:{preset}")
    v = registry.load("verifier", "learned")
    assert isinstance(v, LearnedVerifier) and v.matcher == "matcher:lightglue-disk"


def test_which_models_a_database_needs():
    new = registry.parts_for({"model_preset": "m", "extractor_preset": "xfeat-1024", "dim": "512"}, 10)
    assert (new.embedder, new.extractor, new.dim, new.verifier, new.outdated) == ("m", "xfeat-1024", 512, "xfeat",
                                                                                  False)
    assert new.matcher == "lighterglue-xfeat"
    old = registry.parts_for({"model_preset": "m"}, 10)  # views from before the preset was recorded
    assert (old.extractor, old.verifier, old.outdated) == (FALLBACK_EXTRACTOR, "rootsift", True)
    empty = registry.parts_for({}, 0)
    assert (empty.embedder, empty.extractor, empty.dim) == (DEFAULT_EMBEDDER, DEFAULT_EXTRACTOR, None)
    assert registry.parts_for({}, 10).embedder is None  # views, but no record of what embedded them


def test_what_a_build_adds_with():
    """An existing database keeps its embedder; a new one takes the choice; both get the
    default extractor (an older database's views are upgraded, not re-embedded)."""
    assert registry.parts_for({"model_preset": "m", "extractor_preset": FALLBACK_EXTRACTOR}, 10).to_add("other") == \
        ("m", DEFAULT_EXTRACTOR)
    assert registry.parts_for({}, 0).to_add("chosen") == ("chosen", DEFAULT_EXTRACTOR)
    assert registry.parts_for({}, 0).to_add() == (DEFAULT_EMBEDDER, DEFAULT_EXTRACTOR)

    class Meta:  # a synthetic database's meta object
        model_preset, extractor_preset, dim = "m", "rootsift-2048", 8

    assert registry.parts_for(Meta()).extractor == "rootsift-2048"


def test_a_configured_part_takes_precedence_over_the_database_record():
    class Config:
        embedder, extractor = "other-embedder", "rootsift-2048"

    parts = registry.parts_for({"model_preset": "m", "extractor_preset": "xfeat-1024"}, 10, Config())
    assert (parts.embedder, parts.recorded_embedder, parts.extractor) == ("other-embedder", "m", "rootsift-2048")
    assert (parts.verifier, parts.matcher, parts.outdated) == ("rootsift", None, True)


def test_no_part_imports_the_registry():
    """One door: the registry builds parts, a part never calls it back (registry.py's rule)."""
    import ast
    from pathlib import Path

    engine = Path(registry.__file__).parent
    callers = []
    for path in engine.rglob("*.py"):
        if path.name == "registry.py":
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [a.name for a in node.names]
            if any(n == "registry" or n.endswith(".registry") for n in names):
                callers.append(path.relative_to(engine).as_posix())
    parts = [c for c in callers if c.startswith("verification/") or c == "embed.py"]
    assert parts == [], parts


def test_shared_parts_are_built_once():
    made = []
    a = registry.shared("matcher", "test-shared", lambda: made.append(1) or object())
    b = registry.shared("matcher", "test-shared", lambda: made.append(1) or object())
    assert a is b and made == [1]
