"""Bounds on the hnswlib header fields that drive allocations and loops, and on
its per-element "deleted" marks, checked before hnswlib reads a file.

hnswlib trusts these fields: `mult` sets the level a new element draws
(-ln(U) * mult levels, each maxM links: mult = 3e7 made a build allocate until
the kernel killed QGIS; NaN made addPoint fail with "Not enough memory");
`max_elements` sizes the level-0 block it allocates on load; `ef_construction`
sizes every insertion's candidate queue. GeoPin writes M = 16, maxM = M,
maxM0 = 2M, mult = 1/ln(M), ef_construction 128 and never deletes, so a file
that says otherwise was not written by it as-is and is rebuilt from the stored
embeddings (hnsw_file.validate_hnsw_file calls these first).
"""
import math
from typing import Optional

import numpy as np

MAX_M = 256  # hnswlib's own advice is 2..100; GeoPin writes 16
MAX_EF_CONSTRUCTION = 4096  # GeoPin writes 128
MAX_ELEMENTS_SLACK = 2  # the builder writes max_elements == count (resize_index to exactly what it adds)
DELETE_MARK_SHIFT = 16  # hnswlib marks a deleted element in byte 2 of its level-0 link count


def header_problem(h: dict, count: int) -> Optional[str]:
    """None when the header's allocation-driving fields are what a GeoPin build
    writes (within the bounds above), else the reason."""
    m = h["M"]
    if not 2 <= m <= MAX_M:
        return f"header M = {m} is outside 2..{MAX_M}"
    if h["maxM"] != m or h["maxM0"] != 2 * m:
        return f"header maxM {h['maxM']} / maxM0 {h['maxM0']} are not M / 2M for M = {m}"
    mult = h["mult"]
    if not math.isfinite(mult) or abs(mult - 1.0 / math.log(m)) > 1e-9:
        return f"header level multiplier {mult!r} is not 1/ln(M) = {1.0 / math.log(m):.6f}"
    if not 1 <= h["ef_construction"] <= MAX_EF_CONSTRUCTION:
        return f"header ef_construction {h['ef_construction']} is outside 1..{MAX_EF_CONSTRUCTION}"
    if h["max_elements"] > MAX_ELEMENTS_SLACK * max(count, 1):
        return f"header max_elements {h['max_elements']} is far above the {count} elements it holds"
    return None


def deleted_problem(link_count_words: np.ndarray, start: int) -> Optional[str]:
    """The level-0 link count words (uint32) of elements start.. : GeoPin never
    deletes, so a deleted mark (a view hnswlib would silently never return; all
    marked made every locate fail) means the file was altered."""
    marked = (link_count_words >> DELETE_MARK_SHIFT) != 0
    if np.any(marked):
        first = start + int(np.argmax(marked))
        return (f"{int(marked.sum())} element(s) carry hnswlib's deleted mark (first: element {first}); "
                "GeoPin never deletes from an index")
    return None
