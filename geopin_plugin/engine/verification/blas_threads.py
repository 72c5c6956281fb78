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
after. The libraries are found among the shared objects the process has loaded
(Linux ``/proc/self/maps``: Debian's libblas.so.3 alternative, numpy wheels'
bundled libopenblas / scipy_openblas). Every OpenBLAS found is set, not the first
by path: wheels bundle private copies (opencv-python-headless carries an OpenBLAS
0.3.3 whose count is always 1), and which one sorts first depends on where the
plugin's packages are installed: under a path before /usr (/home, /tmp) the old
first-by-path rule set OpenCV's copy and left numpy's on its own threads (a CI run
read that copy's constant 1; tests/engine/test_query_speed.py puts it first). Where
none is found (another BLAS, another OS) nothing changes.
"""
from __future__ import annotations

import ctypes
import threading
from contextlib import contextmanager
from typing import Callable, List, Optional, Tuple

# (setter, getter) pairs as OpenBLAS builds export them
_SYMBOLS = (
    ("openblas_set_num_threads", "openblas_get_num_threads"),
    ("openblas_set_num_threads64_", "openblas_get_num_threads64_"),
    ("scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_"),
    ("scipy_openblas_set_num_threads", "scipy_openblas_get_num_threads"),
)
Library = Tuple[Callable[[int], None], Callable[[], int]]
_lock = threading.Lock()
_depth = 0
_saved: List[Tuple[Library, int]] = []
_found: Optional[List[Library]] = None  # searched once, on first use


def _loaded_libraries():
    try:
        with open("/proc/self/maps") as fh:
            paths = {line.split()[-1] for line in fh if ".so" in line and "blas" in line.lower()}
    except OSError:
        return []
    return sorted(p for p in paths if p.startswith("/"))


def _controls(path: str):
    """(set_num_threads, get_num_threads) the library at path exports, or None."""
    try:
        lib = ctypes.CDLL(path)
    except OSError:
        return None
    for setter, getter in _SYMBOLS:
        if hasattr(lib, setter) and hasattr(lib, getter):
            set_, get = getattr(lib, setter), getattr(lib, getter)
            set_.argtypes, set_.restype, get.restype = [ctypes.c_int], None, ctypes.c_int
            return set_, get
    return None


def libraries_at(paths) -> List[Library]:
    """The controls of each OpenBLAS among ``paths``, in their order."""
    return [c for c in map(_controls, paths) if c is not None]


def openblas_libraries() -> List[Library]:
    """(set_num_threads, get_num_threads) of every OpenBLAS this process has loaded."""
    global _found
    if _found is None:
        _found = libraries_at(_loaded_libraries())
    return _found


@contextmanager
def single_threaded_blas():
    """OpenBLAS on one thread inside the block (nested and concurrent blocks share
    one setting: the first entry saves each library's count, the last exit puts
    back the ones it changed)."""
    global _depth, _saved
    libs = openblas_libraries()
    if not libs:
        yield
        return
    with _lock:
        if _depth == 0:
            _saved = [(lib, int(lib[1]())) for lib in libs]
            for (set_threads, _), count in _saved:
                if count != 1:
                    set_threads(1)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                for (set_threads, _), count in reversed(_saved):
                    if count != 1:
                        set_threads(count)
                _saved = []
