"""The few ONNX protobuf messages an exported model needs, written with the protobuf wire format
directly (no onnx / protobuf package): varints, length-delimited fields, fixed32 floats.
Field numbers are those of onnx/onnx.proto (IR version 8, opset 17)."""
import struct

import numpy as np

from ..utils.protobuf_wire import varint as _varint

IR_VERSION = 8
OPSET = 17
# TensorProto.DataType
FLOAT, INT64, DOUBLE, INT32 = 1, 7, 11, 6
_NP_TO_ONNX = {np.dtype(np.float32): FLOAT, np.dtype(np.float64): DOUBLE,
               np.dtype(np.int64): INT64, np.dtype(np.int32): INT32}
# AttributeProto.AttributeType
_A_FLOAT, _A_INT, _A_STRING, _A_FLOATS, _A_INTS, _A_STRINGS = 1, 2, 3, 6, 7, 8


def _key(field, wire):
    return _varint(field << 3 | wire)


def f_int(field, n):
    return _key(field, 0) + _varint(int(n))


def f_bytes(field, b):
    return _key(field, 2) + _varint(len(b)) + b


def f_str(field, s):
    return f_bytes(field, s.encode("utf8"))


def f_float(field, x):
    return _key(field, 5) + struct.pack("<f", float(x))


def tensor(name, array):
    """TensorProto with raw little-endian data."""
    a = np.ascontiguousarray(array)
    if a.dtype not in _NP_TO_ONNX:
        raise TypeError(f"[onnx.export] can't store a {a.dtype} tensor ({name})")
    body = b"".join(f_int(1, d) for d in a.shape) + f_int(2, _NP_TO_ONNX[a.dtype])
    return body + f_str(8, name) + f_bytes(9, a.astype(a.dtype.newbyteorder("<")).tobytes())


def attribute(name, value):
    """AttributeProto for an int, float, str, or a list of ints / floats / strs."""
    body = f_str(1, name)
    if isinstance(value, bool) or isinstance(value, (int, np.integer)):
        return body + f_int(20, _A_INT) + f_int(3, value)
    if isinstance(value, float):
        return body + f_int(20, _A_FLOAT) + f_float(2, value)
    if isinstance(value, str):
        return body + f_int(20, _A_STRING) + f_bytes(4, value.encode())
    values = list(value)
    if values and all(isinstance(v, str) for v in values):
        return body + f_int(20, _A_STRINGS) + b"".join(f_bytes(9, v.encode()) for v in values)
    if all(isinstance(v, (int, np.integer)) for v in values):
        return body + f_int(20, _A_INTS) + b"".join(f_int(8, v) for v in values)
    return body + f_int(20, _A_FLOATS) + b"".join(f_float(7, v) for v in values)


def node(op_type, inputs, outputs, name, **attrs):
    body = b"".join(f_str(1, i) for i in inputs) + b"".join(f_str(2, o) for o in outputs)
    body += f_str(3, name) + f_str(4, op_type)
    return body + b"".join(f_bytes(5, attribute(k, v)) for k, v in sorted(attrs.items()))


def value_info(name, elem_type, shape):
    """ValueInfoProto; a None dimension is symbolic ('batch')."""
    dims = b"".join(f_bytes(1, f_str(2, "batch") if d is None else f_int(1, d)) for d in shape)
    tensor_type = f_int(1, elem_type) + f_bytes(2, dims)
    return f_str(1, name) + f_bytes(2, f_bytes(1, tensor_type))


def model(graph_nodes, initializers, inputs, outputs, name, producer_version):
    graph = b"".join(f_bytes(1, n) for n in graph_nodes) + f_str(2, name)
    graph += b"".join(f_bytes(5, t) for t in initializers)
    graph += b"".join(f_bytes(11, v) for v in inputs) + b"".join(f_bytes(12, v) for v in outputs)
    opset = f_str(1, "") + f_int(2, OPSET)
    return (f_int(1, IR_VERSION) + f_str(2, "pyengine") + f_str(3, producer_version) +
            f_bytes(7, graph) + f_bytes(8, opset))
