"""keras.utils.save_img: an image array written to a file. Pillow writes it when installed
(every format it knows, its keyword arguments); without Pillow, PNG is written here with the
standard library (zlib), 8-bit grayscale / RGB / RGBA, which image_decode reads back."""
import os
import struct
import zlib

import numpy as np

from .image_dataset import to_uint8_image

_PNG_COLOR_TYPE = {1: 0, 3: 2, 4: 6}  # channels -> PNG colour type (gray, RGB, RGBA)


def encode_png(pixels):
    """PNG bytes of uint8 (h, w, 1 | 3 | 4) pixels (no filtering, zlib level 6)."""
    h, w, c = pixels.shape
    rows = np.concatenate([np.zeros((h, 1), np.uint8), pixels.reshape(h, w * c)], axis=1)

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", w, h, 8, _PNG_COLOR_TYPE[c], 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)) + chunk(b"IEND", b""))


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """keras.utils.save_img(path, x, data_format=None, file_format=None, scale=True,
    **kwargs): x (h, w, c) as array_to_img makes it (scaled to 0..255 with scale=True),
    saved in file_format (else the path's extension). kwargs go to Pillow's Image.save."""
    pixels = to_uint8_image(x, data_format, scale, "save_img")
    try:
        from PIL import Image
    except ImportError:
        Image = None
    if Image is not None:
        if pixels.shape[2] == 4 and (file_format or str(path).rsplit(".", 1)[-1]).lower() in (
                "jpg", "jpeg"):
            pixels = pixels[..., :3]  # JPEG has no alpha (Keras converts to RGB the same way)
        img = Image.fromarray(pixels[..., 0] if pixels.shape[2] == 1 else pixels)
        img.save(path, format=file_format, **kwargs)
        return
    fmt = (file_format or os.path.splitext(os.fspath(path))[1].lstrip(".")).lower()
    if fmt != "png":
        raise ImportError(f"[save_img] writing {fmt or 'this'} files needs Pillow (pip install "
                          f"pillow); without it pyengine writes PNG. Received path={path!r}, "
                          f"file_format={file_format!r}")
    if kwargs:
        raise TypeError(f"[save_img] {sorted(kwargs)} are Pillow's save options; Pillow is not "
                        f"installed and pyengine's PNG writer takes none")
    with open(path, "wb") as f:
        f.write(encode_png(pixels))
