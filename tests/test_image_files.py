"""Image files: the built-in PNG / BMP decoders (against images written by an encoder in this
file, every PNG row filter and colour type, and against Pillow when installed), their checks of
damaged files, and keras.utils.image_dataset_from_directory / load_img / img_to_array /
ImageDataGenerator.flow_from_directory on folders of such files."""
import importlib.util
import os
import struct
import zlib

import numpy as np
import pytest

import pyengine.keras as keras
from pyengine.keras.preprocessing import image_decode
from pyengine.keras.preprocessing.image_decode import ImageDecodeError, decode_bmp, decode_png

HAS_PIL = importlib.util.find_spec("PIL") is not None


# ---- a small PNG / BMP writer (the reference the decoders are checked against) -------------
def _chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def _filter_row(row, prior, bpp, f):
    out = bytearray(len(row))
    for i, v in enumerate(row):
        a = row[i - bpp] if i >= bpp else 0
        b = prior[i]
        c = prior[i - bpp] if i >= bpp else 0
        pred = (0, a, b, (a + b) >> 1, _paeth(a, b, c))[f]
        out[i] = (v - pred) & 255
    return bytes([f]) + bytes(out)


def write_png(rows, width, ctype, depth, palette=None, trns=None, filters=(0, 1, 2, 3, 4)):
    """rows: (h, row_bytes) uint8 of packed samples; row y uses filters[y % len(filters)]."""
    bits = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[ctype] * depth
    bpp = max(1, bits // 8)
    prior, raw = bytes(rows.shape[1]), b""
    for y, r in enumerate(rows):
        raw += _filter_row(r.tobytes(), prior, bpp, filters[y % len(filters)])
        prior = r.tobytes()
    out = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, len(rows),
                                                             depth, ctype, 0, 0, 0))
    if palette is not None:
        out += _chunk(b"PLTE", palette.astype(np.uint8).tobytes())
    if trns is not None:
        out += _chunk(b"tRNS", bytes(trns))
    return out + _chunk(b"IDAT", zlib.compress(raw)) + _chunk(b"IEND", b"")


def write_bmp(img, bits=24, palette=None, top_down=False):
    h, w = img.shape[:2]
    if bits == 8:
        px = img.astype(np.uint8)
        table = np.zeros((256, 4), np.uint8)
        table[:len(palette), :3] = palette[:, ::-1]
        extra = table.tobytes()
    else:
        px = img[..., [2, 1, 0] + ([3] if bits == 32 else [])].reshape(h, -1)
        extra = b""
    stride = (w * bits // 8 + 3) & ~3
    rows = np.zeros((h, stride), np.uint8)
    rows[:, :px.shape[1]] = px
    if not top_down:
        rows = rows[::-1]
    offset = 54 + len(extra)
    header = b"BM" + struct.pack("<IHHI", offset + rows.size, 0, 0, offset)
    dib = struct.pack("<IiiHHIIiiII", 40, w, -h if top_down else h, 1, bits, 0, rows.size,
                      2835, 2835, 256 if bits == 8 else 0, 0)
    return header + dib + extra + rows.tobytes()


RNG = np.random.default_rng(0)


@pytest.mark.parametrize("ctype, channels", [(0, 1), (2, 3), (4, 2), (6, 4)])
@pytest.mark.parametrize("filters", [(0,), (1,), (2,), (3,), (4,), (0, 1, 2, 3, 4)])
def test_png_every_filter_and_colour_type(ctype, channels, filters):
    img = RNG.integers(0, 256, (6, 7, channels), dtype=np.uint8)
    data = write_png(img.reshape(6, -1), 7, ctype, 8, filters=filters)
    np.testing.assert_array_equal(decode_png(data), img)


def test_png_16_bit_keeps_the_high_byte():
    img = RNG.integers(0, 65536, (3, 5, 3)).astype(">u2")
    data = write_png(img.view(np.uint8).reshape(3, -1), 5, 2, 16, filters=(4, 1))
    np.testing.assert_array_equal(decode_png(data), (img >> 8).astype(np.uint8))


@pytest.mark.parametrize("depth", [1, 2, 4, 8])
def test_png_palette_and_low_bit_gray(depth):
    n = 1 << depth
    index = RNG.integers(0, n, (5, 11)).astype(np.uint8)
    packed = np.packbits(np.unpackbits(index[..., None], axis=2)[..., 8 - depth:]
                         .reshape(5, -1), axis=1)
    palette = RNG.integers(0, 256, (n, 3), dtype=np.uint8)
    got = decode_png(write_png(packed, 11, 3, depth, palette=palette, filters=(2, 4)))
    np.testing.assert_array_equal(got, palette[index])
    trns = list(range(n))[:3]
    rgba = decode_png(write_png(packed, 11, 3, depth, palette=palette, trns=trns))
    alpha = np.full(n, 255, np.uint8)
    alpha[:len(trns)] = trns
    np.testing.assert_array_equal(rgba[..., 3], alpha[index])
    gray = decode_png(write_png(packed, 11, 0, depth))
    np.testing.assert_array_equal(gray[..., 0], index * (255 // (n - 1)))


def test_png_damage_is_reported():
    img = RNG.integers(0, 256, (4, 4, 3), dtype=np.uint8)
    data = bytearray(write_png(img.reshape(4, -1), 4, 2, 8))
    bad_crc = bytes(data[:40]) + bytes([data[40] ^ 1]) + bytes(data[41:])
    with pytest.raises(ImageDecodeError, match="fails its CRC.*x.png"):
        decode_png(bad_crc, "x.png")
    with pytest.raises(ImageDecodeError, match="truncated|not a complete"):
        decode_png(bytes(data[:45]), "x.png")
    # a 1x1 header over data that inflates far larger: refused before it is used
    bomb = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)) \
        + _chunk(b"IDAT", zlib.compress(bytes(10_000_000))) + _chunk(b"IEND", b"")
    with pytest.raises(ImageDecodeError, match="header says 2"):
        decode_png(bomb)
    huge = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", 1 << 20, 1 << 20, 8,
                                                              0, 0, 0, 0)) + \
        _chunk(b"IDAT", zlib.compress(b"")) + _chunk(b"IEND", b"")
    with pytest.raises(ImageDecodeError, match="size 1048576x1048576 refused"):
        decode_png(huge)


