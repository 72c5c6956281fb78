"""A damaged local-feature row costs only its own view: rows whose descriptors
cannot be compared with the query's (another width: 0, 32 or 128 where XFeat
writes 64; keypoints and descriptors of different counts; values that are not
finite) are left out of verification and logged with their view id. One such row
used to fail every photo with numpy's "matmul: Input operand 1 has a mismatch".
"""
import logging
from typing import Dict, Optional

import numpy as np

from ..types import LocalFeatures

LOG = logging.getLogger("geopin.verify")


def row_problem(query: LocalFeatures, ref: LocalFeatures) -> Optional[str]:
    d, k = np.asarray(ref.descriptors), np.asarray(ref.keypoints)
    width = np.asarray(query.descriptors).shape[-1]
    if d.ndim != 2 or d.shape[1] != width:
        return f"descriptors of width {d.shape[-1] if d.ndim else 0}, the query's are {width}"
    if k.ndim != 2 or k.shape[1] != 2 or len(k) != len(d):
        return f"{len(k)} keypoints for {len(d)} descriptors"
    if not (np.all(np.isfinite(k)) and np.all(np.isfinite(d))):
        return "values that are not finite"
    return None


def comparable(query: LocalFeatures, refs: Dict[int, LocalFeatures]) -> Dict[int, LocalFeatures]:
    """`refs` without the rows that cannot be verified against `query` (each logged)."""
    out = {}
    for rid, ref in refs.items():
        problem = row_problem(query, ref)
        if problem:
            LOG.warning("view %s left out of verification: its stored local features are damaged (%s); "
                        "rebuild the database to repair it", rid, problem)
            continue
        out[rid] = ref
    return out
