"""Validation of an hnswlib 0.8 index file before hnswlib sees it: the header
against what the store expects, the whole graph, the stored labels.

hnswlib trusts its file: one flipped bit in a neighbour id makes it read outside
its arrays and segfault QGIS. Every link of every level is checked here with
numpy: link counts within maxM0/maxM, every neighbour id < count, every
upper-level neighbour present on that level, the entry point on the top level.
Layout (hnswalg.h saveIndex): a 96-byte header, then `count` level-0 records of
size_data_per_element bytes (uint32 link count, maxM0 uint32 ids, the vector,
the uint64 label), then per element a uint32 byte size and its upper-level
link lists (each a uint32 count and maxM uint32 ids).

benchmarks/bench_index_check.py measures the cost at 1M views.
"""
import os
import struct
from typing import Optional

import numpy as np

from . import hnsw_check

HEADER_BYTES = 96
_HEADER_FORMAT = "<6Q i I 3Q d Q"
_HEADER_KEYS = ("offset_level0", "max_elements", "count", "size_data_per_element", "label_offset",
                "offset_data", "maxlevel", "enterpoint", "maxM", "maxM0", "M", "mult", "ef_construction")
_CHUNK = 65536  # level-0 records checked per block (bounded memory at any size)


def parse_header(head: bytes) -> dict:
    return dict(zip(_HEADER_KEYS, struct.unpack(_HEADER_FORMAT, head[:HEADER_BYTES])))


class HeaderError(ValueError):
    """The file is too short to hold an hnswlib header."""


def read_header(path) -> dict:
    """The fixed header of an hnswlib 0.8 index file (see hnswalg.h saveIndex)."""
    with open(path, "rb") as fh:
        head = fh.read(HEADER_BYTES)
    if len(head) < HEADER_BYTES:
        raise HeaderError("index file too short")
    return parse_header(head)


def validate_hnsw_file(path, count, dim, ids) -> Optional[str]:
    """Check an hnswlib file's header and layout against what the DB expects,
    without letting hnswlib parse it (a bad file can crash hnswlib). Returns None
    when it matches, else the reason. Also compares the stored labels with `ids`."""
    try:
        h = read_header(path)
    except (OSError, struct.error, HeaderError) as exc:
        return f"unreadable header: {exc}"
    size_links0 = h["maxM0"] * 4 + 4
    expected_sdpe = size_links0 + dim * 4 + 8
    if h["count"] != count:
        return f"element count {h['count']} != {count} views in the database"
    if h["offset_level0"] != 0 or h["offset_data"] != size_links0 or h["size_data_per_element"] != expected_sdpe \
            or h["label_offset"] != size_links0 + dim * 4:
        return f"data size per element {h['size_data_per_element']} does not match dimension {dim}"
    if h["count"] > h["max_elements"] or (count and h["enterpoint"] >= count) or h["maxlevel"] < 0 \
            or h["M"] == 0 or h["maxM0"] != 2 * h["M"]:
        return "inconsistent header fields"
    problem = hnsw_check.header_problem(h, count)
    if problem:
        return problem
    file_size = os.path.getsize(path)
    level0_end = HEADER_BYTES + count * h["size_data_per_element"]
    if file_size < level0_end + 4 * count:
        return f"file truncated ({file_size} bytes)"
    # every link of every level (a bad neighbour id segfaults hnswlib)
    problem = graph_problem(path, h)
    if problem:
        return problem
    if count:
        mm = np.memmap(path, dtype=np.uint8, mode="r", offset=HEADER_BYTES, shape=(count, h["size_data_per_element"]))
        labels = np.frombuffer(
            np.ascontiguousarray(mm[:, h["label_offset"]:h["label_offset"] + 8]).tobytes(), dtype="<u8")
        del mm
        if not np.array_equal(np.sort(labels.astype(np.int64)), np.sort(np.asarray(ids, dtype=np.int64))):
            return "labels in the index are not the view ids of the database"
    return None


