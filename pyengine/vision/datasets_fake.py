"""torchvision.datasets.FakeData: `size` random images and labels, each drawn from its own seed
(index + random_offset), so item i is the same on every read and in every epoch and reading
does not move pyengine's generator (torchvision saves and restores torch's). pytorch/examples'
imagenet/main.py --dummy trains on it.

As torchvision, an image is standard-normal noise of `image_size` (C, H, W) turned into an 8-bit
picture the way ToPILImage does (x * 255 converted to uint8: truncated, wrapping modulo 256),
returned as a PIL image when Pillow is installed (else the (H, W[, C]) uint8 array, as the
other datasets here); the target is an int in [0, num_classes). The draws are NumPy's, so the
pixels are not torchvision's."""
import numpy as np

from ..utils.data import Dataset


class FakeData(Dataset):
    def __init__(self, size=1000, image_size=(3, 224, 224), num_classes=10, transform=None,
                 target_transform=None, random_offset=0):
        for what, v in (("size", size), ("num_classes", num_classes),
                        ("random_offset", random_offset)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
                raise ValueError(f"[FakeData] {what} must be a non-negative int. Received: {v!r}")
        image_size = tuple(image_size)
        if len(image_size) != 3 or any(isinstance(d, bool) or not isinstance(d, (int, np.integer))
                                       or d < 1 for d in image_size):
            raise ValueError(f"[FakeData] image_size must be (channels, height, width) of "
                             f"positive ints. Received: {image_size!r}")
        if image_size[0] not in (1, 3, 4):
            raise ValueError(f"[FakeData] images of {image_size[0]} channels cannot be pictures "
                             "(ToPILImage takes 1, 3 or 4)")
        if num_classes < 1:
            raise ValueError("[FakeData] num_classes must be at least 1")
        self.size, self.image_size, self.num_classes = int(size), image_size, int(num_classes)
        self.transform, self.target_transform = transform, target_transform
        self.random_offset = int(random_offset)

    def __len__(self):
        return self.size

    def __getitem__(self, index):
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise TypeError(f"[FakeData] index must be an int. Received: {index!r}")
        if index < 0:
            index += self.size
        if not 0 <= index < self.size:
            raise IndexError(f"FakeData index out of range: {index} for {self.size} items")
        rng = np.random.default_rng(int(index) + self.random_offset)
        noise = rng.standard_normal(self.image_size, dtype=np.float32)
        target = int(rng.integers(0, self.num_classes))
        pixels = (np.trunc(noise * 255).astype(np.int64) % 256).astype(np.uint8)
        hwc = pixels.transpose(1, 2, 0)
        img = hwc[:, :, 0] if hwc.shape[2] == 1 else np.ascontiguousarray(hwc)
        try:
            from PIL import Image
            img = Image.fromarray(img, mode={1: "L", 3: "RGB", 4: "RGBA"}[hwc.shape[2]])
        except ImportError:
            pass
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __repr__(self):
        return (f"Dataset FakeData\n    Number of datapoints: {self.size}\n"
                f"    image_size: {self.image_size}, num_classes: {self.num_classes}")
