"""keras.mixed_precision (Keras 3: DTypePolicy, alias Policy; set_global_policy /
global_policy, also keras.config.set_dtype_policy / dtype_policy). pyengine computes in
float32 only: the 'float32' policy is the one that works. 'mixed_float16', 'mixed_bfloat16',
'float16' and 'bfloat16' raise NotImplementedError, because pyengine has no float16 / bfloat16
kernels (as pyengine.amp.autocast, which raises for the same reason); running them as float32
would silently be a different program. LossScaleOptimizer is not provided: loss scaling only
matters for float16 gradients."""

_HALF = ("mixed_float16", "mixed_bfloat16", "float16", "bfloat16")


class DTypePolicy:
    """name: 'float32' (compute and variable dtype float32)."""

    def __init__(self, name="float32"):
        name = getattr(name, "name", name)
        if name in _HALF:
            raise NotImplementedError(
                f"[DTypePolicy] policy {name!r} needs float16 / bfloat16 kernels, which "
                "pyengine does not have (it computes in float32; see pyengine.amp). Use "
                "'float32', or remove the mixed-precision lines: the model trains the same "
                "in float32, only without the half-precision speed-up")
        if name != "float32":
            raise ValueError(f"[DTypePolicy] unknown or unsupported policy {name!r}: pyengine "
                             "supports 'float32'")
        self._name = name

    @property
    def name(self):
        return self._name

    @property
    def compute_dtype(self):
        return "float32"

    @property
    def variable_dtype(self):
        return "float32"

    def get_config(self):
        return {"name": self._name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __eq__(self, other):
        return isinstance(other, DTypePolicy) and other.name == self.name

    def __hash__(self):
        return hash(self.name)

    def __repr__(self):
        return f'<DTypePolicy "{self._name}">'


Policy = DTypePolicy
_global = [DTypePolicy("float32")]


def set_global_policy(policy):
    """Sets the policy new layers use; a name or a DTypePolicy (None: 'float32')."""
    _global[0] = policy if isinstance(policy, DTypePolicy) else DTypePolicy(policy or "float32")


def global_policy():
    return _global[0]


set_dtype_policy, dtype_policy = set_global_policy, global_policy
