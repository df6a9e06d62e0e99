"""The `weights=` argument of the model builders. Nothing is downloaded (no network):

- None: random initialisation (torchvision's init rules).
- a path (str / os.PathLike to an existing file): a state dict saved as .safetensors
  (pe.interop), by pe.save, or as a PyTorch .pth/.pt (read with torch.load(weights_only=True),
  only when torch is installed), loaded with load_state_dict (strict: names and shapes must be
  torchvision's).
- a pretrained name ('DEFAULT', 'IMAGENET1K_V1', 'ResNet18_Weights.IMAGENET1K_V1', or the
  legacy pretrained=True): the file torchvision would download, looked up under its torchvision
  file name in $PYENGINE_HOME/models/vision/ (default ~/.pyengine/models/vision/) and in
  torch hub's checkpoint cache ($TORCH_HOME/hub/checkpoints, default
  ~/.cache/torch/hub/checkpoints); if absent, FileNotFoundError names both places and the file."""
import os

import numpy as np

_PRETRAINED = ("DEFAULT", "IMAGENET1K_V1")


def _read_state_dict(path, name):
    path = os.fspath(path)
    if path.endswith(".safetensors"):
        from ...interop import load_safetensors
        return load_safetensors(path)
    with open(path, "rb") as f:
        head = f.read(2)
    if head == b"PK" or path.endswith((".pth", ".pt")):
        try:
            import torch
        except ImportError:
            raise ValueError(f"[{name}] {path} is a PyTorch file, which needs torch to read; "
                             "convert it to .safetensors (safetensors.torch.save_file) or "
                             "install torch") from None
        sd = torch.load(path, map_location="cpu", weights_only=True)
        return {k: v.detach().numpy() for k, v in sd.items()}
    from ...io import load
    return load(path)


def search_dirs():
    from ...keras.applications.common import models_dir  # the one $PYENGINE_HOME rule
    torch_home = os.environ.get("TORCH_HOME",
                                os.path.join(os.path.expanduser("~"), ".cache", "torch"))
    return [os.path.join(models_dir(), "vision"), os.path.join(torch_home, "hub", "checkpoints")]


def resolve(weights, pretrained, name, file_name):
    """The file to load (None: random init) for the builder `name`."""
    if pretrained is not None:
        if not isinstance(pretrained, bool):
            raise ValueError(f"[{name}] pretrained must be a bool. Received: "
                             f"pretrained={pretrained!r}")
        if weights is not None:
            raise ValueError(f"[{name}] pass weights= or the legacy pretrained=, not both")
        weights = "DEFAULT" if pretrained else None
    if weights is None:
        return None
    if not isinstance(weights, (str, os.PathLike)):
        raise ValueError(f"[{name}] weights must be None, a pretrained name {_PRETRAINED} or the "
                         f"path of a state-dict file. Received: weights={weights!r}")
    text = os.fspath(weights)
    tag = text.rsplit(".", 1)[-1] if "_Weights." in text else text
    if tag in _PRETRAINED:
        stem = file_name.rsplit(".", 1)[0]
        for d in search_dirs():
            for candidate in (file_name, stem + ".safetensors"):
                if os.path.isfile(os.path.join(d, candidate)):
                    return os.path.join(d, candidate)
        raise FileNotFoundError(
            f"[{name}] weights={text!r}: pretrained weights are not downloaded (no network). "
            f"Put torchvision's file {file_name} (or {stem}.safetensors) in "
            f"{search_dirs()[0]} or {search_dirs()[1]}, or pass weights=<path of the file>")
    if not os.path.isfile(text):
        raise FileNotFoundError(f"[{name}] weights={text!r} is neither a pretrained name "
                                f"{_PRETRAINED} nor an existing file")
    return text


def load_into(model, path, name):
    sd = _read_state_dict(path, name)
    model.load_state_dict({k: np.asarray(v) if not hasattr(v, "_data") else v
                           for k, v in sd.items()})
    return model