def test_bad_palettes_are_reported():
    index = np.zeros((2, 3), np.uint8)
    bmp = bytearray(write_bmp(index, 8, np.zeros((4, 3), np.uint8)))
    bmp[46:50] = struct.pack("<I", 1 << 30)  # colours in the palette: absurd
    with pytest.raises(ImageDecodeError, match=r"bad BMP palette \(1073741824 colours\)"):
        decode_bmp(bytes(bmp), "p.bmp")
    png = write_png(index, 3, 3, 8, palette=np.zeros((2, 3), np.uint8))
    bad = png.replace(_chunk(b"PLTE", bytes(6)), _chunk(b"PLTE", bytes(5)))
    with pytest.raises(ImageDecodeError, match=r"bad PNG palette \(5 bytes\)"):
        decode_png(bad, "p.png")


@pytest.mark.parametrize("bits, top_down", [(24, False), (24, True), (32, False), (8, False)])
def test_bmp(bits, top_down):
    w = 5  # rows padded to 4 bytes
    if bits == 8:
        palette = RNG.integers(0, 256, (16, 3), dtype=np.uint8)
        index = RNG.integers(0, 16, (3, w)).astype(np.uint8)
        got = decode_bmp(write_bmp(index, 8, palette))
        np.testing.assert_array_equal(got, palette[index])
        return
    img = RNG.integers(0, 256, (3, w, bits // 8), dtype=np.uint8)
    got = decode_bmp(write_bmp(img, bits, top_down=top_down))
    np.testing.assert_array_equal(got, img[..., :3])
    with pytest.raises(ImageDecodeError, match="truncated"):
        decode_bmp(write_bmp(img, bits)[:-8], "y.bmp")


def test_colour_modes():
    rgba = RNG.integers(0, 256, (2, 3, 4), dtype=np.uint8)
    assert image_decode.convert(rgba, "rgb").shape == (2, 3, 3)
    gray = image_decode.convert(rgba, "grayscale")[..., 0]
    luma = rgba[..., :3].astype(np.float64) @ [0.299, 0.587, 0.114]
    assert np.abs(gray - luma).max() <= 0.5 + 1e-3
    g = rgba[..., :1]
    np.testing.assert_array_equal(image_decode.convert(g, "rgb"), np.repeat(g, 3, 2))
    assert (image_decode.convert(g, "rgba")[..., 3] == 255).all()


@pytest.mark.skipif(not HAS_PIL, reason="Pillow not installed")
@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "P"])
def test_against_pillow(tmp_path, mode):
    from PIL import Image
    img = Image.fromarray(RNG.integers(0, 256, (9, 13, 3), dtype=np.uint8)).convert(mode)
    img.save(tmp_path / "a.png", optimize=True)  # Pillow's adaptive row filters
    ref = np.asarray(img.convert("RGBA" if mode == "RGBA" else "RGB"))
    got = decode_png((tmp_path / "a.png").read_bytes())
    got = image_decode.convert(got, "rgba" if mode == "RGBA" else "rgb")
    np.testing.assert_array_equal(got, ref)
    if mode in ("RGB", "P", "L"):
        img.convert("RGB").save(tmp_path / "a.bmp")
        np.testing.assert_array_equal(decode_bmp((tmp_path / "a.bmp").read_bytes()),
                                      np.asarray(img.convert("RGB")))


