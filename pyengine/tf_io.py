"""tf.io.read_file / write_file and tf.image.decode_png / decode_image / decode_jpeg /
decode_bmp / encode_png (also under tf.io) for `import pyengine as tf` (keras-io Zero-DCE maps
`read_file` + `decode_png` over a dataset of paths). File contents are a 0-d pe.string (bytes)
array, read exactly (`.tobytes()` keeps trailing zero bytes that NumPy's bytes items drop).
Decoding uses keras.utils.load_img's decoders: Pillow when installed, else PNG / BMP in NumPy;
JPEG and GIF need Pillow and say so."""
import os

import numpy as np

from .string_dtype import as_string_array
from .tensor import Tensor


def _path(op, filename):
    p = getattr(filename, "_data", filename)
    if isinstance(p, np.ndarray):
        if p.ndim != 0:
            raise ValueError(f"[tf.io.{op}] filename must be a scalar string, got shape {p.shape}")
        p = p.item()
    if isinstance(p, bytes):
        p = p.decode()
    if not isinstance(p, (str, os.PathLike)):
        raise TypeError(f"[tf.io.{op}] filename must be a string, got {type(filename).__name__}")
    return os.fspath(p)


def _bytes(op, contents):
    c = getattr(contents, "_data", contents)
    if isinstance(c, (bytes, bytearray)):
        return bytes(c)
    if isinstance(c, str):
        return c.encode()
    c = np.asarray(c)
    if c.ndim != 0 or c.dtype.kind not in "SU":
        raise TypeError(f"[{op}] contents must be a scalar string, got "
                        f"{c.dtype} of shape {c.shape}")
    return c.tobytes() if c.dtype.kind == "S" else c.item().encode()


def read_file(filename, name=None):
    """tf.io.read_file: the file's bytes as a 0-d pe.string tensor."""
    with open(_path("read_file", filename), "rb") as f:
        data = f.read()
    return as_string_array(np.array(data, dtype=f"S{max(len(data), 1)}"))


def write_file(filename, contents, name=None):
    """tf.io.write_file: contents (a string / bytes scalar) written to filename."""
    data = _bytes("tf.io.write_file", contents)
    with open(_path("write_file", filename), "wb") as f:
        f.write(data)


def _decode(op, contents, channels, dtype, kinds):
    from .keras.preprocessing import image_decode as dec
    data = _bytes(f"tf.image.{op}", contents)
    if channels not in (None, 0, 1, 3, 4):
        raise ValueError(f"[tf.image.{op}] channels must be 0, 1, 3 or 4, got {channels!r}")
    # uint16 / float32 decoding is TensorFlow's too, but pyengine has no uint16 tensors
    if np.dtype(getattr(dtype, "np", dtype)) != np.uint8:
        raise NotImplementedError(f"[tf.image.{op}] dtype={dtype!r}: only uint8 is supported "
                                  f"(convert with tf.image.convert_image_dtype)")
    png, bmp = data.startswith(b"\x89PNG\r\n\x1a\n"), data[:2] == b"BM"
    kind = "png" if png else "bmp" if bmp else "jpeg" if data[:3] == b"\xff\xd8\xff" else \
        "gif" if data[:4] == b"GIF8" else None
    if kind not in kinds:
        raise dec.ImageDecodeError(f"[tf.image.{op}] the contents are not a "
                                   f"{' / '.join(k.upper() for k in kinds)} image"
                                   + (": use tf.io.decode_bmp or decode_image" if bmp else ""))
    Image = dec._pillow()
    if Image is not None:
        import io
        with Image.open(io.BytesIO(data)) as img:
            if kind == "gif" and op != "decode_image" and getattr(img, "n_frames", 1) > 1:
                raise dec.ImageDecodeError(
                    f"[tf.image.{op}] got {img.n_frames} frames: an animated GIF decodes only "
                    f"with tf.io.decode_gif or decode_image")
            arr = np.asarray(img if img.mode in ("L", "LA", "RGB", "RGBA")
                             else img.convert("RGBA" if "A" in img.mode else "RGB"), np.uint8)
        arr = arr[..., None] if arr.ndim == 2 else arr
    elif png:
        arr = dec.decode_png(data)
    elif bmp:
        arr = dec.decode_bmp(data)
    else:
        raise ImportError(f"[tf.image.{op}] decoding {kind.upper()} needs Pillow (pip install "
                          f"pillow); without it pyengine decodes PNG and BMP")
    if channels:
        arr = dec.convert(arr, {1: "grayscale", 3: "rgb", 4: "rgba"}[channels])
    return Tensor._wrap(np.ascontiguousarray(arr))


# TensorFlow's decode_png and decode_jpeg run one kernel that looks at the bytes: each decodes
# PNG, JPEG and single-frame GIF alike (programs read PNG files saved under .jpg names through
# decode_jpeg), while BMP needs decode_bmp / decode_image.
_PNG_JPEG_GIF = ("png", "jpeg", "gif")


