"""Build-time rewrite of LightGlue's exported cross-attention (issue 30).

kornia's cross-attention is written with ``torch.einsum`` and exports as ONNX
Einsum nodes. onnxruntime's CPU Einsum transposes its operands into copies before
the matrix product; for the message the other image receives,
``bhji,bhjd->bhid`` (the attention matrix read transposed), that copy of a
1024 x 1024 matrix per layer costs more than the product. The same products as
MatMul / FusedMatMul(transA) run the same MLAS kernels without the copy and give
**bitwise the same** scores (tests/engine/test_onnx_attention.py on real XFeat
pairs). ``bhid,bhjd->bhij`` is left as it is: as MatMul with a transposed operand
its floats differ in the last bits (measured), and it saves little.

Measured on LighterGlue at 1024 keypoints a side (docs/evaluation.md, "Query time"):
one intra-op thread, 16 real pairs, 228-239 -> 200-203 ms of CPU a pair.

Needs the ``onnx`` package (a build-time requirement, like torch).
"""
from __future__ import annotations

# equation -> (op, domain, attributes) computing the same product without a copy
EXACT = {
    "bhij,bhjd->bhid": ("MatMul", "", {}),
    "bhji,bhjd->bhid": ("FusedMatMul", "com.microsoft", {"transA": 1}),
}


def equation(node) -> str:
    return next(a.s.decode() for a in node.attribute if a.name == "equation").replace(" ", "")


def attention_as_matmul(model):
    """``model`` (an onnx ModelProto) with every Einsum of EXACT replaced in place;
    returns (model, number of nodes replaced)."""
    from onnx import helper

    nodes, replaced = [], 0
    for node in model.graph.node:
        if node.op_type == "Einsum" and equation(node) in EXACT:
            op, domain, attrs = EXACT[equation(node)]
            node = helper.make_node(op, list(node.input), list(node.output), name=node.name, domain=domain, **attrs)
            replaced += 1
        nodes.append(node)
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    if replaced and not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    return model, replaced
