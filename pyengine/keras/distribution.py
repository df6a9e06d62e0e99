"""keras.distribution: Keras 3's distribution API (DeviceMesh, TensorLayout, LayoutMap,
DataParallel, ModelParallel, set_distribution) for one process on one device.

pyengine runs a model on a single device, so the only mesh it can carry out is a mesh of one
device; there every layout is the whole tensor and DataParallel / ModelParallel compute exactly
what a model without a distribution computes, as in Keras. A distribution whose mesh holds more
devices, and a multi-process initialize(), raise instead of running undistributed; data-parallel
training over processes is pyengine.distributed (MPI).

    mesh = keras.distribution.DeviceMesh((1,), ["batch"], keras.distribution.list_devices())
    keras.distribution.set_distribution(keras.distribution.DataParallel(device_mesh=mesh))
"""
import collections.abc
import contextlib
import os
import re
import warnings

import numpy as np

DEFAULT_BATCH_DIM_NAME = "batch"
_state = {"distribution": None}


def list_devices(device_type=None):
    """The devices a mesh can name: "gpu:i" for each CUDA device when device_type is None or
    "gpu" and one exists, else "cpu:0"."""
    from .. import cuda
    kind = None if device_type is None else str(device_type).lower()
    if kind not in (None, "cpu", "gpu"):
        raise ValueError(f"[keras.distribution.list_devices] device_type must be 'cpu', 'gpu' "
                         f"or None (pyengine has no {device_type!r} devices)")
    gpus = [f"gpu:{i}" for i in range(cuda.device_count())] if cuda.is_available() else []
    if kind == "gpu" and not gpus:
        raise ValueError("[keras.distribution.list_devices] no GPU is available")
    return gpus if kind != "cpu" and gpus else ["cpu:0"]


def initialize(job_addresses=None, num_processes=None, process_id=None):
    """Keras 3's multi-process set-up. The arguments default to the environment variables
    KERAS_DISTRIBUTION_JOB_ADDRESSES / _NUM_PROCESSES / _PROCESS_ID, as in Keras. One process is
    what pyengine runs here; more raise (use pyengine.distributed for data parallelism)."""
    env = os.environ
    if job_addresses is None:
        job_addresses = env.get("KERAS_DISTRIBUTION_JOB_ADDRESSES")
    if num_processes is None and "KERAS_DISTRIBUTION_NUM_PROCESSES" in env:
        num_processes = int(env["KERAS_DISTRIBUTION_NUM_PROCESSES"])
    if process_id is None and "KERAS_DISTRIBUTION_PROCESS_ID" in env:
        process_id = int(env["KERAS_DISTRIBUTION_PROCESS_ID"])
    addresses = [a for a in (job_addresses or "").split(",") if a.strip()]
    if (num_processes or 1) > 1 or len(addresses) > 1:
        raise NotImplementedError(
            f"[keras.distribution.initialize] num_processes={num_processes}, "
            f"job_addresses={job_addresses!r}: pyengine's Keras runs one process; for "
            "data-parallel training over processes use pyengine.distributed (MPI)")
    if process_id not in (None, 0):
        raise ValueError(f"[keras.distribution.initialize] process_id must be 0 for a single "
                         f"process. Received: process_id={process_id}")


class DeviceMesh:
    """A named grid of devices: shape (e.g. (2, 4)), one axis name per dimension, and the
    devices (default list_devices()), whose count must be the product of the shape."""

    def __init__(self, shape, axis_names, devices=None):
        if not shape or not axis_names:
            raise ValueError(f"[DeviceMesh] shape and axis_names cannot be empty. Received: "
                             f"shape={shape}, axis_names={axis_names}")
        if len(shape) != len(axis_names):
            raise ValueError(f"[DeviceMesh] shape and axis_names should have the same size. "
                             f"Received: shape={shape}, axis_names={axis_names}")
        devices = np.array(list_devices() if devices is None else devices)
        if int(np.prod(shape)) != devices.size:
            raise ValueError(f"[DeviceMesh] shape {tuple(shape)} does not match the number of "
                             f"devices. Received: devices.shape={devices.shape}")
        self._shape = shape
        self._axis_names = axis_names
        self._devices = devices.reshape(shape)

    shape = property(lambda self: self._shape)
    axis_names = property(lambda self: self._axis_names)
    devices = property(lambda self: self._devices)

    def __repr__(self):
        return f"<DeviceMesh shape={self.shape}, axis_names={self.axis_names}>"


