"""Layer's defaults for Keras 3's saving hooks (keras/saving_hooks.py runs the overridden ones):
a layer's own variables in a store {"0": array, "1": ...}, no assets, and a build config
holding the input shape the layer was built for."""
import numpy as np


class SavingDefaults:
    def _own_variables(self):
        """The layer's own weights (not its sublayers'), as Keras' _trainable_variables +
        _non_trainable_variables: parameters, then persistent buffers, in creation order."""
        skip = self._non_persistent_buffers
        return [t for t in (*self._parameters.values(),
                            *(b for k, b in self._buffers.items() if k not in skip))
                if t is not None]

    def save_own_variables(self, store):
        """Writes each own variable as store[str(i)] (Keras' default)."""
        for i, v in enumerate(self._own_variables()):
            store[str(i)] = np.array(v._data)

    def load_own_variables(self, store):
        """Assigns store[str(i)] to each own variable; counts and shapes must match."""
        own = self._own_variables()
        if len(store) != len(own):
            raise ValueError(f"[load_own_variables] layer '{self.name}' expects {len(own)} "
                             f"variables, the store holds {len(store)}: {sorted(store)}")
        for i, v in enumerate(own):
            v.assign(store[str(i)])

    def save_assets(self, dir_path):
        """Writes nothing: a layer with files to keep (a vocabulary) overrides it."""

    def load_assets(self, dir_path):
        """Reads nothing (see save_assets)."""

    def get_build_config(self):
        """{"input_shape": shape} of the layer's build, or None when it was not built."""
        shape = self.__dict__.get("_build_input_shape")
        if not self.built or shape is None:
            return None
        try:
            return {"input_shape": _json_shape(shape)}
        except (TypeError, ValueError):  # a structure of shapes JSON cannot hold
            return None

    def build_from_config(self, config):
        """Builds the layer from get_build_config()'s result (load_model calls it)."""
        if config and "input_shape" in config:
            self.build(config["input_shape"])
        elif config and "shapes_dict" in config:
            self.build(**config["shapes_dict"])
        self.built = True


def _json_shape(shape):
    if isinstance(shape, dict):
        return {str(k): _json_shape(v) for k, v in shape.items()}
    if isinstance(shape, (list, tuple)):
        return [_json_shape(s) for s in shape]
    return None if shape is None else int(shape)
