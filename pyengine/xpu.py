"""``pe.xpu`` (torch.xpu): Intel GPUs. pyengine has no XPU backend, so is_available() is False
and device_count() 0: current pytorch/examples programs ask `torch.xpu.is_available()` to
choose their device and then run on the CPU."""


def is_available():
    return False


def device_count():
    return 0
