"""torch.amp (also torch.cuda.amp, torch.autocast): the mixed-precision switches that training
scripts wire in as `torch.autocast(..., enabled=use_amp)` and `GradScaler(enabled=use_amp)`.

- autocast(enabled=False) is a no-op context, as in torch. Enabled autocast needs float16 /
  bfloat16 kernels, which pyengine does not have, so it raises NotImplementedError.
- GradScaler follows torch: on 'cuda' without a CUDA device it warns and disables itself (then
  scale() returns its input and step() just steps); enabled on the CPU it does torch's loss
  scaling (multiply by the scale, unscale the gradients before the step, skip steps whose
  gradients hold inf / NaN, grow the scale every growth_interval clean steps, back off on
  overflow), which is exact in float32."""
import math
import warnings

import numpy as np

from . import autograd as _ag

__all__ = ["autocast", "GradScaler"]


class autocast:
    def __init__(self, device_type="cuda", dtype=None, enabled=True, cache_enabled=None):
        if enabled not in (True, False):
            raise TypeError(f"[autocast] enabled must be a bool, got {enabled!r}")
        if enabled:
            raise NotImplementedError(f"[autocast] mixed precision on {device_type!r} needs "
                                      "float16 / bfloat16 kernels, which pyengine does not "
                                      "have; run with enabled=False (float32 throughout)")
        self.device_type, self.dtype, self.enabled = device_type, dtype, enabled

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            with self:
                return fn(*args, **kwargs)
        return wrapped


class GradScaler:
    def __init__(self, device="cuda", init_scale=2.0 ** 16, growth_factor=2.0,
                 backoff_factor=0.5, growth_interval=2000, enabled=True):
        if enabled and str(device).startswith("cuda"):
            from . import cuda
            if not cuda.is_available():
                warnings.warn("torch.cuda.amp.GradScaler is enabled, but CUDA is not "
                              "available. Disabling.", UserWarning, stacklevel=2)
                enabled = False
        if growth_factor <= 1.0 or not 0.0 < backoff_factor < 1.0 or growth_interval < 1:
            raise ValueError("[GradScaler] needs growth_factor > 1, 0 < backoff_factor < 1 "
                             "and growth_interval >= 1")
        self._enabled = bool(enabled)
        self._scale = float(init_scale)
        self._growth_factor, self._backoff_factor = float(growth_factor), float(backoff_factor)
        self._growth_interval, self._growth_tracker = int(growth_interval), 0
        self._per_optimizer = {}

    def is_enabled(self):
        return self._enabled

    def get_scale(self):
        return self._scale if self._enabled else 1.0

    def scale(self, outputs):
        if not self._enabled:
            return outputs
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(o) for o in outputs)
        return outputs * self._scale

    def _state(self, optimizer):
        return self._per_optimizer.setdefault(id(optimizer), {"unscaled": False,
                                                              "found_inf": False})

    def unscale_(self, optimizer):
        if not self._enabled:
            return
        state = self._state(optimizer)
        if state["unscaled"]:
            raise RuntimeError("[GradScaler.unscale_] unscale_() has already been called on "
                               "this optimizer since the last update()")
        inv = 1.0 / self._scale
        found = False
        with _ag.no_grad():
            for group in optimizer.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    g = p.grad._data
                    g *= np.asarray(inv, g.dtype)
                    found = found or not bool(np.isfinite(g).all())
        state["unscaled"], state["found_inf"] = True, found

    def step(self, optimizer, *args, **kwargs):
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        state = self._state(optimizer)
        if not state["unscaled"]:
            self.unscale_(optimizer)
        if state["found_inf"]:
            return None  # skipped, as torch does on inf / NaN gradients
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale=None):
        if not self._enabled:
            return
        if new_scale is not None:
            self._scale = float(new_scale.item() if hasattr(new_scale, "item") else new_scale)
        elif any(s["found_inf"] for s in self._per_optimizer.values()):
            self._scale *= self._backoff_factor
            self._growth_tracker = 0
        else:
            self._growth_tracker += 1
            if self._growth_tracker == self._growth_interval:
                grown = self._scale * self._growth_factor
                if math.isfinite(grown):
                    self._scale = grown
                self._growth_tracker = 0
        self._per_optimizer.clear()

    def state_dict(self):
        if not self._enabled:
            return {}
        return {"scale": self._scale, "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor,
                "growth_interval": self._growth_interval,
                "_growth_tracker": self._growth_tracker}

    def load_state_dict(self, state):
        if not self._enabled:
            return
        if not state:
            raise RuntimeError("[GradScaler.load_state_dict] the state is empty (saved from a "
                               "disabled scaler)")
        self._scale = float(state["scale"])
        self._growth_factor = float(state["growth_factor"])
        self._backoff_factor = float(state["backoff_factor"])
        self._growth_interval = int(state["growth_interval"])
        self._growth_tracker = int(state["_growth_tracker"])
