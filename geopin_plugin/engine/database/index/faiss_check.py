"""Validation of the faiss IVF-PQ block of a GeoPin index file before faiss
parses it, and the builder's checksums that catch damage the structure cannot.

faiss trusts its serialised index: an inverted-list key >= nlist aborts the
process (an uncaught FaissException, rc 134), pq.M = 0 divides by zero (SIGFPE),
other single-field edits raise mid-read. So every field GeoPin's writer sets is
walked here with struct/numpy and must be exactly what a GeoPin build of this
dimension and size writes; counts and sizes must add up to the block's length.
Layout (faiss index_write.cpp, IndexIVFPQ over IndexFlatIP, ArrayInvertedLists):

  "IwPQ" | index header (d int32, ntotal int64, 2 x int64, is_trained u8, metric int32)
  nlist u64, nprobe u64 | "IxFI" + index header + (nlist*d u64, nlist*d float32)
  direct map (type u8, array: u64 n + n int64) | by_residual u8, code_size u64
  pq d, M, nbits (u64 each), centroids (u64 n + n float32)
  "ilar", nlist u64, code_size u64, "full" (nlist sizes) or "sprs" (key, size pairs)
  then per non-empty list: size*code_size code bytes, size int64 ids

Values a valid structure can still hold wrongly (a quantiser row, a float16
re-rank vector outside the open-time sample) are caught by `checks`: sha256 of
the faiss block and the ids, and a Fletcher-style pair of uint64 sums over the
float16 vectors (numpy-fast, a changed word or two swapped rows change it), written by the
builder into the file's JSON block and compared on open. Files written before
these checks get the structural walk only.
"""
import hashlib
import json
import math
import struct
from typing import Optional

import numpy as np

_IVFPQ_MAGIC = (b"IwPQ", b"IvPQ")
_FLAT_IP = b"IxFI"
_METRIC_INNER_PRODUCT = 0
MAX_NLIST = 1 << 16  # GeoPin's _nlist() gives 64..8192
_VECTOR_ROWS = 65536  # float16 rows summed per block (64 MiB at 512-d: bounded memory at any size)


class _Reader:
    def __init__(self, blob: bytes):
        self.blob, self.pos = blob, 0

    def take(self, fmt):
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.blob):
            raise ValueError("the faiss block ends early")
        values = struct.unpack_from(fmt, self.blob, self.pos)
        self.pos += size
        return values if len(values) > 1 else values[0]

    def array(self, dtype, n):
        n = int(n)
        itemsize = np.dtype(dtype).itemsize
        if n < 0 or self.pos + n * itemsize > len(self.blob):
            raise ValueError(f"an array of {n} items runs past the faiss block")
        out = np.frombuffer(self.blob, dtype=dtype, count=n, offset=self.pos)
        self.pos += n * itemsize
        return out

    def vector(self, dtype):
        return self.array(dtype, self.take("<Q"))


def _index_header(r, what, dim, ntotal):
    d, n, _, _, trained, metric = r.take("<iqqqBi")
    if d != dim or n != ntotal or trained != 1 or metric != _METRIC_INNER_PRODUCT:
        raise ValueError(f"{what} header (d={d}, ntotal={n}, trained={trained}, metric={metric}) is not "
                         f"a trained inner-product index of {ntotal} {dim}-d vectors")


def structure_problem(blob: bytes, dim: int, count: int, pq_m: int, pq_bits: int, ids=None) -> Optional[str]:
    """None when `blob` is the IVF-PQ index a GeoPin build writes for `count`
    `dim`-d vectors (and, given `ids`, its lists hold exactly those), else the
    first field that is not."""
    try:
        sizes, data_at, code_size = _walk(_Reader(blob), dim, count, pq_m, pq_bits)
        if len(blob) - data_at != count * (code_size + 8):
            return "the inverted lists' data does not fill the faiss block exactly"
        if ids is not None:
            stored = _list_ids(blob, sizes, data_at, code_size)
            if not np.array_equal(np.sort(stored), np.sort(np.asarray(ids, np.int64))):
                return "the inverted lists hold other ids than the file's id table"
    except (ValueError, struct.error, OverflowError) as exc:
        return str(exc)
    return None


