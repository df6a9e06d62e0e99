"""pyengine.vision.transforms (ToTensor, Normalize, Compose, Lambda) and pyengine.vision.datasets
(MNIST / FashionMNIST / CIFAR10 read from torchvision's on-disk formats), as the PyTorch
tutorials and pytorch/examples mnist_rnn use them. Files are written here in those formats from
synthetic data (no network); values are checked against NumPy."""
import gzip
import os
import pickle

import numpy as np
import pytest

import pyengine as pe
import pyengine.vision as torchvision
from pyengine.vision import datasets, transforms


def _write_idx(path, arr, magic, gz=False):
    head = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    with (gzip.open if gz else open)(path, "wb") as f:
        f.write(head + arr.astype(np.uint8).tobytes())


@pytest.fixture
def mnist_root(tmp_path):
    rs = np.random.RandomState(0)
    out = {}
    for name in ("MNIST", "FashionMNIST"):
        raw = tmp_path / name / "raw"
        raw.mkdir(parents=True)
        for prefix, n, gz in (("train", 12, False), ("t10k", 5, True)):
            x = rs.randint(0, 256, (n, 28, 28)).astype(np.uint8)
            y = rs.randint(0, 10, n)
            ext = ".gz" if gz else ""
            _write_idx(str(raw / f"{prefix}-images-idx3-ubyte{ext}"), x, 0x0803, gz)
            _write_idx(str(raw / f"{prefix}-labels-idx1-ubyte{ext}"), y, 0x0801, gz)
            out[(name, prefix)] = (x, y)
    return tmp_path, out


def test_mnist_reads_idx_files_and_applies_the_tutorial_transform(mnist_root):
    root, raw = mnist_root
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    train = datasets.MNIST(str(root), train=True, download=True, transform=tf)
    x, y = raw[("MNIST", "train")]
    assert len(train) == 12 and train.data.shape == (12, 28, 28)
    assert train.targets.dtype == pe.int64 and train.targets.tolist() == y.tolist()
    img, target = train[3]
    assert isinstance(target, int) and target == y[3]
    assert img.shape == (1, 28, 28) and img.dtype == pe.float32
    np.testing.assert_allclose(img.numpy()[0], (x[3] / 255.0 - 0.1307) / 0.3081, rtol=1e-5,
                               atol=1e-6)
    test = datasets.MNIST(str(root), train=False)  # the .gz files
    assert len(test) == 5 and test.targets.tolist() == raw[("MNIST", "t10k")][1].tolist()
    loader = pe.utils.data.DataLoader(train, batch_size=4, shuffle=True)
    xb, yb = next(iter(loader))
    assert xb.shape == (4, 1, 28, 28) and yb.dtype == pe.int64
    fashion = datasets.FashionMNIST(str(root), train=False,
                                    target_transform=transforms.Lambda(lambda t: t + 100))
    assert fashion[0][1] == raw[("FashionMNIST", "t10k")][1][0] + 100
    assert fashion.classes[9] == "Ankle boot" and torchvision.datasets is datasets


def test_missing_or_corrupt_files_raise_clear_errors(tmp_path):
    with pytest.raises(RuntimeError, match="does not download"):
        datasets.MNIST(str(tmp_path), download=True)
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    _write_idx(str(raw / "train-images-idx3-ubyte"), np.zeros((2, 28, 28)), 0x0801)
    _write_idx(str(raw / "train-labels-idx1-ubyte"), np.zeros(2), 0x0801)
    with pytest.raises(ValueError, match="magic"):
        datasets.MNIST(str(tmp_path))
    with pytest.raises(RuntimeError, match="cifar-10-python"):
        datasets.CIFAR10(str(tmp_path), download=True)


def _cifar_root(tmp_path, bytes_keys):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    rs = np.random.RandomState(1)
    key = (lambda k: k.encode()) if bytes_keys else (lambda k: k)
    batches = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = rs.randint(0, 256, (3, 3072)).astype(np.uint8)
        labels = [int(v) for v in rs.randint(0, 10, 3)]
        with open(folder / name, "wb") as f:
            pickle.dump({key("data"): data, key("labels"): labels}, f, protocol=2)
        batches[name] = (data, labels)
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump({key("label_names"): ["plane", "car", "bird", "cat", "deer", "dog",
                                          "frog", "horse", "ship", "truck"]}, f, protocol=2)
    return batches


