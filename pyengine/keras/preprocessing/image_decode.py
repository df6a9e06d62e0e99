"""Image files to uint8 arrays (height, width, channels) for keras.utils.load_img,
image_dataset_from_directory and ImageDataGenerator.flow_from_directory.

Pillow decodes when it is installed (every format it knows). Without it, PNG and BMP are
decoded here with the standard library (zlib) and NumPy, so a folder of PNG images needs no
extra package: PNG of every colour type at bit depths 1-16 (16-bit samples keep their high
byte), not interlaced; BMP uncompressed at 8 (palette), 24 and 32 bits. JPEG and GIF need
Pillow, and say so. Files are checked before their bytes are trusted: the PNG chunk CRCs, the
sizes in the headers against the data, and the decompressed size against the header's (a
small file cannot inflate into gigabytes).

Colour modes as Keras: 'rgb' (3 channels; alpha dropped, gray repeated), 'rgba' (4; opaque
alpha added), 'grayscale' (1; ITU-R 601 luma 0.299 R + 0.587 G + 0.114 B, as Pillow's 'L')."""
import struct
import zlib

import numpy as np

MODES = {"rgb": 3, "rgba": 4, "grayscale": 1}
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_MAX_PIXELS = 1 << 28  # 268 M pixels: larger headers are refused before any allocation


class ImageDecodeError(ValueError):
    pass


def _pillow():
    try:
        from PIL import Image
        return Image
    except ImportError:
        return None


def read_image(path, color_mode="rgb"):
    """The image in the file at path as uint8 (height, width, channels of color_mode)."""
    if color_mode not in MODES:
        raise ValueError(f"[load_img] color_mode must be one of {sorted(MODES)}. Received: "
                         f"color_mode={color_mode!r}")
    Image = _pillow()
    if Image is not None:
        with Image.open(path) as img:
            img = img.convert({"rgb": "RGB", "rgba": "RGBA", "grayscale": "L"}[color_mode])
            arr = np.asarray(img, np.uint8)
        return arr[..., None] if arr.ndim == 2 else arr
    with open(path, "rb") as f:
        data = f.read()
    if data.startswith(_PNG_SIGNATURE):
        arr = decode_png(data, path)
    elif data[:2] == b"BM":
        arr = decode_bmp(data, path)
    else:
        kind = "JPEG" if data[:3] == b"\xff\xd8\xff" else "GIF" if data[:4] == b"GIF8" else \
            "this"
        raise ImportError(f"[load_img] decoding {kind} image files needs Pillow (pip install "
                          f"pillow); without it pyengine reads PNG and BMP. File: {path}")
    return convert(arr, color_mode)


def convert(arr, color_mode):
    """uint8 (h, w, 1 | 2 | 3 | 4) -> the channels of color_mode."""
    c = arr.shape[2]
    gray, alpha = c in (1, 2), c in (2, 4)
    color = arr[..., :1] if gray else arr[..., :3]
    if color_mode == "grayscale":
        if gray:
            return np.ascontiguousarray(color)
        luma = color.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
        return np.clip(np.rint(luma), 0, 255).astype(np.uint8)[..., None]
    rgb = np.repeat(color, 3, axis=2) if gray else color
    if color_mode == "rgb":
        return np.ascontiguousarray(rgb)
    a = arr[..., -1:] if alpha else np.full(arr.shape[:2] + (1,), 255, np.uint8)
    return np.concatenate([rgb, a], axis=2)


# ---- PNG ----------------------------------------------------------------------------------
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
_PNG_DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}


