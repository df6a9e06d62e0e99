"""keras.utils.Config (Keras 3.6): a dictionary whose keys are also attributes, which can be
frozen (then every change raises). keras-io's Music Transformer keeps its hyperparameters in
one: `CONFIG = utils.Config(max_sequence_len=2048, ...)`, then `CONFIG.batch_size`."""
import copy
import json


class Config:
    __slots__ = ("config", "_frozen")

    def __init__(self, **kwargs):
        object.__setattr__(self, "config", dict(kwargs))
        object.__setattr__(self, "_frozen", False)

    # ---- freezing ----------------------------------------------------------------------------
    @property
    def frozen(self):
        return self._frozen

    def freeze(self):
        object.__setattr__(self, "_frozen", True)

    def unfreeze(self):
        object.__setattr__(self, "_frozen", False)

    def _check_mutable(self, what):
        if self._frozen:
            raise ValueError(f"[Config] cannot {what}: the config is frozen (call unfreeze())")

    # ---- attribute access ----------------------------------------------------------------------
    def __getattr__(self, name):
        try:
            return self.config[name]
        except KeyError:
            raise AttributeError(f"[Config] unknown attribute: '{name}'") from None

    def __setattr__(self, name, value):
        self._check_mutable(f"set '{name}'")
        self.config[name] = value

    def __delattr__(self, name):
        self._check_mutable(f"delete '{name}'")
        try:
            del self.config[name]
        except KeyError:
            raise AttributeError(f"[Config] unknown attribute: '{name}'") from None

    # ---- mapping ----------------------------------------------------------------------------
    def __getitem__(self, key):
        return self.config[key]

    def __setitem__(self, key, value):
        self._check_mutable(f"set '{key}'")
        self.config[key] = value

    def __delitem__(self, key):
        self._check_mutable(f"delete '{key}'")
        del self.config[key]

    def __contains__(self, key):
        return key in self.config

    def __iter__(self):
        return iter(self.config)

    def __len__(self):
        return len(self.config)

    def __eq__(self, other):
        other = other.config if isinstance(other, Config) else other
        return isinstance(other, dict) and self.config == other

    __hash__ = None

    def keys(self):
        return self.config.keys()

    def values(self):
        return self.config.values()

    def items(self):
        return self.config.items()

    def get(self, key, default=None):
        return self.config.get(key, default)

    def pop(self, *args):
        self._check_mutable("pop")
        return self.config.pop(*args)

    def update(self, *args, **kwargs):
        self._check_mutable("update")
        self.config.update(*args, **kwargs)

    def setdefault(self, key, default=None):
        if key not in self.config:
            self._check_mutable(f"set '{key}'")
        return self.config.setdefault(key, default)

    def as_dict(self):
        return copy.copy(self.config)

    def to_json(self):
        return json.dumps(self.config)

    def __getstate__(self):
        return {"config": self.config, "_frozen": self._frozen}

    def __setstate__(self, state):
        object.__setattr__(self, "config", state["config"])
        object.__setattr__(self, "_frozen", state["_frozen"])

    def __repr__(self):
        return f"<Config {self.config}>"
