#!/usr/bin/env python3
"""Learn the static-overlay masks of protocols' references (engine/database/overlay_masks.py)
and print, per mask group, the images it was learned from, the masked share of the
view and the share of the references' stored keypoints the mask drops.

    .venv/bin/python scripts/overlay_masks.py --protocol amsterdam-overlay amsterdam-lopo lund-loo
    .venv/bin/python scripts/overlay_masks.py --queries --protocol dashcam   # the queries' own masks

What the masks must do: cover the generated overlays (amsterdam-overlay, dashcam,
lund-stamp) and leave the real scene (amsterdam-lopo, lund-loo, panoramax) unmasked.
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from geopin_plugin.engine.database import overlay_masks  # noqa: E402
from geopin_plugin.engine.evaluation.caches import FeatureStore, default_cache_dir  # noqa: E402
from geopin_plugin.engine.evaluation.config import EvalConfig  # noqa: E402
from geopin_plugin.engine.evaluation.masks import ProtocolMasks  # noqa: E402
from geopin_plugin.engine.evaluation.catalogue import BUILTIN, builtin_protocol  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--protocol", nargs="+", required=True, choices=sorted(BUILTIN))
    ap.add_argument("--cache", type=Path, default=None, help="evaluation cache (default GEOPIN_EVAL_CACHE)")
    ap.add_argument("--queries", action="store_true",
                    help="the masks of the protocols' query groups (preset query_masks), not of the references")
    args = ap.parse_args(argv)
    cache = args.cache or default_cache_dir()
    store = FeatureStore(EvalConfig(), cache)
    print(f"method {overlay_masks.METHOD}, at least {overlay_masks.MIN_GROUP_IMAGES} images a group")
    print("| protocol | mask group | images | masked share of the view | stored keypoints dropped |")
    print("|---|---|---|---|---|")
    for name in args.protocol:
        proto = builtin_protocol(name)
        learned_over = [q.item for q in proto.queries] if args.queries else proto.references
        masks = ProtocolMasks(learned_over, cache).learn()
        store.ensure(learned_over, True)
        small = 0
        for g in sorted(set(masks.group_of.values())):
            m = masks.by_group.get(g)
            items = [r for r in learned_over if masks.group_of[r.key] == g]
            if m is None:
                small += 1
                continue
            kept = total = 0
            for it in items:
                f = store.features(it)[0]
                total += len(f.keypoints)
                kept += len(overlay_masks.drop_masked(f, m).keypoints)
            print(f"| {name} | {g} | {m.images} | {100 * m.masked_share:.2f} % | "
                  f"{100 * (total - kept) / max(total, 1):.2f} % |")
        if small:
            print(f"| {name} | {small} groups under {overlay_masks.MIN_GROUP_IMAGES} images | – | no mask | – |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
