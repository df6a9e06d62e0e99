"""The protobuf wire format's varint, shared by the two writers that encode protobuf messages
by hand (pyengine/onnx/proto.py, pyengine/utils/tensorboard_events.py): no protobuf package."""


def varint(n):
    """n as a base-128 varint; negative int64 values as their two's complement, as protobuf
    encodes them."""
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        low = n & 0x7F
        n >>= 7
        if n:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)
