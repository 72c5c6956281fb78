"""Evaluation harness: run a protocol with a preset and measure it.

    runner = ProtocolRunner(builtin_protocol("lund-loo"), EvalConfig.parse(""))
    results = runner.run()                   # QueryResult per query
    summarize(results)                       # the paper-style table row

Every query goes through the product's stages (engine/stages.py: retrieve, verify,
estimate), on parts that read the caches, each stage cached on disk so repeated runs
(other TOP_K, other verification tier, other estimator) are cheap:

* images: panoramas are read once per file and cut into every view the
  protocol needs (:mod:`.panorama`);
* embeddings: ``<cache>/<embedder preset>/emb/<item digest>.npz`` (+ the
  seconds it took);
* local features: ``<cache>/<extractor preset>/feat/<item digest>.npz``;
* verification: ``<cache>/verify/verify-<tier>-<extractor>-<config hash>/<query digest>.json``
  (per reference: inliers, spread, verified...).

Leave-one-out without rebuilding: the full reference set of a protocol is
embedded once; a query's search runs exactly over all references with its own
group(s) masked out, so it returns the ids and order an exact-search database
without that group would return (ties broken by reference order).

Results are :class:`QueryResult` rows; :func:`summarize` turns them into the
paper-style tables. Everything is deterministic: sorted inputs, exact search,
stable sorts; only the timing columns vary between machines and runs.

This module is the evaluation's public face (scripts, Processing and tests import
from here); the code lives in the engine/evaluation/ package.
"""
from .evaluation.caches import (CachedVerifier, FeatureStore, VerificationCache, confirm_id,  # noqa: F401
                                default_cache_dir, learned_verifier_id, learned_verify_config, verifier_id)
from .evaluation.config import ESTIMATORS, TIERS, EvalConfig, EvaluationError, make_verifier  # noqa: F401
from .evaluation.items import load_item_image, reference_heading, render_items  # noqa: F401
from .evaluation.results import (CONFIDENT_LABEL, CONFIDENT_RADIUS_M, DISTANCE_THRESHOLDS_M,  # noqa: F401
                                 RECALL_AT, TIMING_COLUMNS, QueryResult, expected_calibration_error, per_kind,
                                 read_results_csv, reliability, result_columns, results_to_rows, summarize,
                                 threshold_for_negatives, write_results_csv)
from .evaluation.runner import DatabaseRunner, MaskedIndex, ProtocolRunner, masked_search, run_queries  # noqa: F401
