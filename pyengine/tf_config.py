"""tf.config: the device and determinism switches TensorFlow programs call at start-up.
pyengine runs eagerly and its kernels are deterministic (a result never depends on the thread
count or on run order: DESIGN.md section 2), so the determinism and eager switches state what
already holds; list_physical_devices lists the CPU, and GPUs when CUDA tensors can be used
(pyengine.cuda.is_available())."""
import collections
import types

from . import cuda as _cuda

PhysicalDevice = collections.namedtuple("PhysicalDevice", ["name", "device_type"])
LogicalDevice = collections.namedtuple("LogicalDevice", ["name", "device_type"])

_KINDS = ("CPU", "GPU")


def list_physical_devices(device_type=None):
    """[PhysicalDevice('/physical_device:CPU:0', 'CPU'), ...]; device_type 'CPU' or 'GPU'
    filters (a GPU is listed only when pyengine can place tensors on it)."""
    if device_type is not None and str(device_type).upper() not in _KINDS:
        raise ValueError(f"[config.list_physical_devices] device_type must be 'CPU' or 'GPU'. "
                         f"Received: device_type={device_type!r}")
    devices = [PhysicalDevice("/physical_device:CPU:0", "CPU")]
    if _cuda.is_available():
        devices += [PhysicalDevice(f"/physical_device:GPU:{i}", "GPU")
                    for i in range(_cuda.device_count())]
    return [d for d in devices if device_type is None or d.device_type == device_type.upper()]


def list_logical_devices(device_type=None):
    """One logical device per physical one ('/device:CPU:0' ...): pyengine does not split a
    device into virtual ones."""
    return [LogicalDevice(d.name.replace("/physical_device:", "/device:"), d.device_type)
            for d in list_physical_devices(device_type)]


def run_functions_eagerly(run_eagerly):
    """tf.function bodies always run eagerly here (pyengine.function traces nothing): True is
    what already happens; False cannot be honoured and raises."""
    if not run_eagerly:
        raise NotImplementedError("[config.run_functions_eagerly] pyengine has no graph mode: "
                                  "functions always run eagerly")


def functions_run_eagerly():
    return True


# TensorFlow 2.0-2.2's names, kept (deprecated) by later versions
experimental_run_functions_eagerly = run_functions_eagerly
experimental_functions_run_eagerly = functions_run_eagerly


def _enable_op_determinism():
    """No change needed: pyengine's ops are deterministic already (same inputs, same seed:
    bitwise the same results), which is what this TensorFlow switch turns on."""


_jit = {"enabled": False}


def _set_jit(enabled):
    """tf.config.optimizer.set_jit: XLA auto-clustering, a speed setting (keras-io Barlow
    Twins turns it on). pyengine has no XLA: the value is recorded (get_jit returns it) and
    the ops run as they always do, with the same results."""
    if not isinstance(enabled, (bool, str)) or (isinstance(enabled, str) and enabled not in (
            "autoclustering",)):
        raise ValueError(f"[config.optimizer.set_jit] enabled must be a bool or "
                         f"'autoclustering'. Received: {enabled!r}")
    _jit["enabled"] = enabled


optimizer = types.SimpleNamespace(set_jit=_set_jit, get_jit=lambda: _jit["enabled"])

experimental = types.SimpleNamespace(enable_op_determinism=_enable_op_determinism,
                                     list_physical_devices=list_physical_devices,
                                     list_logical_devices=list_logical_devices)
