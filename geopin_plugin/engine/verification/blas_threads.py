"""OpenBLAS on one thread while the fast tier runs its own threads (issue 30).

The fast tier matches candidates on ``VerifyConfig.threads`` Python threads, each
doing one descriptor product after another. OpenBLAS splits every product again
over its own threads, which busy-wait between calls: on two cores that is four
threads fighting for two, and the spinning outlasts the fast tier into
LighterGlue's. Measured with `benchmarks/profile_query.py --queries 8` (eight "no
match" queries, alternating runs; docs/evaluation.md "Query time"): the fast tier
0.96-1.01 -> 0.65 s of CPU and 0.49-0.52 -> 0.35-0.36 s wall a query with OpenBLAS on
one thread, the same outcomes (each product element is one thread's dot product
either way; tests/engine/test_query_speed.py).

The thread count is process-wide, so it is set for the fast tier only and put back
after. The library is found among the shared objects the process has loaded
(Linux ``/proc/self/maps``: Debian's libblas.so.3 alternative, numpy wheels'
bundled libopenblas / scipy_openblas); where none is found (another BLAS, another
OS) nothing changes.
"""
from __future__ import annotations

import ctypes
import threading
from contextlib import contextmanager
from typing import Optional, Tuple

# (setter, getter) pairs as OpenBLAS builds export them
_SYMBOLS = (
    ("openblas_set_num_threads", "openblas_get_num_threads"),
    ("openblas_set_num_threads64_", "openblas_get_num_threads64_"),
    ("scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_"),
    ("scipy_openblas_set_num_threads", "scipy_openblas_get_num_threads"),
)
_lock = threading.Lock()
_depth = 0
_saved = 0
_found: Optional[Tuple[object, object]] = None
_searched = False


def _loaded_libraries():
    try:
        with open("/proc/self/maps") as fh:
            paths = {line.split()[-1] for line in fh if ".so" in line and "blas" in line.lower()}
    except OSError:
        return []
    return sorted(p for p in paths if p.startswith("/"))


def openblas() -> Optional[Tuple[object, object]]:
    """(set_num_threads, get_num_threads) of the OpenBLAS this process uses, or None."""
    global _found, _searched
    if not _searched:
        _searched = True
        for path in _loaded_libraries():
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            for setter, getter in _SYMBOLS:
                if hasattr(lib, setter) and hasattr(lib, getter):
                    set_, get = getattr(lib, setter), getattr(lib, getter)
                    set_.argtypes, set_.restype, get.restype = [ctypes.c_int], None, ctypes.c_int
                    _found = (set_, get)
                    return _found
    return _found


@contextmanager
def single_threaded_blas():
    """OpenBLAS on one thread inside the block (nested and concurrent blocks share
    one setting: the first entry saves the count, the last exit restores it)."""
    global _depth, _saved
    lib = openblas()
    if lib is None:
        yield
        return
    set_threads, get_threads = lib
    with _lock:
        if _depth == 0:
            _saved = int(get_threads())
            if _saved != 1:
                set_threads(1)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _saved != 1:
                set_threads(_saved)