class TensorLayout:
    """How a tensor's dimensions map onto mesh axes: one axis name (or None, not sharded) per
    dimension; the mesh may be given later (once)."""

    def __init__(self, axes, device_mesh=None):
        self._axes = tuple(axes)
        self._device_mesh = device_mesh
        self._validate_axes()

    axes = property(lambda self: self._axes)

    @property
    def device_mesh(self):
        return self._device_mesh

    @device_mesh.setter
    def device_mesh(self, device_mesh):
        if self._device_mesh is not None:
            raise ValueError(f"[TensorLayout] cannot override the device mesh; it is "
                             f"{self._device_mesh}")
        self._device_mesh = device_mesh
        self._validate_axes()

    def _validate_axes(self):
        if self._device_mesh is not None:
            unknown = set(self._axes) - {None} - set(self._device_mesh.axis_names)
            if unknown:
                raise ValueError(f"[TensorLayout] invalid axis names {sorted(unknown)}; the "
                                 f"mesh's are {list(self._device_mesh.axis_names)}")

    def __repr__(self):
        return f"<TensorLayout axes={self.axes}, device_mesh={self.device_mesh}>"


def _one_device(mesh, what):
    if mesh is not None and mesh.devices.size > 1:
        raise NotImplementedError(
            f"[{what}] the device mesh holds {mesh.devices.size} devices; pyengine runs a "
            "model on one device (a mesh of one device is carried out as Keras does; for "
            "data-parallel training over processes use pyengine.distributed)")


class Distribution:
    """Base class: a device mesh plus the layouts of data, variables and named tensors."""

    def __init__(self, device_mesh):
        _one_device(device_mesh, type(self).__name__)
        self._device_mesh = device_mesh

    device_mesh = property(lambda self: self._device_mesh)

    def get_data_layout(self, data_shape):
        raise NotImplementedError(f"[{type(self).__name__}] get_data_layout")

    def get_variable_layout(self, variable):
        raise NotImplementedError(f"[{type(self).__name__}] get_variable_layout")

    def get_tensor_layout(self, path):
        raise NotImplementedError(f"[{type(self).__name__}] get_tensor_layout")

    @contextlib.contextmanager
    def scope(self):
        """Makes this distribution the current one inside the block."""
        previous = distribution()
        set_distribution(self)
        try:
            yield
        finally:
            set_distribution(previous)

    def distribute_dataset(self, dataset):
        """The dataset this process reads: all of it (one process, as Keras when single)."""
        return dataset

    def __repr__(self):
        return f"<{type(self).__name__} device_mesh={self.device_mesh}>"


def _batch_layout(data_shape, batch_dim_name, mesh):
    spec = [None] * len(data_shape)
    spec[0] = batch_dim_name
    return TensorLayout(spec, mesh)


class DataParallel(Distribution):
    """Replicated variables, the batch split over the mesh's first axis. Give device_mesh or
    devices (a 1-D mesh named "batch"), or neither (list_devices())."""

    def __init__(self, device_mesh=None, devices=None, auto_shard_dataset=True):
        if device_mesh is not None:
            if not isinstance(device_mesh, DeviceMesh):
                raise ValueError(f"[DataParallel] device_mesh must be a DeviceMesh. Received: "
                                 f"{device_mesh!r} (of type {type(device_mesh).__name__})")
            if device_mesh.devices.ndim != 1:
                warnings.warn(f"[DataParallel] expected a 1-D mesh, got "
                              f"{device_mesh.devices.ndim}-D; its first axis is the "
                              "data-parallel one", stacklevel=2)
        else:
            devices = np.array(list_devices() if not devices else devices)
            device_mesh = DeviceMesh(devices.shape, [DEFAULT_BATCH_DIM_NAME], devices)
        super().__init__(device_mesh)
        self._batch_dim_name = device_mesh.axis_names[0]
        if auto_shard_dataset not in (True, False):
            raise ValueError(f"[DataParallel] auto_shard_dataset must be a bool. Received: "
                             f"{auto_shard_dataset!r}")
        # sharding a dataset splits it between processes; with one process each reads it all,
        # in Keras too, whatever this flag says
        self._auto_shard_dataset = auto_shard_dataset

    def get_data_layout(self, data_shape):
        return _batch_layout(data_shape, self._batch_dim_name, self.device_mesh)

    def get_variable_layout(self, variable):
        return TensorLayout([None] * len(variable.shape), self.device_mesh)

    def get_tensor_layout(self, path):
        return None  # data parallelism leaves intermediate tensors as they are


