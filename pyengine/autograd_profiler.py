"""torch.autograd.profiler.profile / record_function and torch.profiler.profile for the CPU: wall
time per op, per labelled block and for backward passes, summarised by key_averages().table()
as torch prints it (the "Fundamentals of autograd" tutorial profiles `(z / x) * y` in a loop).

While a profile is active, the engine's dispatch points (Function.apply, autograd.apply1 /
apply2 / apply_tensors, the operators' bound applies in tensor.py, and autograd.backward) are
wrapped to time each call; on exit they are restored, so nothing is paid when not profiling.
Ops are named after their autograd Function (Mul, Div, Linear ...), not torch's aten:: names;
a backward pass is one "autograd::backward" event (its nodes are not timed one by one). CUDA
activity, memory, FLOP and stack recording are refused rather than ignored."""
import json
import time

from . import autograd as _ag

__all__ = ["profile", "record_function", "ProfilerActivity", "EventList"]

_ACTIVE = []  # the running profile (one at a time: the patches are process-wide)


class ProfilerActivity:
    CPU = "CPU"
    CUDA = "CUDA"


class _Event:
    __slots__ = ("name", "start", "end", "shapes", "children")

    def __init__(self, name, start, shapes=None):
        self.name, self.start, self.end, self.shapes, self.children = name, start, None, shapes, 0.0


def _shapes(args):
    return [list(a.shape) if isinstance(a, _ag.Tensor) else [] for a in args]


class _Recorder:
    def __init__(self, record_shapes):
        self.events, self.stack, self.record_shapes = [], [], record_shapes

    def begin(self, name, args=()):
        ev = _Event(name, time.perf_counter(), _shapes(args) if self.record_shapes else None)
        self.stack.append(ev)
        return ev

    def end(self, ev):
        ev.end = time.perf_counter()
        self.stack.pop()
        if self.stack:
            self.stack[-1].children += ev.end - ev.start
        self.events.append(ev)


def _timed(name_of, fn, tensors_of=lambda a: a):
    def wrapper(*args, **kwargs):
        rec = _ACTIVE[0] if _ACTIVE else None
        if rec is None:
            return fn(*args, **kwargs)
        ev = rec.begin(name_of(args), tensors_of(args))
        try:
            return fn(*args, **kwargs)
        finally:
            rec.end(ev)
    return wrapper


def _install():
    """Wrap the dispatch points; returns the list of (owner, name, original) to restore."""
    import sys
    _tensor_mod = sys.modules["pyengine.tensor"]  # (pe.tensor is the creation function)
    saved = []

    def patch(owner, name, new):
        saved.append((owner, name, owner.__dict__[name] if isinstance(owner, type)
                      else getattr(owner, name)))
        setattr(owner, name, new)

    first_is_class = lambda a: a[0].__name__  # noqa: E731
    orig_apply = _ag.Function.__dict__["apply"].__func__
    patch(_ag.Function, "apply",
          classmethod(_timed(first_is_class, orig_apply, lambda a: a[1:])))
    for name in ("apply1", "apply2"):
        patch(_ag, name, _timed(first_is_class, getattr(_ag, name), lambda a: a[1:]))
    patch(_ag, "apply_tensors", _timed(first_is_class, _ag.apply_tensors, lambda a: a[1]))
    patch(_tensor_mod, "_apply1", _ag.apply1)
    patch(_tensor_mod, "_apply2", _ag.apply2)
    for name in ("_add", "_sub", "_mul"):
        bound = getattr(_tensor_mod, name)
        op = bound.__self__.__name__
        patch(_tensor_mod, name, _timed(lambda a, op=op: op, bound))
    orig_backward = _ag.backward
    patch(_ag, "backward", _timed(lambda a: "autograd::backward", orig_backward,
                                  lambda a: a[:1]))
    return saved


def _uninstall(saved):
    for owner, name, original in reversed(saved):
        setattr(owner, name, original)


class _Average:
    def __init__(self, key):
        self.key, self.count, self.cpu_time_total, self.self_cpu_time_total = key, 0, 0.0, 0.0
        self.input_shapes = None

    @property
    def cpu_time(self):
        return self.cpu_time_total / self.count if self.count else 0.0


def _fmt_us(us):
    if us >= 1e6:
        return f"{us / 1e6:.3f}s"
    if us >= 1e3:
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


