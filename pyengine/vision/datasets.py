"""torchvision.datasets.MNIST / FashionMNIST / CIFAR10 read from the files torchvision keeps
on disk, so `datasets.MNIST('../data', train=True, download=True, transform=...)` runs
unchanged where the files are present (pyengine downloads nothing: download=True only checks
that they exist, and their absence is a RuntimeError that says where to put them).

- MNIST / FashionMNIST: root/<Name>/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]
  (the IDX format: big-endian magic 0x0803 / 0x0801 and sizes, then uint8 data).
- CIFAR10: root/cifar-10-batches-py/{data_batch_1..5, test_batch, batches.meta}, and CIFAR100:
  root/cifar-100-python/{train, test, meta} (fine labels), the Python version's pickles, read by an unpickler that admits only NumPy arrays and plain containers
  (any other global in the file is refused).
- STL10: root/stl10_binary/{train,test}_{X,y}.bin, unlabeled_X.bin (uint8, 3 x 96 x 96 images
  stored column-major; labels 1-10), class_names.txt, fold_indices.txt.

- ImageFolder / DatasetFolder: root/<class>/**/<file>, classes sorted by folder name (as
  torchvision); ImageFolder's default loader gives an RGB PIL image with Pillow, else the
  (H, W, 3) uint8 array of a PNG or BMP file (decoded without Pillow; JPEG needs Pillow).

Items are (image, target): a PIL image when Pillow is installed (as torchvision), else the
NumPy uint8 array ((H, W) for MNIST, (H, W, 3) for CIFAR); `.data`, `.targets` and `.classes`
as torchvision."""
import gzip
import os
import pickle

import numpy as np

from ..creation import tensor
from ..utils.data import Dataset

__all__ = ["MNIST", "FashionMNIST", "CIFAR10", "CIFAR100", "STL10", "DatasetFolder",
           "ImageFolder"]


def _to_image(arr, mode):
    try:
        from PIL import Image
    except ImportError:
        return arr
    return Image.fromarray(arr, mode=mode)


class _VisionDataset(Dataset):
    # torchvision's attribute: the images, a uint8 Tensor (MNIST) or an HWC ndarray (CIFAR10)
    data = property(lambda self: self._images)

    def __init__(self, root, transform=None, target_transform=None):
        self.root = os.path.expanduser(os.fspath(root))
        self.transform, self.target_transform = transform, target_transform

    def _finish(self, img, target):
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target


def _read_idx(path, want_magic):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"[datasets] {path} is too short to be an IDX file")
    magic = int.from_bytes(raw[:4], "big")
    if magic != want_magic:
        raise ValueError(f"[datasets] {path}: IDX magic {magic:#x}, expected {want_magic:#x}")
    ndim = magic & 0xFF
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    start = 4 + 4 * ndim
    count = int(np.prod(dims))
    if len(raw) - start != count:
        raise ValueError(f"[datasets] {path}: {len(raw) - start} data bytes for shape {dims}")
    return np.frombuffer(raw, np.uint8, count, start).reshape(dims).copy()


class MNIST(_VisionDataset):
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
               "6 - six", "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root, train=True, transform=None, target_transform=None,
                 download=False):
        super().__init__(root, transform, target_transform)
        self.train = bool(train)
        prefix = "train" if self.train else "t10k"
        images = self._find(f"{prefix}-images-idx3-ubyte", download)
        labels = self._find(f"{prefix}-labels-idx1-ubyte", download)
        self._images = tensor(_read_idx(images, 0x0803))
        self.targets = tensor(_read_idx(labels, 0x0801).astype(np.int64))
        if len(self._images) != len(self.targets):
            raise ValueError(f"[{type(self).__name__}] {len(self._images)} images but "
                             f"{len(self.targets)} labels")

    @property
    def raw_folder(self):
        return os.path.join(self.root, type(self).__name__, "raw")

    def _find(self, name, download):
        for candidate in (name, name + ".gz"):
            path = os.path.join(self.raw_folder, candidate)
            if os.path.exists(path):
                return path
        raise RuntimeError(f"[{type(self).__name__}] {name} not found in {self.raw_folder}; "
                           "pyengine does not download datasets"
                           + (" (download=True only checks for the files)" if download else "")
                           + ": put torchvision's raw files (or their .gz) there")

    def __len__(self):
        return len(self.targets)

    def __getitem__(self, index):
        img = _to_image(self._images._data[index], "L")
        return self._finish(img, int(self.targets._data[index]))

    @property
    def class_to_idx(self):
        return {c: i for i, c in enumerate(self.classes)}


class FashionMNIST(MNIST):
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickles CIFAR's batches: NumPy arrays, dtypes and plain containers only."""
    _ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray",
                                                              "_reconstruct"),
                ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "scalar"),
                ("numpy._core.multiarray", "scalar"), ("_codecs", "encode")}

    def find_class(self, module, name):
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"[CIFAR10] the batch file refers to {module}.{name}; "
                                     "only NumPy arrays and plain containers are read")


