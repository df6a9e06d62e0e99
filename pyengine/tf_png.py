"""tf.io.read_file / write_file and PNG decoding / encoding without Pillow (keras-io segmentation
and OCR programs read their masks and captchas with `tf.io.read_file` + `tf.io.decode_png`).

read_file gives the file's bytes as a 0-d string tensor (its array holds every byte, trailing
NULs included; decode_png reads it from there). decode_png follows the PNG specification:
8-bit greyscale, RGB, palette (with tRNS transparency), greyscale + alpha and RGBA images, and
16-bit ones (read as uint8, keeping the high byte, as TensorFlow's default dtype does;
dtype=uint16 raises: pyengine has no uint16 tensors); `channels` 0 keeps the file's channels, 1 / 3 / 4 convert (grey from RGB with the
ITU-R 601 weights TensorFlow's decoder uses, alpha 255 added). Interlaced (Adam7) files and
1 / 2 / 4-bit greyscale raise NotImplementedError naming the feature; JPEG has no decoder here
(decode_jpeg raises). encode_png writes 8-bit greyscale / grey+alpha / RGB / RGBA images."""
import struct
import zlib

import numpy as np

from .tensor import Tensor
from .tf_names import _t

_SIG = b"\x89PNG\r\n\x1a\n"
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def read_file(filename, name=None):
    path = filename.item() if isinstance(filename, np.ndarray) else filename
    path = path.decode() if isinstance(path, bytes) else str(getattr(path, "_data", path))
    with open(path, "rb") as f:
        data = f.read()
    from .tf_names import constant
    return constant(np.array(data, dtype=f"S{max(len(data), 1)}"))


def write_file(filename, contents, name=None):
    path = filename.decode() if isinstance(filename, bytes) else str(filename)
    with open(path, "wb") as f:
        f.write(_bytes(contents))


def _bytes(contents):
    if isinstance(contents, (bytes, bytearray)):
        return bytes(contents)
    a = np.asarray(getattr(contents, "_data", contents))
    if a.dtype.kind != "S" or a.ndim != 0:
        raise TypeError(f"[decode_png] contents must be a 0-d string tensor or bytes, got "
                        f"{a.dtype} of shape {a.shape}")
    return a.tobytes()


def _chunks(data):
    if data[:8] != _SIG:
        raise ValueError("[decode_png] contents are not a PNG file (bad signature)")
    pos = 8
    while pos + 8 <= len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        yield kind, data[pos + 8:pos + 8 + n]
        pos += 12 + n


def _unfilter(raw, h, row_bytes, bpp):
    out = np.zeros((h, row_bytes), np.uint8)
    prev = np.zeros(row_bytes, np.int32)
    for y in range(h):
        start = y * (row_bytes + 1)
        kind = raw[start]
        line = np.frombuffer(raw, np.uint8, row_bytes, start + 1).astype(np.int32)
        if kind == 0:
            cur = line
        elif kind == 2:
            cur = (line + prev) & 255
        elif kind in (1, 3, 4):
            cur = line.copy()
            for x in range(row_bytes):  # each byte depends on the one bpp before it
                a = cur[x - bpp] if x >= bpp else 0
                b, c = prev[x], prev[x - bpp] if x >= bpp else 0
                if kind == 1:
                    pred = a
                elif kind == 3:
                    pred = (a + b) >> 1
                else:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                cur[x] = (cur[x] + pred) & 255
        else:
            raise ValueError(f"[decode_png] unknown filter type {kind} in row {y}")
        out[y] = cur
        prev = cur
    return out


