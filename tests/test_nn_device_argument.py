"""Every nn layer that takes PyTorch's `device=` argument checks it: the CPU (by name or as a
pe.device) builds the layer; a device that holds no tensors raises a clear error instead of
being accepted and ignored (a layer silently left on the CPU would fail later, far away)."""
import inspect

import numpy as np
import pytest

import pyengine as pe
from pyengine import nn

# (class, positional arguments) for every layer whose constructor has a `device` parameter.
LAYERS = [
    (nn.Linear, (3, 2)),
    (nn.Bilinear, (3, 4, 2)) if hasattr(nn, "Bilinear") else None,
    (nn.Conv1d, (2, 3, 3)),
    (nn.Conv2d, (2, 3, 3)),
    (nn.Conv3d, (2, 3, 3)),
    (nn.ConvTranspose1d, (2, 3, 3)),
    (nn.ConvTranspose2d, (2, 3, 3)),
    (nn.Embedding, (5, 3)),
    (nn.EmbeddingBag, (5, 3)),
    (nn.BatchNorm1d, (3,)),
    (nn.BatchNorm2d, (3,)),
    (nn.LayerNorm, (3,)),
    (nn.RMSNorm, (3,)),
    (nn.LazyLinear, (3,)),
    (nn.GroupNorm, (2, 4)) if hasattr(nn, "GroupNorm") else None,
    (nn.InstanceNorm1d, (3,)),
    (nn.InstanceNorm2d, (3,)),
    (nn.InstanceNorm3d, (3,)),
    (nn.PReLU, ()),
    (nn.RNNBase, ("LSTM", 3, 4)),
    (nn.RNN, (3, 4)),
    (nn.LSTM, (3, 4)),
    (nn.GRU, (3, 4)),
    (nn.RNNCell, (3, 4)),
    (nn.LSTMCell, (3, 4)),
    (nn.GRUCell, (3, 4)),
    (nn.MultiheadAttention, (4, 2)),
    (nn.TransformerEncoderLayer, (4, 2, 8)),
    (nn.TransformerDecoderLayer, (4, 2, 8)),
    (nn.Transformer, (4, 2, 1, 1, 8)),
]
LAYERS = [c for c in LAYERS if c is not None]
IDS = [cls.__name__ for cls, _ in LAYERS]


def _device_layers():
    """Every Module class exported by pe.nn whose constructor takes `device`."""
    out = set()
    for name in dir(nn):
        obj = getattr(nn, name)
        if inspect.isclass(obj) and issubclass(obj, nn.Module):
            try:
                params = inspect.signature(obj.__init__).parameters
            except (TypeError, ValueError):
                continue
            if "device" in params:
                out.add(obj)
    return out


def test_table_covers_every_layer_with_a_device_argument():
    missing = {c.__name__ for c in _device_layers()} - set(IDS)
    assert not missing, f"add these layers to LAYERS: {sorted(missing)}"


@pytest.mark.parametrize("cls,args", LAYERS, ids=IDS)
@pytest.mark.parametrize("device", ["cpu", pe.device("cpu")], ids=["str", "device"])
def test_cpu_device_builds_the_same_layer(cls, args, device):
    pe.manual_seed(0)
    plain = cls(*args)
    pe.manual_seed(0)
    placed = cls(*args, device=device)
    a, b = plain.state_dict(), placed.state_dict()
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k].numpy(), b[k].numpy())
    assert all(p.device == "cpu" for p in placed.parameters())


@pytest.mark.parametrize("cls,args", LAYERS, ids=IDS)
def test_unavailable_device_raises(cls, args):
    if pe.cuda.is_available():
        pytest.skip("a CUDA device is present")
    with pytest.raises(RuntimeError, match="cuda"):
        cls(*args, device="cuda")


@pytest.mark.parametrize("cls,args", LAYERS[:3], ids=IDS[:3])
def test_unknown_device_name_raises(cls, args):
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        cls(*args, device="tpu")


def test_dtype_and_device_together():
    layer = nn.Linear(3, 2, device="cpu", dtype=pe.float64)
    assert layer.weight.dtype == pe.float64