class ModelParallel(Distribution):
    """Variables laid out by a LayoutMap (regex keys over variable paths; unmatched ones are
    replicated); the batch split over batch_dim_name (default the mesh's first axis)."""

    def __init__(self, *, layout_map=None, batch_dim_name=None, **kwargs):
        mesh = kwargs.pop("device_mesh", None)  # the layout map's mesh is the one used
        if kwargs:
            raise TypeError(f"[ModelParallel] unexpected arguments {sorted(kwargs)}")
        if not isinstance(layout_map, LayoutMap):
            raise ValueError(f"[ModelParallel] layout_map must be a LayoutMap. Received: "
                             f"layout_map={layout_map!r}")
        if mesh is not None and mesh is not layout_map.device_mesh:
            raise ValueError("[ModelParallel] device_mesh differs from the layout map's mesh; "
                             "the layout map's mesh is the one a ModelParallel uses")
        super().__init__(layout_map.device_mesh)
        self._layout_map = layout_map
        self._batch_dim_name = batch_dim_name or self.device_mesh.axis_names[0]
        if self._batch_dim_name not in self.device_mesh.axis_names:
            raise ValueError(f"[ModelParallel] batch_dim_name {batch_dim_name!r} is not an axis "
                             f"of the mesh {list(self.device_mesh.axis_names)}")

    def get_data_layout(self, data_shape):
        return _batch_layout(data_shape, self._batch_dim_name, self.device_mesh)

    def get_variable_layout(self, variable):
        layout = self._layout_map[getattr(variable, "path", None) or variable.name]
        return layout if layout is not None else TensorLayout([None] * len(variable.shape),
                                                              self.device_mesh)

    def get_tensor_layout(self, path):
        return self._layout_map[path]


class LayoutMap(collections.abc.MutableMapping):
    """A dict from string keys to TensorLayouts whose lookup falls back to the keys as regular
    expressions searched in the queried path (one match at most; none gives None). A tuple of
    axis names is taken as a TensorLayout on this map's mesh."""

    def __init__(self, device_mesh):
        self._layout_map = collections.OrderedDict()
        self._device_mesh = device_mesh

    device_mesh = property(lambda self: self._device_mesh)

    def __getitem__(self, key):
        if key in self._layout_map:
            return self._layout_map[key]
        matches = [k for k in self._layout_map if re.search(k, key)]
        if len(matches) > 1:
            raise ValueError(f"[LayoutMap] path {key!r} matches several layout keys: {matches}; "
                             "each path may match at most one")
        return self._layout_map[matches[0]] if matches else None

    def __setitem__(self, key, layout):
        if key in self._layout_map:
            raise ValueError(f"[LayoutMap] {key!r} is already in the map (value "
                             f"{self._layout_map[key]})")
        if isinstance(layout, tuple):
            layout = TensorLayout(layout)
        if not isinstance(layout, TensorLayout):
            raise ValueError(f"[LayoutMap] a value must be a TensorLayout or a tuple of axis "
                             f"names. Received: {layout!r}")
        if layout.device_mesh is None and self._device_mesh is not None:
            layout.device_mesh = self._device_mesh
        self._layout_map[key] = layout

    def __delitem__(self, key):
        return self._layout_map.pop(key)

    def __len__(self):
        return len(self._layout_map)

    def __iter__(self):
        return iter(self._layout_map)


def distribute_tensor(tensor, layout):
    """The tensor laid out by `layout`: on one device, the tensor itself."""
    if not isinstance(layout, TensorLayout):
        raise ValueError(f"[distribute_tensor] layout must be a TensorLayout. Received: "
                         f"{layout!r}")
    _one_device(layout.device_mesh, "distribute_tensor")
    return tensor


def distribution():
    """The current distribution (None when none was set)."""
    return _state["distribution"]


def set_distribution(value):
    """Makes `value` (a Distribution, or None) the global distribution."""
    if value is not None and not isinstance(value, Distribution):
        raise ValueError(f"[set_distribution] expected a Distribution or None. Received: "
                         f"{value!r}")
    _state["distribution"] = value