def level0_problem(path, h) -> Optional[str]:
    """Check every level-0 link list (count <= maxM0, ids < count)."""
    count, sdpe, max_m0 = h["count"], h["size_data_per_element"], h["maxM0"]
    if count == 0:
        return None
    mm = np.memmap(path, dtype=np.uint8, mode="r", offset=HEADER_BYTES, shape=(count, sdpe))
    try:
        for start in range(0, count, _CHUNK):
            block = np.ascontiguousarray(mm[start:start + _CHUNK, :4 + 4 * max_m0]).view("<u4")
            sizes = block[:, 0] & 0xFFFF
            problem = hnsw_check.deleted_problem(block[:, 0], start)
            if problem:
                return problem
            if int(sizes.max()) > max_m0:
                bad = start + int(np.argmax(sizes > max_m0))
                return f"element {bad} claims {int(sizes[bad - start])} level-0 links (at most {max_m0})"
            links = block[:, 1:]
            used = np.arange(max_m0)[None, :] < sizes[:, None]
            if np.any(links[used] >= count):
                row = int(np.argmax(np.any((links >= count) & used, axis=1)))
                return f"element {start + row} links to a node id beyond the {count} elements"
    finally:
        del mm
    return None


def upper_levels_problem(rest: bytes, h) -> Optional[str]:
    """Walk the upper-level link lists (`rest`: the bytes after level 0): sizes,
    ids, neighbours present on the level, entry point on the top level; the file
    must end exactly after them."""
    count, max_m = h["count"], h["maxM"]
    size_links = max_m * 4 + 4
    levels = np.zeros(count, dtype=np.int64)
    lists = []  # (element, level, ids)
    pos, n_rest = 0, len(rest)
    for element in range(count):
        if pos + 4 > n_rest:
            return "file truncated in the link lists"
        (ll,) = struct.unpack_from("<I", rest, pos)
        pos += 4
        if ll:
            if ll % size_links or pos + ll > n_rest:
                return f"corrupt upper-level link list size of element {element}"
            block = np.frombuffer(rest, dtype="<u4", count=ll // 4, offset=pos).reshape(-1, max_m + 1)
            levels[element] = len(block)
            for level, row in enumerate(block, start=1):
                n = int(row[0] & 0xFFFF)
                if n > max_m:
                    return f"element {element} claims {n} links on level {level} (at most {max_m})"
                lists.append((element, level, row[1:1 + n]))
            pos += ll
    if pos != n_rest:
        return "trailing bytes after the link lists"
    if int(levels.max(initial=0)) != h["maxlevel"]:
        return f"header max level {h['maxlevel']} is not the highest element level {int(levels.max(initial=0))}"
    if count and levels[h["enterpoint"]] != h["maxlevel"]:
        return "the entry point is not on the top level"
    for element, level, ids in lists:
        if len(ids) and (int(ids.max()) >= count or np.any(levels[ids.astype(np.int64)] < level)):
            return f"element {element} links on level {level} to a node that is not on that level"
    return None


def graph_problem(path, h) -> Optional[str]:
    """None when every link in the file is safe for hnswlib, else the reason."""
    problem = level0_problem(path, h)
    if problem:
        return problem
    with open(path, "rb") as fh:
        fh.seek(HEADER_BYTES + h["count"] * h["size_data_per_element"])
        rest = fh.read()
    return upper_levels_problem(rest, h)


def index_vectors(path, sample=None) -> (np.ndarray, np.ndarray):
    """(labels, vectors) stored in the file: all elements, or up to `sample`
    evenly spaced ones."""
    h = read_header(path)
    rows = None
    if sample is not None:
        rows = np.unique(np.linspace(0, h["count"] - 1, min(h["count"], sample)).astype(np.int64))
    count, sdpe = h["count"], h["size_data_per_element"]
    dim = (h["label_offset"] - h["offset_data"]) // 4
    mm = np.memmap(path, dtype=np.uint8, mode="r", offset=HEADER_BYTES, shape=(count, sdpe))
    try:
        block = np.ascontiguousarray(mm if rows is None else mm[rows])
    finally:
        del mm
    vecs = block[:, h["offset_data"]:h["offset_data"] + 4 * dim].copy().view("<f4")
    labels = block[:, h["label_offset"]:h["label_offset"] + 8].copy().view("<u8")[:, 0].astype(np.int64)
    return labels, vecs