@pytest.fixture(params=["builtin", "pillow"])
def decoder(request, monkeypatch):
    if request.param == "builtin":
        monkeypatch.setattr(image_decode, "_pillow", lambda: None)
    elif not HAS_PIL:
        pytest.skip("Pillow not installed")
    return request.param


def test_jpeg_without_pillow_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(image_decode, "_pillow", lambda: None)
    (tmp_path / "p.jpg").write_bytes(b"\xff\xd8\xff\xe0" + bytes(20))
    with pytest.raises(ImportError, match=r"JPEG image files needs Pillow.*p\.jpg"):
        image_decode.read_image(str(tmp_path / "p.jpg"))


def make_folder(root, counts, size=(6, 8), seed=0):
    """root/<class>/<i>.png with class c's images filled around 40 c (plus noise), size varying."""
    rng = np.random.default_rng(seed)
    images = {}
    for c, (name, n) in enumerate(counts.items()):
        os.makedirs(root / name / "sub", exist_ok=True)
        for i in range(n):
            h, w = size if i % 2 == 0 else (size[0] + 2, size[1] + 4)
            img = np.clip(40 * c + rng.integers(0, 20, (h, w, 3)), 0, 255).astype(np.uint8)
            where = root / name / ("sub" if i == n - 1 else "") / f"{i:02d}.png"
            where.write_bytes(write_png(img.reshape(h, -1), w, 2, 8, filters=(1, 4)))
            images[str(where)] = img
    (root / counts.__iter__().__next__() / "notes.txt").write_text("not an image")
    return images


def test_image_dataset_from_directory(tmp_path, decoder, capsys):
    images = make_folder(tmp_path, {"cat": 4, "dog": 3, "eel": 2})
    ds = keras.utils.image_dataset_from_directory(tmp_path, image_size=(6, 8), batch_size=4,
                                                  seed=1)
    assert "Found 9 files belonging to 3 classes." in capsys.readouterr().out
    assert ds.class_names == ["cat", "dog", "eel"] and len(ds) == 3
    assert sorted(ds.file_paths) == sorted(images) and ds.file_paths != sorted(images)
    seen = []
    for x, y in ds.as_numpy_iterator():
        assert x.dtype == np.float32 and x.shape[1:] == (6, 8, 3) and y.dtype == np.int32
        seen += list(zip(x, y))
    assert len(seen) == 9
    for x, y in seen:  # each image labelled by its folder; same-size images kept exactly
        matches = [p for p, img in images.items() if img.shape[:2] == (6, 8)
                   and np.array_equal(img, x)]
        if matches:
            assert ds.class_names[y] == os.path.basename(os.path.dirname(matches[0]).replace(
                os.sep + "sub", ""))
        assert 40 * y - 1 <= x.mean() <= 40 * y + 20  # resized ones stay in their class's range
    order1 = [tuple(y) for _, y in ds.as_numpy_iterator()]
    order2 = [tuple(y) for _, y in ds.as_numpy_iterator()]
    assert sorted(sum(order1, ())) == sorted(sum(order2, ()))  # a new order each pass


def test_label_modes_subsets_and_fit(tmp_path, decoder, capsys):
    make_folder(tmp_path, {"a": 5, "b": 5})
    kw = dict(image_size=(6, 8), batch_size=3, seed=7, verbose=False)
    _, y = next(iter(keras.utils.image_dataset_from_directory(
        tmp_path, label_mode="categorical", **kw).as_numpy_iterator()))
    assert y.shape == (3, 2) and set(y.sum(1)) == {1.0}
    _, y = next(iter(keras.utils.image_dataset_from_directory(
        tmp_path, label_mode="binary", **kw).as_numpy_iterator()))
    assert y.shape == (3, 1) and y.dtype == np.float32
    train, val = keras.utils.image_dataset_from_directory(tmp_path, validation_split=0.3,
                                                          subset="both", **kw)
    assert len(train.file_paths) == 7 and len(val.file_paths) == 3
    assert not set(train.file_paths) & set(val.file_paths)
    again = keras.utils.image_dataset_from_directory(tmp_path, validation_split=0.3,
                                                     subset="validation", **kw)
    assert again.file_paths == val.file_paths  # same seed, same split
    only = keras.utils.image_dataset_from_directory(tmp_path, labels=None, **kw)
    x = next(iter(only.as_numpy_iterator()))
    assert isinstance(x, np.ndarray) and x.shape == (3, 6, 8, 3)
    first = keras.utils.image_dataset_from_directory(tmp_path, image_size=(4, 4),
                                                     data_format="channels_first",
                                                     batch_size=None, shuffle=False,
                                                     verbose=False)
    x0, y0 = next(iter(first.as_numpy_iterator()))
    assert x0.shape == (3, 4, 4) and y0 == 0
    model = keras.Sequential([keras.Input((6, 8, 3)), keras.layers.Rescaling(1 / 255.0),
                              keras.layers.Flatten(), keras.layers.Dense(2)])
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    hist = model.fit(train, validation_data=val, epochs=2, verbose=0)
    assert len(hist.history["val_loss"]) == 2


