"""Issue 26: a faiss IVF-PQ index file from someone else. Every field of the
serialised faiss index is edited one at a time (and values a valid structure
can hold: a quantiser row, a PQ centroid, a code, a list id, a float16 re-rank
vector outside the open-time sample, the id table); a child process limited to
2 GB validates the file and, only when accepted, loads it and searches. Each
case must refuse the file (the database then rebuilds it) or answer exactly as
the pristine file does: no abort, no SIGFPE, no traceback, no other answer."""
import struct
import textwrap

import numpy as np
import pytest
from helpers import MEMORY_LIMIT, run_child

faiss = pytest.importorskip("faiss")

from geopin.geopin_plugin.engine.database.index import faiss_ivfpq  # noqa: E402
from geopin.geopin_plugin.engine.database.index.faiss_ivfpq import FaissIvfPqIndex  # noqa: E402

pytestmark = pytest.mark.timeout(300)
DIM = 128
N = 12_000

CHILD = textwrap.dedent("""
    import sys
    import numpy as np
    from geopin.geopin_plugin.engine.database.index.faiss_ivfpq import FaissIvfPqIndex
    ids, q = np.load(sys.argv[2]), np.load(sys.argv[3])
    problem = FaissIvfPqIndex.validate(sys.argv[1], ids, q.shape[1])
    if problem:
        print("REFUSED", problem)
    else:
        labels, _ = FaissIvfPqIndex(q.shape[1]).load(sys.argv[1]).search(q, 5)
        np.save(sys.argv[4], labels)
        print("LOADED")
""")


def _fields(data):
    """name -> (absolute offset, struct format) of every field of the faiss block."""
    magic, dim, jlen, flen, count, _ = struct.unpack_from("<8sIIQQQ", data, 0)
    base = 40 + jlen
    f, pos = {}, base

    def field(name, fmt):
        nonlocal pos
        f[name] = (pos, fmt)
        pos += struct.calcsize(fmt)
        return struct.unpack_from(fmt, data, f[name][0])[0]

    field("fourcc", "<4s")
    for prefix in ("ivf", "quantizer"):
        field(f"{prefix}.d", "<i"), field(f"{prefix}.ntotal", "<q"), field(f"{prefix}.dummy", "<q")
        field(f"{prefix}.dummy2", "<q"), field(f"{prefix}.is_trained", "<B"), field(f"{prefix}.metric", "<i")
        if prefix == "ivf":
            nlist = field("nlist", "<Q")
            field("nprobe", "<Q")
            field("quantizer.fourcc", "<4s")
    field("quantizer.size", "<Q")
    f["quantizer.row 3"] = (pos + 3 * dim * 4, "<f")
    pos += nlist * dim * 4
    field("direct_map.type", "<B"), field("direct_map.size", "<Q"), field("by_residual", "<B")
    field("code_size", "<Q"), field("pq.d", "<Q"), field("pq.M", "<Q"), field("pq.nbits", "<Q")
    n_cent = field("pq.centroids size", "<Q")
    f["pq.centroid 100"] = (pos + 100 * 4, "<f")
    pos += n_cent * 4
    field("invlists.fourcc", "<4s"), field("invlists.nlist", "<Q"), field("invlists.code_size", "<Q")
    field("invlists.type", "<4s")
    field("invlists.sizes size", "<Q")
    f["invlists.size 0"] = (pos, "<Q")
    f["invlists.size 5"] = (pos + 40, "<Q")
    pos += nlist * 8
    f["list 0 code byte"] = (pos, "<B")
    first = struct.unpack_from("<Q", data, f["invlists.size 0"][0])[0]
    f["list 0 id 0"] = (pos + first * 64, "<q")
    ids_at = base + flen
    f["id table row 7"] = (ids_at + 7 * 8, "<q")
    f["float16 vector row 5001"] = (ids_at + count * 8 + 5001 * dim * 2 + 6, "<e")  # outside the 1,024 sample
    return f


EDITS = {
    "fourcc": [b"IxFI", b"\0\0\0\0"], "ivf.d": [0, -1, 64], "ivf.ntotal": [0, -1, 2 ** 40], "ivf.is_trained": [0],
    "ivf.metric": [1, 99], "nlist": [0, 1, 2 ** 40], "nprobe": [0, 2 ** 40], "quantizer.fourcc": [b"IxF2"],
    "quantizer.d": [0, 64], "quantizer.ntotal": [0, 2 ** 40], "quantizer.size": [0, 2 ** 40],
    "quantizer.row 3": [float("nan"), 0.5], "direct_map.type": [1], "direct_map.size": [2 ** 40],
    "by_residual": [0, 7], "code_size": [0, 2 ** 40], "pq.d": [0, 64], "pq.M": [0, 1, 128],
    "pq.nbits": [0, 4, 64], "pq.centroids size": [0, 2 ** 40], "pq.centroid 100": [float("inf"), 3.0],
    "invlists.fourcc": [b"il00"], "invlists.nlist": [0, 2 ** 40], "invlists.code_size": [0],
    "invlists.type": [b"sprs", b"xxxx"], "invlists.sizes size": [0, 2 ** 40],
    "invlists.size 0": [0, 2 ** 40], "invlists.size 5": [1011],
    "list 0 code byte": [255], "list 0 id 0": [10 ** 9, -1], "id table row 7": [10 ** 9],
    "float16 vector row 5001": [-0.9],
}
CASES = [(name, value) for name, values in EDITS.items() for value in values]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, DIM)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    ids = np.arange(N, dtype=np.int64) * 3 + 1
    folder = tmp_path_factory.mktemp("faiss")
    path = folder / "t.ivfpq"
    FaissIvfPqIndex(DIM).build(ids, x).save(path)
    np.save(folder / "ids.npy", ids)
    np.save(folder / "q.npy", x[[5, 5001, 9000]])
    proc = run_child(CHILD, path, folder / "ids.npy", folder / "q.npy", folder / "labels.npy")
    assert "LOADED" in proc.stdout, proc.stdout + proc.stderr
    return folder, path.read_bytes(), np.load(folder / "labels.npy")


@pytest.mark.parametrize("name,value", CASES, ids=[f"{n}={v!r}" for n, v in CASES])
def test_a_field_edit_is_refused_or_harmless(tmp_path, record, pristine, name, value):
    folder, data, expected = pristine
    offset, fmt = _fields(data)[name]
    edited = bytearray(data)
    struct.pack_into(fmt, edited, offset, value)
    path = tmp_path / "t.ivfpq"
    path.write_bytes(bytes(edited))
    proc = run_child(CHILD, path, folder / "ids.npy", folder / "q.npy", tmp_path / "labels.npy",
                     memory_limit=MEMORY_LIMIT)
    out = proc.stdout + proc.stderr
    refused = "REFUSED" in proc.stdout
    same = "LOADED" in proc.stdout and np.array_equal(np.load(tmp_path / "labels.npy"), expected)
    record("faiss index file", f"{name} = {value!r}", clear_error=refused, crash=proc.returncode < 0 or proc.returncode >= 128,
           traceback="Traceback" in out, data_lost=not (refused or same))
    assert proc.returncode == 0 and (refused or same), out[-2000:]


def test_checks_cost_is_linear_and_small(pristine):
    """The open-time walk and checksums read each byte once (figures at 1M views
    in docs/reliability.md, from benchmarks/bench_faiss_check.py)."""
    folder, data, _ = pristine
    assert FaissIvfPqIndex.validate(folder / "t.ivfpq", np.load(folder / "ids.npy"), DIM) is None
    assert faiss_ivfpq.faiss_check.MAX_NLIST >= 8192  # what _nlist() can choose
