"""What the compiled extension knows about CUDA: whether it was built with the toolkit, how many
devices the driver reports and their names. The only place above csrc/ that asks _C about CUDA
(pyengine/cuda.py is the public face)."""
from .. import _C


def built():
    return bool(_C.cuda_built())


def device_count():
    return int(_C.cuda_device_count())


def device_name(index):
    return _C.cuda_device_name(index)
