"""torch.set_default_device / get_default_device. pyengine's tensors are created on the CPU
(creation functions take device= per call), so the default device can be the CPU only: the
char-RNN tutorial calls set_default_device(device) with the CPU it chose when CUDA is absent.
Any other device is refused rather than accepted and ignored."""
from .backend import Device, checked_device


def set_default_device(device):
    if device is None:
        return
    d = checked_device(device)  # a device without a backend raises its clear error here
    if d.type != "cpu":  # cpu:0 is the CPU too
        raise NotImplementedError(f"[set_default_device] pyengine creates tensors on the CPU "
                                  f"only; pass device= to each creation function instead of "
                                  f"making {d} the default")


def get_default_device():
    return Device("cpu")