class EventList(list):
    """key_averages()' rows; table() prints them as torch's profiler table."""

    _SORT = {"self_cpu_time_total": "self_cpu_time_total", "cpu_time_total": "cpu_time_total",
             "cpu_time": "cpu_time", "count": "count", None: None}
    # device-time keys: a CPU run records no device time, so every row's is 0 and the order
    # stays as recorded (torch's CPU-only profile sorts the same way)
    _DEVICE_SORT = {f"{self_}{dev}_time{total}" for self_ in ("", "self_")
                    for dev in ("cuda", "device", "xpu", "privateuse1")
                    for total in ("", "_total")}

    def table(self, sort_by=None, row_limit=100, max_name_column_width=55, header=None,
              top_level_events_only=False):
        if sort_by not in self._SORT and sort_by not in self._DEVICE_SORT:
            raise ValueError(f"[profile.table] sort_by={sort_by!r}: use one of "
                             f"{sorted(k for k in self._SORT if k)} or a device-time key "
                             "such as 'cuda_time_total' (all 0 on the CPU)")
        if top_level_events_only:
            raise NotImplementedError("[profile.table] top_level_events_only is not supported")
        rows = list(self)
        if sort_by in self._SORT and sort_by:
            rows.sort(key=lambda r: getattr(r, sort_by), reverse=True)
        if row_limit is not None and row_limit >= 0:
            rows = rows[:row_limit]
        self_total = sum(r.self_cpu_time_total for r in self) or 1.0
        width = max([len("Name")] + [min(len(r.key), max_name_column_width) for r in rows])
        cols = ["Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg",
                "# of Calls"]
        with_shapes = any(r.input_shapes is not None for r in rows)
        line = "-" * width + "  " + "  ".join("-" * 12 for _ in cols)
        head = "Name".rjust(width) + "  " + "  ".join(c.rjust(12) for c in cols)
        if with_shapes:
            line += "  " + "-" * 30
            head += "  " + "Input Shapes".rjust(30)
        out = ([header] if header else []) + [line, head, line]
        for r in rows:
            cells = [f"{100 * r.self_cpu_time_total / self_total:.2f}%",
                     _fmt_us(r.self_cpu_time_total),
                     f"{100 * r.cpu_time_total / self_total:.2f}%", _fmt_us(r.cpu_time_total),
                     _fmt_us(r.cpu_time), str(r.count)]
            text = r.key[:max_name_column_width].rjust(width) + "  " + "  ".join(
                c.rjust(12) for c in cells)
            if with_shapes:
                text += "  " + str(r.input_shapes).rjust(30)
            out.append(text)
        out += [line, f"Self CPU time total: {_fmt_us(self_total)}"]
        return "\n".join(out) + "\n"


class profile:
    """Context manager recording CPU wall time of pyengine's ops (see the module docstring)."""

    def __init__(self, enabled=True, use_cuda=False, record_shapes=False, with_flops=False,
                 profile_memory=False, with_stack=False, with_modules=False, use_cpu=True,
                 activities=None, schedule=None, on_trace_ready=None, use_device=None):
        if use_cuda or use_device not in (None, "cpu"):
            raise RuntimeError("[profile] CUDA activity cannot be profiled: pyengine runs on "
                               "the CPU")
        if activities is not None and any(a != ProfilerActivity.CPU for a in activities):
            raise RuntimeError("[profile] only ProfilerActivity.CPU is available")
        for flag, name in ((with_flops, "with_flops"), (profile_memory, "profile_memory"),
                           (with_stack, "with_stack"), (with_modules, "with_modules"),
                           (schedule, "schedule"), (on_trace_ready, "on_trace_ready")):
            if flag:
                raise NotImplementedError(f"[profile] {name} is not supported")
        if not use_cpu:
            raise RuntimeError("[profile] use_cpu=False leaves nothing to profile")
        self.enabled, self.record_shapes = bool(enabled), bool(record_shapes)
        self._rec, self._saved = None, None

    def __enter__(self):
        if not self.enabled:
            return self
        if _ACTIVE:
            raise RuntimeError("[profile] another profile is already running")
        self._rec = _Recorder(self.record_shapes)
        self._saved = _install()
        _ACTIVE.append(self._rec)
        return self

    def __exit__(self, *exc):
        if self._saved is not None:
            _ACTIVE.clear()
            _uninstall(self._saved)
            self._saved = None

    start, stop = __enter__, lambda self: self.__exit__(None, None, None)

    def step(self):
        """torch.profiler's schedule step: a no-op without a schedule."""

    @property
    def events(self):
        return list(self._rec.events) if self._rec else []

    def key_averages(self, group_by_input_shape=False):
        groups = {}
        for ev in self.events:
            key = (ev.name, str(ev.shapes) if group_by_input_shape else None)
            row = groups.get(key)
            if row is None:
                row = groups[key] = _Average(ev.name)
                if group_by_input_shape:
                    row.input_shapes = ev.shapes
            dur = (ev.end - ev.start) * 1e6
            row.count += 1
            row.cpu_time_total += dur
            row.self_cpu_time_total += dur - ev.children * 1e6
        return EventList(groups.values())

    def table(self, *args, **kwargs):
        return self.key_averages().table(*args, **kwargs)

    def export_chrome_trace(self, path):
        """The events as a Chrome trace (chrome://tracing, Perfetto)."""
        base = min((ev.start for ev in self.events), default=0.0)
        trace = [{"name": ev.name, "ph": "X", "cat": "cpu_op", "pid": 0, "tid": 0,
                  "ts": (ev.start - base) * 1e6, "dur": (ev.end - ev.start) * 1e6}
                 for ev in self.events]
        with open(path, "w") as f:
            json.dump({"traceEvents": trace}, f)


class record_function:
    """A labelled block inside a profile (its ops count towards it; its self time excludes
    them). Also usable as a decorator."""

    def __init__(self, name, args=None):
        if not isinstance(name, str):
            raise TypeError(f"[record_function] name must be a string, got {type(name).__name__}")
        self.name, self._ev = name, None

    def __enter__(self):
        if _ACTIVE:
            self._ev = _ACTIVE[0].begin(self.name)
        return self

    def __exit__(self, *exc):
        if self._ev is not None and _ACTIVE:
            _ACTIVE[0].end(self._ev)
        self._ev = None

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            with record_function(self.name):
                return fn(*args, **kwargs)
        return wrapped
