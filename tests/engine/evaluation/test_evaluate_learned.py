"""tier=learned in the evaluation harness: the preset parses, and a one-query real
run (Houthavens, DISK + LightGlue on a band of 2) takes the fast tier's outcomes and
replaces the band's with LightGlue's, cached per query."""
import pytest

from geopin.geopin_plugin.engine.evaluation.config import EvalConfig
from geopin.geopin_plugin.engine.evaluation.runner import ProtocolRunner
from geopin.geopin_plugin.engine.evaluation.caches import learned_verifier_id, verifier_id
from geopin.geopin_plugin.engine.models import ModelError, check_built

from .test_evaluate_real import tiny  # noqa: F401  (module fixture)


def test_learned_preset_parses():
    c = EvalConfig.parse("tier=learned,learned_top=3,learned_min_inliers=40").resolved()
    assert (c.tier, c.learned_top, c.learned_min_inliers) == ("learned", 3, 40)
    assert "lightglue top3 ≥40" in c.name
    # the default preset's name and fast-tier cache are untouched by the new keys
    d = EvalConfig.parse("").resolved()
    assert "lightglue" not in d.name
    assert verifier_id(d) == verifier_id(EvalConfig.parse("learned_top=9").resolved())
    # the learned pair cache does not depend on the decision threshold (decided at read time)
    assert learned_verifier_id(c) == learned_verifier_id(EvalConfig.parse("tier=learned").resolved())
    with pytest.raises(ValueError):
        EvalConfig.parse("tier=learned,learned_top=-1")


def test_learned_tier_one_query(tiny, tmp_path):  # noqa: F811
    try:
        check_built("disk-640")
        check_built("lightglue-disk")
    except ModelError as exc:
        pytest.skip(f"learned models not built: {exc}")
    proto = tiny.subset(max_queries=1)
    q = proto.queries[0]
    fast = ProtocolRunner(proto, EvalConfig(), cache_dir=tmp_path).run()[0]
    cfg = EvalConfig(tier="learned", learned_top=2, learned_min_inliers=1)
    runner = ProtocolRunner(proto, cfg, cache_dir=tmp_path)
    learned = runner.run()[0]
    table = runner.learned.cache.load(q.item)
    assert 1 <= len(table) <= 2  # the band: at most learned_top candidates the fast tier left unverified
    fast_table = runner.vcache.load(q.item)
    assert all(not fast_table[k]["verified"] for k in table)
    newly = sum(1 for r in table.values() if r["inliers"] >= 1 and r["spread"] >= 0.10)  # promoted by LightGlue
    assert learned.n_verified == fast.n_verified + newly
    # DISK on the query + LightGlue pairs counted on top of the fast tier it extends (the
    # default cascade's LighterGlue band is another cost, not a lower bound: compared with
    # the fast tier alone, as the learned tier is built on it)
    fast_only = ProtocolRunner(proto, EvalConfig(tier="fast"), cache_dir=tmp_path).run()[0]
    assert learned.t_verify > fast_only.t_verify
    # a second run reads every outcome from the caches: no model is loaded
    again = ProtocolRunner(proto, cfg, cache_dir=tmp_path)
    assert again.run()[0].n_verified == learned.n_verified and again.learned._verifier is None