def test_image_dataset_errors(tmp_path, monkeypatch):
    make_folder(tmp_path, {"a": 2, "b": 2, "c": 2})
    f = keras.utils.image_dataset_from_directory
    with pytest.raises(ValueError, match="directory not found"):
        f(tmp_path / "missing")
    with pytest.raises(ValueError, match="needs exactly 2 classes; found 3"):
        f(tmp_path, label_mode="binary", verbose=False)
    with pytest.raises(ValueError, match="pass a seed"):
        f(tmp_path, validation_split=0.2, subset="training")
    with pytest.raises(ValueError, match="subset and validation_split go together"):
        f(tmp_path, subset="training", seed=1)
    with pytest.raises(ValueError, match="interpolation must be one of"):
        f(tmp_path, interpolation="bicubic")
    with pytest.raises(ValueError, match="class_names must be distinct names of subfolders"):
        f(tmp_path, class_names=["a", "zebra"])
    with pytest.raises(ValueError, match="image_size must be"):
        f(tmp_path, image_size=(0, 4))
    with pytest.raises(ValueError, match="6 integers, one per image"):
        f(tmp_path, labels=[0, 1])
    os.makedirs(tmp_path / "empty")
    with pytest.raises(ValueError, match="no images found"):
        f(tmp_path / "empty")


def test_load_img_and_img_to_array(tmp_path, decoder):
    img = RNG.integers(0, 256, (6, 8, 3), dtype=np.uint8)
    (tmp_path / "i.png").write_bytes(write_png(img.reshape(6, -1), 8, 2, 8))
    got = keras.utils.load_img(tmp_path / "i.png")
    np.testing.assert_array_equal(keras.utils.img_to_array(got), img.astype(np.float32))
    small = keras.utils.img_to_array(keras.utils.load_img(tmp_path / "i.png", target_size=(3, 4)))
    assert small.shape == (3, 4, 3)
    np.testing.assert_array_equal(small, img[1::2, 1::2].astype(np.float32))  # nearest
    gray = keras.utils.img_to_array(keras.utils.load_img(tmp_path / "i.png",
                                                         color_mode="grayscale"))
    assert gray.shape == (6, 8, 1)
    assert keras.utils.img_to_array(img, data_format="channels_first").shape == (3, 6, 8)


def test_flow_from_directory(tmp_path, decoder, capsys):
    make_folder(tmp_path, {"cats": 4, "dogs": 4})
    gen = keras.preprocessing.image.ImageDataGenerator(rescale=1 / 255.0, validation_split=0.25)
    it = gen.flow_from_directory(tmp_path, target_size=(6, 8), batch_size=3, class_mode="binary",
                                 subset="training", seed=0)
    assert "Found 6 images belonging to 2 classes." in capsys.readouterr().out
    assert it.class_indices == {"cats": 0, "dogs": 1} and it.samples == 6 and len(it) == 2
    assert it.filenames[0] == os.path.join("cats", "01.png")  # 00 went to validation
    x, y = it[0]
    assert x.shape == (3, 6, 8, 3) and x.max() <= 1.0 and set(y) <= {0.0, 1.0}
    sparse = gen.flow_from_directory(tmp_path, target_size=(6, 8), class_mode="sparse",
                                     shuffle=False, subset="validation")
    x, y = sparse[0]
    assert list(y) == [0, 1] and x.shape == (2, 6, 8, 3)
    ae = gen.flow_from_directory(tmp_path, target_size=(6, 8), class_mode="input", batch_size=2)
    xa, ya = ae[0]
    assert xa is ya
    model = keras.Sequential([keras.Input((6, 8, 3)), keras.layers.Flatten(),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy")
    assert len(model.fit(it, epochs=1, verbose=0).history["loss"]) == 1
    with pytest.raises(ValueError, match="class_mode must be one of"):
        gen.flow_from_directory(tmp_path, class_mode="multi")