def decode_png(contents, channels=0, dtype="uint8", name=None):
    op = "decode_png"
    data = _bytes(contents)
    header, idat, palette, trns = None, [], None, None
    for kind, body in _chunks(data):
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"PLTE":
            palette = np.frombuffer(body, np.uint8).reshape(-1, 3)
        elif kind == b"tRNS":
            trns = np.frombuffer(body, np.uint8)
        elif kind == b"IDAT":
            idat.append(body)
    if header is None:
        raise ValueError(f"[{op}] no IHDR chunk")
    w, h, depth, color, _, _, interlace = header
    if interlace:
        raise NotImplementedError(f"[{op}] interlaced (Adam7) PNG files are not supported")
    if color not in _CHANNELS or depth not in (8, 16) or (color == 3 and depth != 8):
        raise NotImplementedError(f"[{op}] bit depth {depth} with colour type {color} is not "
                                  "supported (8-bit images and 16-bit non-palette ones are)")
    stored = _CHANNELS[color]
    nbytes = depth // 8
    rows = _unfilter(zlib.decompress(b"".join(idat)), h, w * stored * nbytes, stored * nbytes)
    if nbytes == 2:
        px = rows.reshape(h, w * stored, 2).astype(np.uint16)
        px = (px[..., 0] << 8 | px[..., 1]).reshape(h, w, stored)
    else:
        px = rows.reshape(h, w, stored)
    if color == 3:
        rgb = palette[px[..., 0]]
        if trns is not None:
            alpha = np.full(len(palette), 255, np.uint8)
            alpha[:len(trns)] = trns
            px = np.concatenate([rgb, alpha[px[..., 0]][..., None]], -1)
        else:
            px = rgb
    want = np.dtype(getattr(dtype, "np", dtype))
    if want == np.uint16:
        raise NotImplementedError(f"[{op}] dtype=uint16 is not supported: pyengine has no "
                                  "uint16 tensors (16-bit files decode to uint8)")
    if want != np.uint8:
        raise ValueError(f"[{op}] dtype must be uint8, got {want}")
    if px.dtype == np.uint16:
        px = (px >> 8).astype(np.uint8)
    return Tensor._wrap(_to_channels(px, int(channels), op))


def _to_channels(px, channels, op):
    have = px.shape[-1]
    if channels == 0 or channels == have:
        return np.ascontiguousarray(px)
    top = np.iinfo(px.dtype).max
    colour = px[..., :3] if have >= 3 else np.repeat(px[..., :1], 3, -1)
    alpha = px[..., have - 1:] if have in (2, 4) else np.full(px.shape[:-1] + (1,), top, px.dtype)
    if channels == 1:
        grey = colour.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
        return np.rint(grey).astype(px.dtype)[..., None]
    if channels == 3:
        return np.ascontiguousarray(colour)
    if channels == 4:
        return np.concatenate([colour, alpha], -1)
    raise ValueError(f"[{op}] channels must be 0, 1, 3 or 4, got {channels}")


def decode_jpeg(contents, channels=0, **kwargs):
    raise NotImplementedError("[decode_jpeg] pyengine has no JPEG decoder (PNG only: "
                              "tf.io.decode_png); decode JPEG files with Pillow first")


def encode_png(image, compression=-1, name=None):
    """An 8-bit (height, width, 1 / 2 / 3 / 4 channels) uint8 image as PNG bytes (a 0-d string
    tensor), rows unfiltered and zlib-compressed."""
    a = np.asarray(_t(image)._data)
    if a.ndim != 3 or a.shape[-1] not in (1, 2, 3, 4) or a.dtype != np.uint8:
        raise ValueError(f"[encode_png] image must be uint8 (height, width, 1-4 channels), got "
                         f"{a.dtype} of shape {a.shape}")
    h, w, c = a.shape
    color = {1: 0, 2: 4, 3: 2, 4: 6}[c]
    raw = b"".join(b"\x00" + a[y].tobytes() for y in range(h))

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(
            ">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    png = _SIG + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, color, 0, 0, 0)) + \
        chunk(b"IDAT", zlib.compress(raw, int(compression))) + chunk(b"IEND", b"")
    from .tf_names import constant
    return constant(np.array(png, dtype=f"S{len(png)}"))
