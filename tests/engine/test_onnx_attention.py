"""Issue 30: LightGlue's cross-attention Einsums rewritten as MatMul / FusedMatMul at
build time (scripts/onnx_attention.py) must give bitwise the same scores.

* each rewritten equation against onnxruntime's Einsum on LighterGlue's shapes;
* the whole LighterGlue graph, with and without the rewrite, on real XFeat
  features of shared Amsterdam views (same place and other places).
"""
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
import onnxruntime as ort  # noqa: E402
from onnx import TensorProto, helper  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from onnx_attention import EXACT, attention_as_matmul, equation  # noqa: E402

from geopin.geopin_plugin.engine.models import check_built  # noqa: E402
from geopin.geopin_plugin.engine.panorama import perspective_views  # noqa: E402
from geopin.geopin_plugin.engine.registry import load_extractor  # noqa: E402
from geopin.geopin_plugin.engine.verification.lightglue import LightGlueMatcher  # noqa: E402


def _session(model):
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    return ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])


def _einsum_graph(eq):
    a, b = eq.split("->")[0].split(",")
    shape = {"b": 1, "h": 1, "i": 1024, "j": 1024, "d": 96}
    node = helper.make_node("Einsum", ["A", "B"], ["C"], name="node_einsum", equation=eq)
    graph = helper.make_graph(
        [node], "g",
        [helper.make_tensor_value_info("A", TensorProto.FLOAT, [shape[c] for c in a]),
         helper.make_tensor_value_info("B", TensorProto.FLOAT, [shape[c] for c in b])],
        [helper.make_tensor_value_info("C", TensorProto.FLOAT, None)])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]), a, b, shape


@pytest.mark.parametrize("eq", ["bhij,bhjd->bhid", "bhji,bhjd->bhid", "bhid,bhjd->bhij"])
def test_each_equation_is_rewritten_only_where_it_is_exact(eq):
    model, a, b, shape = _einsum_graph(eq)
    rng = np.random.default_rng(7)
    attn = rng.random((1, 1, 1024, 1024), np.float32)
    attn /= attn.sum(-1, keepdims=True)  # a softmax's rows, as in the graph
    feeds = {"A": attn if "j" in a and "d" not in a else rng.standard_normal([shape[c] for c in a]).astype(np.float32),
             "B": rng.standard_normal([shape[c] for c in b]).astype(np.float32)}
    before = _session(model).run(None, feeds)[0]
    rewritten, n = attention_as_matmul(model)
    assert n == (1 if eq in EXACT else 0)
    after = _session(rewritten).run(None, feeds)[0]
    if eq in EXACT:
        assert {nd.op_type for nd in rewritten.graph.node} == {EXACT[eq][0]}
        assert np.array_equal(before, after)
    else:  # left as Einsum: as MatMul its floats differ in the last bits
        assert [nd.op_type for nd in rewritten.graph.node] == ["Einsum"]


_AS_EINSUM = {op: eq for eq, (op, _, _) in EXACT.items()}


def _with_einsums(model):
    """The exported graph before the rewrite: the rewrite keeps the exporter's node names."""
    nodes, n = [], 0
    for nd in model.graph.node:
        if nd.name.startswith("node_einsum") and nd.op_type in _AS_EINSUM:
            nd = helper.make_node("Einsum", list(nd.input), list(nd.output), name=nd.name,
                                  equation=_AS_EINSUM[nd.op_type])
            n += 1
        nodes.append(nd)
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    return model, n


@pytest.mark.timeout(300)
def test_lighterglue_scores_are_bitwise_the_same_on_real_pairs(datasets_dir):
    path = check_built("lighterglue-xfeat")
    einsum, n_back = _with_einsums(onnx.load(str(path)))
    matmul, n_fwd = attention_as_matmul(onnx.load(str(path)))
    assert n_back + n_fwd == 12  # 6 layers x the two exact products, whichever form is installed
    old, new = _session(einsum), _session(matmul)
    assert {nd.op_type for nd in einsum.graph.node if nd.name.startswith("node_einsum")} == {"Einsum"}
    ext = load_extractor("xfeat-1024")
    pano = datasets_dir / "amsterdam-panoramas"
    views = {}
    for key, name in {"a": "TMX7316010203-000992_pano_0001_000323", "b": "TMX7316010203-001041_pano_0002_002709",
                      "x": "TMX7316010203-001127_pano_0000_000139"}.items():
        rgb = cv2.cvtColor(cv2.imread(str(pano / f"{name}.jpg"), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
        views[key] = [ext.extract(v) for v in perspective_views(rgb, [0, 90])]
    pairs = [(views["a"][h], views[o][h]) for o in ("b", "x") for h in (0, 1)]  # same place, other place
    for q, r in pairs:
        feeds = LightGlueMatcher.feeds(q, r, 1024)
        assert np.array_equal(old.run(None, feeds)[0], new.run(None, feeds)[0])


def test_equation_reads_the_attribute_without_spaces():
    node = helper.make_node("Einsum", ["A", "B"], ["C"], equation="bhji, bhjd -> bhid")
    assert equation(node) == "bhji,bhjd->bhid"
