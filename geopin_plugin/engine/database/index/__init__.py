"""Vector search over a store's embeddings, behind the VectorIndex protocol
(base.py). hnswlib is the first backend (hnsw.py, its file checks in
hnsw_file.py); a new backend is one module plus an entry in `backends`, and the
sidecar records which one built a file (stored.py). Whitening, learned on the
store's embeddings, is applied before indexing (whitening.py).

A database without a recorded `index_backend` gets one by its size: hnswlib
(float32 graph, 2.2 KB RAM a view) up to COMPRESSED_FROM views, faiss IVF-PQ
(72 B RAM a view, exact float16 re-rank from disk) beyond, when faiss is
installed (benchmarks/bench_scale.py measures both)."""
from .base import VectorIndex, exact_search  # noqa: F401 (the package's interface)
from .hnsw import HnswIndex
from .stored import IndexFiles, IndexIdentity  # noqa: F401

from .faiss_ivfpq import FaissIvfPqIndex
from .faiss_hnsw import FaissHnswIndex

DEFAULT_BACKEND = "hnswlib"
COMPRESSED_BACKEND = "faiss-ivfpq"
# hnswlib's RAM (2.2 KB a view) passes 0.4 GB here, and IVF-PQ has enough views
# to train its 2048+ lists; below it hnswlib is faster to build and exact-er
COMPRESSED_FROM = 200_000
backends = {"hnswlib": HnswIndex, "faiss-ivfpq": FaissIvfPqIndex, "faiss-hnsw": FaissHnswIndex}
# the small-database graph index in either library: where one is not installed (QGIS
# gets faiss from wheels; hnswlib is source-only) the other serves, rebuilt from the
# stored embeddings
GRAPH_BACKENDS = ("hnswlib", "faiss-hnsw")


def faiss_available():
    try:
        import faiss  # noqa: F401
    except ImportError:
        return False
    return True


def hnswlib_available():
    """hnswlib itself (its 0.8 file layout, which hnsw_file.py checks), not the
    chroma-hnswlib fork that also installs a module `hnswlib` but writes another layout."""
    import importlib.metadata
    import importlib.util

    if importlib.util.find_spec("hnswlib") is None:
        return False
    try:
        importlib.metadata.version("hnswlib")
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def installed_graph_backend(kind):
    """`kind` when its library is installed, else the other graph backend when that
    one is (the database then rebuilds its index with it); `kind` otherwise."""
    if kind not in GRAPH_BACKENDS:
        return kind
    have = {"hnswlib": hnswlib_available(), "faiss-hnsw": faiss_available()}
    if have[kind]:
        return kind
    other = next(k for k in GRAPH_BACKENDS if k != kind)
    return other if have[other] else kind


def backend_for(count, recorded=None):
    """The backend kind for a database of `count` views: the recorded one, else by
    size. IVF-PQ cannot train on a handful of views: there hnswlib serves."""
    if recorded == COMPRESSED_BACKEND and count < FaissIvfPqIndex.min_train():
        return installed_graph_backend(DEFAULT_BACKEND)
    if recorded:
        return installed_graph_backend(recorded)
    if count >= COMPRESSED_FROM and faiss_available():
        return COMPRESSED_BACKEND
    return installed_graph_backend(DEFAULT_BACKEND)


def backend(kind):
    """The VectorIndex class of `kind`; KeyError naming the known ones otherwise."""
    try:
        return backends[kind]
    except KeyError:
        raise KeyError(f"unknown index backend {kind!r} (known: {', '.join(sorted(backends))})") from None
