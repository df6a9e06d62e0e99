"""TensorBoard event files written without TensorFlow: scalars here, histograms through
utils/tensorboard_histograms.py (`EventFileWriter.write_values` of pre-encoded values).

An event file is a sequence of records (TFRecord framing): the data length as a little-endian
uint64, its masked CRC-32C, the data, and the data's masked CRC-32C. Each record's data is an
`Event` protocol buffer; the first says `file_version: "brain.Event:2"`, the others carry a
`Summary` whose values are (tag, simple_value) pairs, which TensorBoard's scalar dashboard
reads. The few protobuf fields needed are encoded by hand (field numbers from TensorFlow's
event.proto and summary.proto)."""
import os
import socket
import struct
import time

from .protobuf_wire import varint as _varint

_CRC32C_TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1  # Castagnoli, reflected
    _CRC32C_TABLE.append(_c)


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _CRC32C_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data):
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _field(number, wire_type, payload):
    key = _varint((number << 3) | wire_type)
    if wire_type == 2:  # length-delimited: strings, bytes, messages
        return key + _varint(len(payload)) + payload
    return key + payload


def event_bytes(wall_time, step=0, file_version=None, scalars=None, values=None):
    """One serialized Event: wall_time (field 1, double), step (2, int64), file_version (3,
    string) or summary (5) with a Value (tag: 1, simple_value: 2 float) per scalar, then the
    already serialized Summary.Value messages in `values`."""
    out = _field(1, 1, struct.pack("<d", wall_time)) + _field(2, 0, _varint(int(step)))
    if file_version is not None:
        out += _field(3, 2, file_version.encode())
    if scalars:
        summary = b"".join(
            _field(1, 2, _field(1, 2, str(tag).encode()) +
                   _field(2, 5, struct.pack("<f", float(value))))
            for tag, value in scalars)
        out += _field(5, 2, summary)
    if values:
        out += _field(5, 2, b"".join(_field(1, 2, v) for v in values))
    return out


def record_bytes(data):
    header = struct.pack("<Q", len(data))
    return header + struct.pack("<I", masked_crc32c(header)) + data + \
        struct.pack("<I", masked_crc32c(data))


class EventFileWriter:
    """Appends scalar events to a new `events.out.tfevents.*` file in `log_dir` (created when
    missing), named as TensorFlow names them (`suffix` '.v2', Keras' TensorBoard callback) or
    as torch's SummaryWriter does (its filename_suffix) so TensorBoard picks it up."""
    _count = 0

    def __init__(self, log_dir, suffix=".v2"):
        os.makedirs(log_dir, exist_ok=True)
        EventFileWriter._count += 1
        name = (f"events.out.tfevents.{int(time.time())}.{socket.gethostname()}."
                f"{os.getpid()}.{EventFileWriter._count}{suffix}")
        self.path = os.path.join(log_dir, name)
        self._file = open(self.path, "wb")
        self._file.write(record_bytes(event_bytes(time.time(), 0,
                                                  file_version="brain.Event:2")))
        self._file.flush()

    def scalars(self, step, values):
        """Writes {tag: number} at `step` (one event per tag, as tf.summary.scalar does)."""
        now = time.time()
        for tag, value in values.items():
            self._file.write(record_bytes(event_bytes(now, step, scalars=[(tag, value)])))
        self._file.flush()

    def write(self, wall_time, step, scalars):
        """One event at `step` holding the (tag, value) pairs."""
        self._file.write(record_bytes(event_bytes(wall_time, step, scalars=scalars)))
        self._file.flush()

    def write_values(self, wall_time, step, values):
        """One event at `step` holding serialized Summary.Value messages (histograms)."""
        self._file.write(record_bytes(event_bytes(wall_time, step, values=values)))
        self._file.flush()

    def flush(self):
        if self._file is not None:
            self._file.flush()

    def close(self):
        if self._file is not None:
            self._file.close()
            self._file = None


def read_records(path):
    """The parsed Event message ({field: [raw values]}) of each record of an event file,
    checking every record's CRCs."""
    out = []
    with open(path, "rb") as f:
        blob = f.read()
    pos = 0
    while pos < len(blob):
        header = blob[pos:pos + 8]
        (length,) = struct.unpack("<Q", header)
        if struct.unpack("<I", blob[pos + 8:pos + 12])[0] != masked_crc32c(header):
            raise ValueError(f"[read_scalars] bad length CRC at byte {pos} of {path}")
        data = blob[pos + 12:pos + 12 + length]
        if struct.unpack("<I", blob[pos + 12 + length:pos + 16 + length])[0] != \
                masked_crc32c(data):
            raise ValueError(f"[read_scalars] bad data CRC at byte {pos} of {path}")
        pos += 16 + length
        out.append(_parse(data))
    return out


def summary_values(path):
    """(step, {field: [raw values]}) of every Summary.Value in an event file, checking every
    record's CRCs: tag is field 1, simple_value 2, histo 5."""
    for fields in read_records(path):
        step = fields.get(2, [0])[0]
        for summary in fields.get(5, []):
            for value in _parse(summary).get(1, []):
                yield step, _parse(value)


def read_scalars(path):
    """[(step, tag, value)] of an event file's scalars (for tests and for reading logs back
    without TensorBoard); histograms are utils/tensorboard_histograms.read_histograms'."""
    return [(step, v[1][0].decode(), struct.unpack("<f", v[2][0])[0])
            for step, v in summary_values(path) if 2 in v]


def _parse(data):
    """{field number: [raw values]} of one protobuf message (varints as ints, fixed-width and
    length-delimited fields as bytes)."""
    fields, pos = {}, 0
    while pos < len(data):
        key, pos = _read_varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _read_varint(data, pos)
        elif wire == 1:
            value, pos = data[pos:pos + 8], pos + 8
        elif wire == 5:
            value, pos = data[pos:pos + 4], pos + 4
        elif wire == 2:
            n, pos = _read_varint(data, pos)
            value, pos = data[pos:pos + n], pos + n
        else:
            raise ValueError(f"[read_scalars] unsupported protobuf wire type {wire}")
        fields.setdefault(number, []).append(value)
    return fields


def _read_varint(data, pos):
    shift = result = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