def _text(v):
    return v.decode("latin1") if isinstance(v, bytes) else v


def _load_batch(path):
    """A batch dict with str keys (the Python 2 pickles give str keys under latin1; pickles
    written by Python 3 with bytes keys are read too)."""
    with open(path, "rb") as f:
        entry = _NumpyOnlyUnpickler(f, encoding="latin1").load()
    if not isinstance(entry, dict):
        raise ValueError(f"[CIFAR10] {path} does not hold a batch dict")
    return {_text(k): v for k, v in entry.items()}


class CIFAR10(_VisionDataset):
    base_folder = "cifar-10-batches-py"
    train_list = [f"data_batch_{i}" for i in range(1, 6)]
    test_list = ["test_batch"]
    meta_file, meta_key, archive = "batches.meta", "label_names", "cifar-10-python.tar.gz"

    def __init__(self, root, train=True, transform=None, target_transform=None,
                 download=False):
        super().__init__(root, transform, target_transform)
        self.train = bool(train)
        folder = os.path.join(self.root, self.base_folder)
        data, targets = [], []
        for name in self.train_list if self.train else self.test_list:
            path = os.path.join(folder, name)
            if not os.path.exists(path):
                raise RuntimeError(f"[{type(self).__name__}] {name} not found in {folder}; "
                                   "pyengine does not download datasets"
                                   + (" (download=True only checks for the files)"
                                      if download else "")
                                   + f": extract {self.archive} there")
            entry = _load_batch(path)
            data.append(np.asarray(entry["data"], np.uint8).reshape(-1, 3, 32, 32))
            targets.extend(entry["labels"] if "labels" in entry else entry["fine_labels"])
        self._images = np.concatenate(data).transpose(0, 2, 3, 1).copy()  # HWC, as torchvision
        self.targets = [int(t) for t in targets]
        meta = os.path.join(folder, self.meta_file)
        if os.path.exists(meta):
            self.classes = [_text(c) for c in _load_batch(meta)[self.meta_key]]
        elif type(self) is CIFAR10:
            self.classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog",
                            "horse", "ship", "truck"]
        else:
            raise RuntimeError(f"[{type(self).__name__}] {self.meta_file} not found in {folder}")
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}

    def __len__(self):
        return len(self._images)

    def __getitem__(self, index):
        return self._finish(_to_image(self._images[index], "RGB"), self.targets[index])


class CIFAR100(CIFAR10):
    """The Python version's cifar-100-python/{train, test, meta}; targets are the fine labels."""
    base_folder = "cifar-100-python"
    train_list, test_list = ["train"], ["test"]
    meta_file, meta_key, archive = "meta", "fine_label_names", "cifar-100-python.tar.gz"


class STL10(_VisionDataset):
    """STL-10 from its binary release in root/stl10_binary ({train,test}_{X,y}.bin,
    unlabeled_X.bin, class_names.txt, fold_indices.txt), as torchvision reads it: split 'train',
    'test', 'unlabeled' (targets -1) or 'train+unlabeled'; folds (0-9) picks one of the ten
    predefined training folds. `data` is (N, 3, 96, 96) uint8 and `labels` the targets, as
    torchvision's; items are (96, 96, 3) images (PIL with Pillow) and an int target. The SimCLR
    tutorial trains on the unlabeled split."""
    base_folder = "stl10_binary"
    splits = ("train", "train+unlabeled", "unlabeled", "test")
    archive = "stl10_binary.tar.gz"

    def __init__(self, root, split="train", folds=None, transform=None, target_transform=None,
                 download=False):
        super().__init__(root, transform, target_transform)
        if split not in self.splits:
            raise ValueError(f"[STL10] split must be one of {self.splits}, got {split!r}")
        if folds is not None and (isinstance(folds, bool) or not isinstance(folds, int) or
                                  not 0 <= folds <= 9):
            raise ValueError(f"[STL10] folds must be None or an int in [0, 9], got {folds!r}")
        self.split, self.folds = split, folds
        self._download = download
        if split in ("train", "train+unlabeled"):
            images, labels = self._load("train_X.bin", "train_y.bin")
            if folds is not None:
                with open(self._path("fold_indices.txt")) as f:
                    idx = np.asarray(f.read().splitlines()[folds].split(), np.int64)
                images, labels = images[idx], labels[idx]
            if split == "train+unlabeled":
                extra, _ = self._load("unlabeled_X.bin")
                images = np.concatenate((images, extra))
                labels = np.concatenate((labels, np.full(len(extra), -1, np.int64)))
        elif split == "unlabeled":
            images, _ = self._load("unlabeled_X.bin")
            labels = np.full(len(images), -1, np.int64)
        else:
            images, labels = self._load("test_X.bin", "test_y.bin")
        self._images, self.labels = images, labels
        names = os.path.join(self.root, self.base_folder, "class_names.txt")
        if os.path.exists(names):
            with open(names) as f:
                self.classes = f.read().splitlines()

    def _path(self, name):
        path = os.path.join(self.root, self.base_folder, name)
        if not os.path.exists(path):
            raise RuntimeError(f"[STL10] {name} not found in {os.path.dirname(path)}; pyengine "
                               "does not download datasets"
                               + (" (download=True only checks for the files)"
                                  if self._download else "")
                               + f": extract {self.archive} there")
        return path

    def _load(self, data_file, labels_file=None):
        labels = None
        if labels_file is not None:
            labels = np.fromfile(self._path(labels_file), dtype=np.uint8).astype(np.int64) - 1
        flat = np.fromfile(self._path(data_file), dtype=np.uint8)
        if flat.size % (3 * 96 * 96):
            raise ValueError(f"[STL10] {data_file} holds {flat.size} bytes, not a whole number "
                             "of 3 x 96 x 96 images")
        images = flat.reshape(-1, 3, 96, 96).transpose(0, 1, 3, 2)  # stored column-major
        if labels is not None and len(labels) != len(images):
            raise ValueError(f"[STL10] {labels_file} has {len(labels)} labels for "
                             f"{len(images)} images")
        return np.ascontiguousarray(images), labels

    def __len__(self):
        return len(self._images)

    def __getitem__(self, index):
        img = np.ascontiguousarray(self._images[index].transpose(1, 2, 0))
        return self._finish(_to_image(img, "RGB"), int(self.labels[index]))


IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def default_loader(path):
    """An image file as RGB: a PIL image with Pillow (as torchvision), else the (H, W, 3) uint8
    array (PNG / BMP only; other formats raise, naming Pillow)."""
    try:
        from PIL import Image
    except ImportError:
        from ..keras.preprocessing.image_decode import read_image
        return read_image(path, "rgb")
    with open(path, "rb") as f:
        return Image.open(f).convert("RGB")


def find_classes(directory):
    """(sorted class folder names, {name: index})."""
    classes = sorted(e.name for e in os.scandir(directory) if e.is_dir())
    if not classes:
        raise FileNotFoundError(f"[ImageFolder] couldn't find any class folder in {directory}")
    return classes, {c: i for i, c in enumerate(classes)}


class DatasetFolder(_VisionDataset):
    """Samples in root/<class>/**/<file>: (loader(path), class index), files walked in sorted
    order (followlinks) and kept by extension (case-insensitive) or by is_valid_file."""

    def __init__(self, root, loader, extensions=None, transform=None, target_transform=None,
                 is_valid_file=None, allow_empty=False):
        super().__init__(root, transform, target_transform)
        if not os.path.isdir(self.root):
            raise FileNotFoundError(f"[{type(self).__name__}] root {self.root!r} is not a "
                                    "directory")
        classes, class_to_idx = self.find_classes(self.root)
        self.samples = self.make_dataset(self.root, class_to_idx, extensions, is_valid_file,
                                         allow_empty)
        self.loader, self.extensions = loader, extensions
        self.classes, self.class_to_idx = classes, class_to_idx
        self.targets = [t for _, t in self.samples]

    def find_classes(self, directory):
        return find_classes(directory)

    @staticmethod
    def make_dataset(directory, class_to_idx, extensions=None, is_valid_file=None,
                     allow_empty=False):
        if (extensions is None) == (is_valid_file is None):
            raise ValueError("[DatasetFolder] give exactly one of extensions and is_valid_file")
        if is_valid_file is None:
            exts = tuple(e.lower() for e in ((extensions,) if isinstance(extensions, str)
                                             else extensions))
            is_valid_file = lambda p: p.lower().endswith(exts)  # noqa: E731
        samples, empty = [], []
        for cls in sorted(class_to_idx):
            folder = os.path.join(directory, cls)
            found = [os.path.join(r, f)
                     for r, _, files in sorted(os.walk(folder, followlinks=True))
                     for f in sorted(files) if is_valid_file(os.path.join(r, f))]
            samples += [(p, class_to_idx[cls]) for p in found]
            if not found:
                empty.append(cls)
        if empty and not allow_empty:
            raise FileNotFoundError(f"[DatasetFolder] found no valid file for the classes "
                                    f"{', '.join(empty)} in {directory}"
                                    + (f"; supported extensions are {', '.join(exts)}"
                                       if extensions is not None else ""))
        return samples

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, index):
        path, target = self.samples[index]
        return self._finish(self.loader(path), target)


class ImageFolder(DatasetFolder):
    """torchvision's ImageFolder: DatasetFolder over image files (`imgs` is `samples`)."""

    def __init__(self, root, transform=None, target_transform=None, loader=default_loader,
                 is_valid_file=None, allow_empty=False):
        super().__init__(root, loader, IMG_EXTENSIONS if is_valid_file is None else None,
                         transform=transform, target_transform=target_transform,
                         is_valid_file=is_valid_file, allow_empty=allow_empty)
        self.imgs = self.samples


from .datasets_fake import FakeData  # noqa: E402  (torchvision.datasets.FakeData)
__all__.append("FakeData")