def test_square_subsequent_mask_checks_its_device():
    m = nn.Transformer.generate_square_subsequent_mask(3, device="cpu")
    assert m.shape == (3, 3)
    if not pe.cuda.is_available():
        with pytest.raises(RuntimeError, match="cuda"):
            nn.Transformer.generate_square_subsequent_mask(3, device="cuda")


CREATORS = {
    "tensor": lambda **kw: pe.tensor([1.0, 2.0], **kw),
    "Tensor": lambda **kw: pe.Tensor([1.0, 2.0], **kw),
    "zeros": lambda **kw: pe.zeros(2, 3, **kw),
    "ones": lambda **kw: pe.ones(2, 3, **kw),
    "empty": lambda **kw: pe.empty(2, 3, **kw),
    "full": lambda **kw: pe.full((2, 3), 1.5, **kw),
    "arange": lambda **kw: pe.arange(4, **kw),
    "linspace": lambda **kw: pe.linspace(0, 1, 5, **kw),
    "eye": lambda **kw: pe.eye(3, **kw),
    "rand": lambda **kw: pe.rand(2, 3, **kw),
    "randn": lambda **kw: pe.randn(2, 3, **kw),
    "randint": lambda **kw: pe.randint(0, 5, (4,), **kw),
    "zeros_like": lambda **kw: pe.zeros_like(pe.ones(2), **kw),
    "randn_like": lambda **kw: pe.randn_like(pe.ones(2), **kw),
    "full_like": lambda **kw: pe.full_like(pe.ones(2), 3.0, **kw),
    "randint_like": lambda **kw: pe.randint_like(pe.ones(2), 0, 5, **kw),
}


@pytest.mark.parametrize("name", sorted(CREATORS))
def test_tensor_creation_checks_device(name):
    make = CREATORS[name]
    assert make(device="cpu").device == "cpu"
    assert make(device=pe.device("cpu")).device == "cpu"
    with pytest.raises(ValueError, match="unknown device"):
        make(device="tpu")
    if not pe.cuda.is_available():
        with pytest.raises(RuntimeError, match="cuda"):
            make(device="cuda")


def test_device_is_checked_before_allocating():
    # An impossible size must not be allocated only to then reject the device.
    with pytest.raises(ValueError, match="unknown device"):
        pe.zeros(1 << 40, device="tpu")


@pytest.mark.skipif(pe.cuda.is_available(), reason="checks the error of a machine without CUDA")
def test_an_integer_device_is_a_cuda_index_as_in_pytorch():
    """`x.to(local_rank)`, `model.to(0)`, `device=0`: PyTorch reads an int as a CUDA device's
    index, so here it is a CUDA device too, with the clear error of a machine without one (it
    was taken for a dtype: 'cannot interpret 0 as a pyengine dtype')."""
    assert pe.device(0) == "cuda:0" and pe.device(np.int64(1)) == pe.device("cuda:1")
    with pytest.raises(ValueError, match="non-negative"):
        pe.device(-1)
    with pytest.raises(TypeError, match="device must be a string"):
        pe.device(True)  # a bool is not an index
    x = pe.zeros(2)
    for call in (lambda: x.to(0), lambda: x.to(np.int32(0)), lambda: x.to(0, pe.float64),
                 lambda: nn.Linear(2, 2).to(0), lambda: pe.zeros(2, device=0)):
        with pytest.raises(RuntimeError, match="cannot use cuda:0"):
            call()
    assert x.to("cpu", pe.float64).dtype == pe.float64  # the other forms are unchanged


def test_tensorflow_device_names_and_scopes():
    assert pe.device("/CPU:0") == "cpu:0" and pe.device("/device:GPU:1") == "cuda:1"
    assert pe.device("/job:localhost/replica:0/task:0/device:CPU:0").type == "cpu"
    assert pe.device("/CPU") == "cpu"
    assert pe.device("GPU:0") == "cuda:0"
    with pe.device("/CPU:0"), pe.device("cpu"):
        assert pe.ones(2).device == "cpu"
    with pe.device("/GPU:0"):  # TF 2's soft placement: no GPU, the CPU computes
        assert pe.ones(2).device == "cpu"
    with pytest.raises(ValueError, match="TensorFlow's '/CPU:0'"):
        pe.device("/TPU:0")
    if not pe.cuda.is_available():
        with pytest.raises(RuntimeError, match="cannot use cuda:0"):
            with pe.device("cuda"):
                pass