def decode_png(contents, channels=0, dtype="uint8", name=None):
    """tf.image.decode_png: uint8 (height, width, channels); channels 0 keeps the file's.
    JPEG and single-frame GIF contents decode too, as in TensorFlow."""
    return _decode("decode_png", contents, channels, dtype, _PNG_JPEG_GIF)


def decode_jpeg(contents, channels=0, ratio=1, fancy_upscaling=True, try_recover_truncated=False,
                acceptable_fraction=1, dct_method="", name=None):
    """tf.image.decode_jpeg: uint8 (height, width, channels); JPEG needs Pillow. PNG and
    single-frame GIF contents decode too, as in TensorFlow; ratio other than 1 is refused."""
    if ratio != 1:
        raise NotImplementedError("[tf.image.decode_jpeg] only ratio=1 is supported")
    for name, value, default in (("fancy_upscaling", fancy_upscaling, True),
                                 ("try_recover_truncated", try_recover_truncated, False),
                                 ("acceptable_fraction", acceptable_fraction, 1),
                                 ("dct_method", dct_method, "")):
        if value != default:  # Pillow's decoder has no such switch: refused, not ignored
            raise NotImplementedError(f"[tf.image.decode_jpeg] only the default {name}="
                                      f"{default!r} is supported, got {value!r}")
    if channels == 4 and _bytes("tf.image.decode_jpeg", contents)[:3] == b"\xff\xd8\xff":
        raise ValueError("[tf.image.decode_jpeg] JPEG does not support 4 channels")
    return _decode("decode_jpeg", contents, channels, "uint8", _PNG_JPEG_GIF)


def decode_bmp(contents, channels=0, name=None):
    """tf.image.decode_bmp / tf.io.decode_bmp: uint8 (height, width, channels); an 8-bit file
    gives one channel of its stored values (TensorFlow reads the bytes, not the palette:
    keras-io GauGAN's facades label maps), 24 / 32-bit files RGB / RGBA. channels 0 keeps the
    file's; 1, 3 or 4 convert."""
    from .keras.preprocessing import image_decode as dec
    data = _bytes("tf.image.decode_bmp", contents)
    if channels not in (None, 0, 1, 3, 4):
        raise ValueError(f"[tf.image.decode_bmp] channels must be 0, 1, 3 or 4, got "
                         f"{channels!r}")
    if data[:2] != b"BM":
        raise dec.ImageDecodeError("[tf.image.decode_bmp] the contents are not a BMP image")
    arr = dec.decode_bmp(data, raw_index=True)
    if channels and channels != arr.shape[-1]:
        arr = dec.convert(arr, {1: "grayscale", 3: "rgb", 4: "rgba"}[channels])
    return Tensor._wrap(np.ascontiguousarray(arr))


def decode_image(contents, channels=None, dtype="uint8", name=None, expand_animations=True):
    """tf.image.decode_image: PNG / BMP (and JPEG / GIF with Pillow) to uint8 (h, w, c)."""
    return _decode("decode_image", contents, channels, dtype, ("png", "bmp", "jpeg", "gif"))


def encode_png(image, compression=-1, name=None):
    """tf.image.encode_png: uint8 (h, w, 1 | 3 | 4) to PNG bytes (a 0-d pe.string)."""
    from .keras.preprocessing.image_encode import encode_png as _encode
    a = np.asarray(getattr(image, "_data", image))
    if a.dtype != np.uint8 or a.ndim != 3 or a.shape[2] not in (1, 3, 4):
        raise ValueError(f"[tf.image.encode_png] image must be uint8 (height, width, 1 | 3 | 4), "
                         f"got {a.dtype} {a.shape}")
    data = _encode(np.ascontiguousarray(a))
    return as_string_array(np.array(data, dtype=f"S{len(data)}"))


def decode_raw(input_bytes, out_type, little_endian=True, fixed_length=None, name=None):
    """tf.io.decode_raw: the bytes of a scalar string read as a 1-D tensor of out_type (uint8,
    int8, int16, int32, int64, float32, float64), little-endian unless little_endian=False.
    Its length must be a multiple of the type's size; fixed_length (TensorFlow's padding of
    each string to that many bytes) is not supported."""
    from . import dtypes as _dt
    if fixed_length is not None:
        raise ValueError("[io.decode_raw] fixed_length is not supported")
    raw = _bytes("io.decode_raw", input_bytes)
    want = np.dtype(_dt.as_dtype(out_type).np)
    if want.kind not in "iuf":
        raise TypeError(f"[io.decode_raw] out_type must be an integer or float type, got "
                        f"{out_type!r}")
    if len(raw) % want.itemsize:
        raise ValueError(f"[io.decode_raw] {len(raw)} bytes is not a multiple of "
                         f"{want.itemsize}, the size of {want.name}")
    order = want.newbyteorder("<" if little_endian else ">")
    return Tensor._wrap(np.frombuffer(raw, dtype=order).astype(want))
