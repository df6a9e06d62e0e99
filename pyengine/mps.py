"""``pe.mps`` (torch.mps): Apple GPUs. pyengine has no MPS backend (see also
pe.backends.mps.is_available()), so there are no devices; a program that asks falls back to
the CPU."""


def is_available():
    return False


def device_count():
    return 0