@pytest.mark.parametrize("bytes_keys", [False, True])
def test_cifar10_reads_python_batches_in_hwc_layout(tmp_path, bytes_keys):
    batches = _cifar_root(tmp_path, bytes_keys)
    train = datasets.CIFAR10(str(tmp_path), train=True)
    test = datasets.CIFAR10(str(tmp_path), train=False, transform=transforms.ToTensor())
    assert len(train) == 15 and train.data.shape == (15, 32, 32, 3)
    assert train.classes[0] == "plane" and train.class_to_idx["truck"] == 9
    data, labels = batches["test_batch"]
    img, label = test[2]
    chw = data[2].reshape(3, 32, 32)
    assert label == labels[2] and img.shape == (3, 32, 32)
    np.testing.assert_allclose(img.numpy(), chw / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(train.data[4], batches["data_batch_2"][0][1].reshape(3, 32, 32)
                                  .transpose(1, 2, 0))


def test_cifar_unpickler_refuses_anything_but_arrays(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()

    class Evil:
        def __reduce__(self):
            return (os.getcwd, ())

    for name in [f"data_batch_{i}" for i in range(1, 6)]:
        with open(folder / name, "wb") as f:
            pickle.dump({"data": Evil(), "labels": [0]}, f, protocol=2)
    with pytest.raises(pickle.UnpicklingError, match="only NumPy arrays"):
        datasets.CIFAR10(str(tmp_path))


def test_transforms_against_numpy():
    rs = np.random.RandomState(2)
    rgb = rs.randint(0, 256, (4, 5, 3)).astype(np.uint8)
    t = transforms.ToTensor()(rgb)
    assert t.shape == (3, 4, 5) and t.dtype == pe.float32
    np.testing.assert_allclose(t.numpy(), rgb.transpose(2, 0, 1) / 255.0, rtol=1e-6)
    f64 = rs.rand(4, 5).astype(np.float64)
    np.testing.assert_array_equal(transforms.ToTensor()(f64).numpy()[0], f64)  # not rescaled
    norm = transforms.Normalize((0.5, 0.25, 0.0), (0.5, 0.5, 2.0))
    want = (rgb.transpose(2, 0, 1) / 255.0 - np.array([0.5, 0.25, 0.0])[:, None, None]) / \
        np.array([0.5, 0.5, 2.0])[:, None, None]
    np.testing.assert_allclose(norm(t).numpy(), want, rtol=1e-5, atol=1e-6)
    batch = pe.stack([t, t])
    np.testing.assert_allclose(norm(batch).numpy()[1], want, rtol=1e-5, atol=1e-6)
    with pytest.raises(TypeError, match="ToTensor first"):
        norm(pe.tensor(rgb))
    with pytest.raises(TypeError, match="PIL Image or ndarray"):
        transforms.ToTensor()(t)
    with pytest.raises(TypeError, match="callable"):
        transforms.Lambda(3)
    assert "Normalize" in repr(transforms.Compose([norm]))


def test_make_grid_layout_as_torchvision():
    from pyengine.vision import utils
    rs = np.random.RandomState(3)
    imgs = rs.rand(5, 3, 4, 6).astype(np.float32)
    grid = utils.make_grid(pe.tensor(imgs), nrow=3, padding=2, pad_value=0.5).numpy()
    assert grid.shape == (3, 2 * (4 + 2) + 2, 3 * (6 + 2) + 2)
    for k in range(5):
        y, x = divmod(k, 3)
        np.testing.assert_array_equal(grid[:, 2 + y * 6:2 + y * 6 + 4, 2 + x * 8:2 + x * 8 + 6],
                                      imgs[k])
    assert grid[0, 0, 0] == 0.5 and grid[0, 8:, 18:].min() == 0.5  # padding and the empty slot
    gray = utils.make_grid(pe.tensor(imgs[:2, :1]), padding=0).numpy()
    assert gray.shape == (3, 4, 12) and np.array_equal(gray[0], gray[2])
    norm = utils.make_grid(pe.tensor(imgs * 4 - 2), normalize=True).numpy()
    assert norm.min() == pytest.approx(0.0) and norm.max() == pytest.approx(1.0)
    clipped = utils.make_grid(pe.tensor(imgs), normalize=True, value_range=(0.25, 0.75))
    assert clipped.numpy().min() >= 0 and clipped.numpy().max() <= 1
    single = utils.make_grid(pe.ones(1, 1, 3, 3))
    assert single.shape == (3, 3, 3)
    assert torchvision.utils is utils


def test_geometric_transforms_exact_on_arrays_and_tensors():
    a = np.arange(5 * 6).reshape(5, 6).astype(np.uint8)
    np.testing.assert_array_equal(transforms.CenterCrop(3)(a), a[1:4, 2:5])  # torchvision rounding
    t = pe.tensor(np.stack([a, a + 100]).astype(np.float32))  # (C, H, W)
    np.testing.assert_array_equal(transforms.CenterCrop((2, 4))(t).numpy(), t.numpy()[:, 2:4, 1:5])
    big = transforms.CenterCrop(8)(a)
    assert big.shape == (8, 8) and big[0].sum() == 0 and big[1:6, 1:7].tolist() == a.tolist()
    np.testing.assert_array_equal(transforms.RandomHorizontalFlip(1.0)(a), a[:, ::-1])
    np.testing.assert_array_equal(transforms.RandomVerticalFlip(1.0)(t).numpy(), t.numpy()[:, ::-1])
    assert transforms.RandomHorizontalFlip(0.0)(a) is a
    padded = transforms.Pad((1, 2), fill=7)(a)
    assert padded.shape == (9, 8) and padded[0, 0] == 7
    np.testing.assert_array_equal(transforms.Pad(2, padding_mode="reflect")(a),
                                  np.pad(a, 2, mode="reflect"))
    pe.manual_seed(11)
    c1 = transforms.RandomCrop(4, padding=2)(a)
    pe.manual_seed(11)
    c2 = transforms.RandomCrop(4, padding=2)(a)
    assert c1.shape == (4, 4) and np.array_equal(c1, c2)
    windows = {tuple(transforms.RandomCrop((5, 4))(a)[0]) for _ in range(40)}
    assert windows <= {tuple(a[0, j:j + 4]) for j in range(3)} and len(windows) > 1
    with pytest.raises(ValueError, match="larger"):
        transforms.RandomCrop(7)(a)
    assert transforms.RandomCrop(7, pad_if_needed=True)(a).shape == (7, 7)
    with pytest.raises(ValueError, match="padding_mode"):
        transforms.Pad(1, padding_mode="wrap")(a)


def test_cifar_augmentation_pipeline_shapes(tmp_path):
    _cifar_root(tmp_path, bytes_keys=False)
    tf = transforms.Compose([transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip(),
                             transforms.ToTensor(), transforms.Normalize((0.5,) * 3, (0.5,) * 3)])
    ds = datasets.CIFAR10(str(tmp_path), train=True, transform=tf)
    x, y = ds[0]
    assert x.shape == (3, 32, 32) and x.dtype == pe.float32 and isinstance(y, int)


def test_cifar100_reads_fine_labels(tmp_path):
    folder = tmp_path / "cifar-100-python"
    folder.mkdir()
    rs = np.random.RandomState(4)
    for name, n in (("train", 5), ("test", 3)):
        with open(folder / name, "wb") as f:
            pickle.dump({"data": rs.randint(0, 256, (n, 3072)).astype(np.uint8),
                         "fine_labels": [int(v) for v in rs.randint(0, 100, n)],
                         "coarse_labels": [0] * n}, f, protocol=2)
    with open(folder / "meta", "wb") as f:
        pickle.dump({"fine_label_names": [f"c{i}" for i in range(100)],
                     "coarse_label_names": ["x"] * 20}, f, protocol=2)
    train = datasets.CIFAR100(str(tmp_path), train=True)
    test = datasets.CIFAR100(str(tmp_path), train=False, transform=transforms.ToTensor())
    assert len(train) == 5 and len(test) == 3 and train.classes[42] == "c42"
    assert test[0][0].shape == (3, 32, 32) and 0 <= test[0][1] < 100
    with pytest.raises(RuntimeError, match="cifar-100-python.tar.gz"):
        datasets.CIFAR100(str(tmp_path / "none"))