def _walk(r, dim, count, pq_m, pq_bits):
    """(list sizes, where the list data starts, code size); ValueError naming the first bad field."""
    if r.take("<4s") not in _IVFPQ_MAGIC:
        raise ValueError("the faiss block is not an IVF-PQ index")
    _index_header(r, "IVF-PQ", dim, count)
    nlist, _nprobe = r.take("<QQ")
    if not 1 <= nlist <= MAX_NLIST:
        raise ValueError(f"nlist {nlist} is outside 1..{MAX_NLIST}")
    if r.take("<4s") != _FLAT_IP:
        raise ValueError("the coarse quantiser is not a flat inner-product index")
    _index_header(r, "coarse quantiser", dim, nlist)
    if r.take("<Q") != nlist * dim:
        raise ValueError("the coarse quantiser's size is not nlist x d")
    if not np.all(np.isfinite(r.array("<f4", nlist * dim))):
        raise ValueError("the coarse quantiser holds NaN or infinite values")
    if r.take("<B") != 0 or r.take("<Q") != 0:
        raise ValueError("the index carries a direct map (GeoPin writes none)")
    by_residual, code_size = r.take("<B"), r.take("<Q")
    pq_d, m, nbits = r.take("<QQQ")
    if by_residual not in (0, 1) or pq_d != dim or m != pq_m or nbits != pq_bits or m == 0 or dim % m \
            or code_size != math.ceil(m * nbits / 8):
        raise ValueError(f"product quantiser d={pq_d} M={m} nbits={nbits} code_size={code_size} is not "
                         f"d={dim} M={pq_m} nbits={pq_bits}")
    if r.take("<Q") != dim * (1 << nbits):
        raise ValueError("the product quantiser's centroid table has the wrong size")
    if not np.all(np.isfinite(r.array("<f4", dim * (1 << nbits)))):
        raise ValueError("the product quantiser's centroids hold NaN or infinite values")
    if r.take("<4s") != b"ilar" or r.take("<QQ") != (nlist, code_size):
        raise ValueError("the inverted lists do not match nlist and the code size")
    kind = r.take("<4s")
    table = r.vector("<u8").astype(np.int64)
    if kind == b"full":
        if len(table) != nlist:
            raise ValueError("the inverted lists' size table is not nlist long")
        sizes = table
    elif kind == b"sprs":
        keys, sizes = table[0::2], table[1::2]
        if len(table) % 2 or np.any(keys < 0) or np.any(keys >= nlist) or np.any(np.diff(keys) <= 0):
            raise ValueError(f"an inverted-list key is out of range (nlist {nlist})")
    else:
        raise ValueError("unknown inverted-list layout")
    if np.any(sizes < 0) or np.any(sizes > count) or int(sizes.sum()) != count:
        raise ValueError(f"the inverted lists hold {int(sizes.sum())} entries, not {count}")
    return sizes, r.pos, code_size


def _list_ids(blob, sizes, pos, code_size):
    ids = []
    for n in sizes[sizes > 0]:
        pos += int(n) * code_size
        ids.append(np.frombuffer(blob, dtype="<i8", count=int(n), offset=pos))
        pos += int(n) * 8
    return np.concatenate(ids) if ids else np.zeros(0, np.int64)


# ---- the builder's checks -----------------------------------------------------------------
def vector_sums(vectors) -> list:
    """A Fletcher-style pair over the float16 vectors, as two ints: the wrapping
    uint64 sum of all their 8-byte words, and that of each row's word sum times its
    row number (a changed word or two rows swapped change it). One pass; 0.1 s
    for 1M x 512 in RAM (bench_faiss_check.py)."""
    rows = np.asarray(vectors).reshape(len(vectors), -1).view(np.uint8)
    if rows.shape[1] % 8:
        rows = np.pad(rows, ((0, 0), (0, 8 - rows.shape[1] % 8)))
    s1 = s2 = np.uint64(0)
    with np.errstate(over="ignore"):
        for start in range(0, len(rows), _VECTOR_ROWS):
            row_sums = np.ascontiguousarray(rows[start:start + _VECTOR_ROWS]).view("<u8").sum(axis=1,
                                                                                           dtype=np.uint64)
            numbers = np.arange(start + 1, start + 1 + len(row_sums), dtype=np.uint64)
            s1 = s1 + row_sums.sum(dtype=np.uint64)
            s2 = s2 + (row_sums * numbers).sum(dtype=np.uint64)
    return [int(s1), int(s2)]


def checks(blob: bytes, ids, vectors) -> dict:
    return {"faiss_sha256": hashlib.sha256(blob).hexdigest(),
            "ids_sha256": hashlib.sha256(np.ascontiguousarray(ids, "<i8").tobytes()).hexdigest(),
            "vector_sums": vector_sums(vectors)}


def file_problem(meta: bytes, blob: bytes, ids, vectors, dim, pq_m, pq_bits) -> Optional[str]:
    """The whole check of one file's blocks: its JSON, the faiss structure, the builder's checksums."""
    try:
        info = json.loads(meta.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        return f"the parameter block is not JSON ({exc})"
    if not isinstance(info, dict):
        return "the parameter block is not a JSON object"
    return structure_problem(blob, dim, len(ids), pq_m, pq_bits, ids) \
        or checks_problem(info.get("checks"), blob, ids, vectors)


def checks_problem(recorded: dict, blob: bytes, ids, vectors) -> Optional[str]:
    """None when the recorded checks hold (or none were recorded), else what differs."""
    if not isinstance(recorded, dict):
        return None
    if recorded.get("faiss_sha256") != hashlib.sha256(blob).hexdigest():
        return "the faiss block differs from what the builder wrote (checksum)"
    if recorded.get("ids_sha256") != hashlib.sha256(np.ascontiguousarray(ids, "<i8").tobytes()).hexdigest():
        return "the ids differ from what the builder wrote (checksum)"
    if recorded.get("vector_sums") != vector_sums(vectors):
        return "the re-rank vectors differ from what the builder wrote (checksum)"
    return None
