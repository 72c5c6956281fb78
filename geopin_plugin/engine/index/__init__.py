"""Vector search over a store's embeddings, behind the VectorIndex protocol
(base.py). hnswlib is the first backend (hnsw.py, its file checks in
hnsw_file.py); a new backend is one module plus an entry in `backends`, and the
sidecar records which one built a file (stored.py). Whitening, learned on the
store's embeddings, is applied before indexing (whitening.py)."""
from .base import VectorIndex, exact_search  # noqa: F401 (the package's interface)
from .hnsw import HnswIndex
from .stored import IndexFiles, IndexIdentity  # noqa: F401

DEFAULT_BACKEND = "hnswlib"
backends = {"hnswlib": HnswIndex}


def backend(kind):
    """The VectorIndex class of `kind`; KeyError naming the known ones otherwise."""
    try:
        return backends[kind]
    except KeyError:
        raise KeyError(f"unknown index backend {kind!r} (known: {', '.join(sorted(backends))})") from None