def decode_png(data, path="<bytes>"):
    pos, header, idat, palette, trns = 8, None, [], None, None
    while pos + 12 <= len(data):
        (length,), kind = struct.unpack(">I", data[pos:pos + 4]), data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        if len(body) != length or pos + 12 + length > len(data):
            raise ImageDecodeError(f"[load_img] truncated PNG chunk {kind!r} in {path}")
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        if zlib.crc32(kind + body) != crc:
            raise ImageDecodeError(f"[load_img] corrupt PNG (chunk {kind!r} fails its CRC) in "
                                   f"{path}")
        pos += 12 + length
        if kind == b"IHDR":
            if length != 13:
                raise ImageDecodeError(f"[load_img] bad PNG header in {path}")
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"PLTE":
            if not 0 < length <= 768 or length % 3:
                raise ImageDecodeError(f"[load_img] bad PNG palette ({length} bytes) in {path}")
            palette = np.frombuffer(body, np.uint8).reshape(-1, 3)
        elif kind == b"tRNS":
            trns = body
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    if header is None or not idat:
        raise ImageDecodeError(f"[load_img] not a complete PNG image: {path}")
    w, h, depth, ctype, compression, filt, interlace = header
    if ctype not in _PNG_CHANNELS or depth not in _PNG_DEPTHS[ctype] or compression or filt:
        raise ImageDecodeError(f"[load_img] unsupported PNG (colour type {ctype}, bit depth "
                               f"{depth}) in {path}")
    if interlace:
        raise ImportError(f"[load_img] interlaced PNG needs Pillow (pip install pillow): {path}")
    if not 0 < w * h <= _MAX_PIXELS:
        raise ImageDecodeError(f"[load_img] PNG size {w}x{h} refused in {path}")
    channels = _PNG_CHANNELS[ctype]
    bits = channels * depth
    row_bytes, bpp = (w * bits + 7) // 8, max(1, bits // 8)
    expected = h * (1 + row_bytes)
    inflater = zlib.decompressobj()
    raw = inflater.decompress(b"".join(idat), expected + 1)
    if len(raw) != expected:
        raise ImageDecodeError(f"[load_img] PNG data holds {len(raw)} bytes, its header says "
                               f"{expected}: {path}")
    rows = _unfilter(np.frombuffer(raw, np.uint8).reshape(h, 1 + row_bytes), bpp, path)
    if depth < 8:
        px = np.unpackbits(rows, axis=1).reshape(h, -1, depth)[:, :w]
        px = (px * (1 << np.arange(depth - 1, -1, -1, dtype=np.uint8))).sum(2, dtype=np.uint8)
        px = px[..., None]
        if ctype == 0:  # scale 1/2/4-bit gray to 0..255
            px = px * np.uint8(255 // ((1 << depth) - 1))
    elif depth == 16:
        px = rows.reshape(h, w, channels, 2)[..., 0]  # the high byte of each big-endian sample
    else:
        px = rows.reshape(h, w, channels)
    if ctype == 3:
        if palette is None:
            raise ImageDecodeError(f"[load_img] palette PNG without a palette: {path}")
        index = px[..., 0]
        if index.max(initial=0) >= len(palette):
            raise ImageDecodeError(f"[load_img] PNG pixel outside its palette: {path}")
        rgb = palette[index]
        if trns is None:
            return rgb
        alpha = np.full(len(palette), 255, np.uint8)
        t = np.frombuffer(trns, np.uint8)[:len(palette)]
        alpha[:len(t)] = t
        return np.concatenate([rgb, alpha[index][..., None]], axis=2)
    return np.ascontiguousarray(px)


def _unfilter(rows, bpp, path):
    """Undo PNG's per-row filters (none, sub, up, average, paeth): (h, 1 + n) -> (h, n)."""
    h, n = rows.shape[0], rows.shape[1] - 1
    out = np.zeros((h, n), np.uint8)
    prior = np.zeros(n, np.uint8)
    for y in range(h):
        f, cur = rows[y, 0], rows[y, 1:]
        if f == 0:
            line = cur.copy()
        elif f == 1:  # sub: a running sum along each byte lane of a pixel (mod 256)
            pad = (-n) % bpp
            lane = np.concatenate([cur, np.zeros(pad, np.uint8)]).reshape(-1, bpp)
            line = np.cumsum(lane, axis=0, dtype=np.uint8).reshape(-1)[:n]
        elif f == 2:
            line = cur + prior  # uint8 wraps: mod 256
        elif f in (3, 4):
            line = _unfilter_sequential(cur, prior, bpp, f == 4)
        else:
            raise ImageDecodeError(f"[load_img] corrupt PNG (row filter {f}) in {path}")
        out[y] = line
        prior = out[y]
    return out


def _unfilter_sequential(cur, prior, bpp, paeth):
    """Average and Paeth depend on the byte just decoded to the left: a byte loop (Pillow, when
    installed, does this in C)."""
    x, b, r = bytearray(len(cur)), prior.tobytes(), cur.tobytes()
    for i in range(len(r)):
        a = x[i - bpp] if i >= bpp else 0
        if paeth:
            c = b[i - bpp] if i >= bpp else 0
            p = a + b[i] - c
            pa, pb, pc = abs(p - a), abs(p - b[i]), abs(p - c)
            pred = a if pa <= pb and pa <= pc else (b[i] if pb <= pc else c)
        else:
            pred = (a + b[i]) >> 1
        x[i] = (r[i] + pred) & 255
    return np.frombuffer(bytes(x), np.uint8)


# ---- BMP ----------------------------------------------------------------------------------
def decode_bmp(data, path="<bytes>", raw_index=False):
    """(h, w, 3 / 4) uint8 pixels; an 8-bit BMP's palette indices as (h, w, 1) with raw_index
    (TensorFlow's decode_bmp reads 8-bit files as one channel of the stored bytes)."""
    if len(data) < 54:
        raise ImageDecodeError(f"[load_img] truncated BMP: {path}")
    (offset,) = struct.unpack("<I", data[10:14])
    (dib,) = struct.unpack("<I", data[14:18])
    if dib < 40:
        raise ImportError(f"[load_img] this BMP header (OS/2) needs Pillow (pip install "
                          f"pillow): {path}")
    w, h, planes, bits, compression = struct.unpack("<iiHHI", data[18:34])
    (colors,) = struct.unpack("<I", data[46:50])
    if compression not in (0, 3) or bits not in (8, 24, 32) or (compression == 3 and bits != 32):
        raise ImportError(f"[load_img] BMP with {bits} bits and compression {compression} needs "
                          f"Pillow (pip install pillow): {path}")
    top_down, h = h < 0, abs(h)
    if w <= 0 or h == 0 or w * h > _MAX_PIXELS:
        raise ImageDecodeError(f"[load_img] BMP size {w}x{h} refused in {path}")
    stride = (w * bits // 8 + 3) & ~3
    if offset + stride * h > len(data):
        raise ImageDecodeError(f"[load_img] truncated BMP pixel data: {path}")
    rows = np.frombuffer(data, np.uint8, stride * h, offset).reshape(h, stride)
    if not top_down:
        rows = rows[::-1]
    if bits == 8:
        n = colors or 256
        if n > 256 or 14 + dib + 4 * n > min(offset, len(data)):
            raise ImageDecodeError(f"[load_img] bad BMP palette ({n} colours) in {path}")
        table = np.frombuffer(data, np.uint8, 4 * n, 14 + dib).reshape(n, 4)[:, 2::-1]
        index = rows[:, :w]
        if raw_index:
            return np.ascontiguousarray(index)[..., None]
        if index.max(initial=0) >= n:
            raise ImageDecodeError(f"[load_img] BMP pixel outside its palette: {path}")
        return np.ascontiguousarray(table[index])
    px = rows[:, :w * bits // 8].reshape(h, w, bits // 8)
    if bits == 24 or compression == 0:  # BGR(X): the fourth byte of BI_RGB 32-bit is unused
        return np.ascontiguousarray(px[..., 2::-1])
    # BI_BITFIELDS: the R, G, B masks follow a 40-byte header; a V3+ header also holds A's
    masks = struct.unpack("<IIII", data[54:70]) if dib >= 56 else \
        struct.unpack("<III", data[54:66]) + (0,)
    if masks[:3] != (0x00FF0000, 0x0000FF00, 0x000000FF):
        raise ImportError(f"[load_img] BMP with these bit fields needs Pillow (pip install "
                          f"pillow): {path}")
    rgb = px[..., 2::-1]
    return np.ascontiguousarray(np.concatenate([rgb, px[..., 3:]], 2) if masks[3] == 0xFF000000
                                else rgb)
