"""torch.autograd.profiler.profile / record_function and torch.profiler.profile for the CPU: wall
time per op, per labelled block and for backward passes, summarised by key_averages().table()
as torch prints it (the "Fundamentals of autograd" tutorial profiles `(z / x) * y` in a loop).

While a profile is active, the engine's dispatch points (Function.apply, autograd.apply1 /
apply2 / apply_tensors, the operators' bound applies in tensor.py, and autograd.backward) are
wrapped to time each call; on exit they are restored, so nothing is paid when not profiling.
Ops are named after their autograd Function (Mul, Div, Linear ...), not torch's aten:: names;
a backward pass is one "autograd::backward" event (its nodes are not timed one by one).
profile_memory=True counts the bytes of the tensors each op returns ("Self CPU Mem"; "CPU Mem"
adds the ops it ran inside): pyengine's ops allocate their outputs, so that is their memory;
kernels' scratch buffers and frees are not counted. with_stack=True keeps each op's Python
frames outside pyengine (key_averages(group_by_stack_n=), export_stacks for FlameGraph); a
schedule (torch.profiler.schedule) with step() and on_trace_ready profiles chosen steps of a
long run; tensorboard_trace_handler(dir) as on_trace_ready writes each trace where
TensorBoard's profiler plugin reads it. CUDA activity, FLOPs and module hierarchy are refused
rather than ignored."""
import enum
import gzip
import json
import os
import socket
import time

import numpy as np

from . import autograd as _ag
from .package_frames import is_package_frame

__all__ = ["profile", "record_function", "ProfilerActivity", "EventList", "schedule",
           "ProfilerAction", "tensorboard_trace_handler"]

_ACTIVE = []  # the running profile (one at a time: the patches are process-wide)


class ProfilerActivity:
    CPU = "CPU"
    CUDA = "CUDA"


class _Event:
    __slots__ = ("name", "start", "end", "shapes", "children", "mem", "child_mem", "stack")

    def __init__(self, name, start, shapes=None):
        self.name, self.start, self.end, self.shapes, self.children = name, start, None, shapes, 0.0
        self.mem = self.child_mem = 0
        self.stack = ()


def _python_stack(limit=32):
    """The caller's frames outside pyengine, innermost first, as torch prints them:
    'file(line): function'."""
    import sys
    frames, f = [], sys._getframe(2)
    while f is not None and len(frames) < limit:
        code = f.f_code
        if not is_package_frame(f):
            frames.append(f"{code.co_filename}({f.f_lineno}): {code.co_name}")
        f = f.f_back
    return tuple(frames)


def _nbytes(out, inputs=()):
    """Bytes of new memory in the tensors an op returned (a tensor, or a tuple / list of them):
    a view of an input (reshape, indexing) allocates nothing, as in torch."""
    if isinstance(out, _ag.Tensor):
        arr = out._data
        if any(isinstance(t, _ag.Tensor) and np.may_share_memory(arr, t._data) for t in inputs):
            return 0
        return int(arr.nbytes)
    if isinstance(out, (tuple, list)):
        return sum(_nbytes(o, inputs) for o in out)
    return 0


def _shapes(args):
    return [list(a.shape) if isinstance(a, _ag.Tensor) else [] for a in args]


class _Recorder:
    def __init__(self, record_shapes, profile_memory=False, with_stack=False):
        self.events, self.stack, self.record_shapes = [], [], record_shapes
        self.profile_memory, self.with_stack = profile_memory, with_stack

    def begin(self, name, args=()):
        ev = _Event(name, time.perf_counter(), _shapes(args) if self.record_shapes else None)
        if self.with_stack:
            ev.stack = _python_stack()
        self.stack.append(ev)
        return ev

    def end(self, ev):
        ev.end = time.perf_counter()
        self.stack.pop()
        if self.stack:
            self.stack[-1].children += ev.end - ev.start
            self.stack[-1].child_mem += ev.mem + ev.child_mem
        self.events.append(ev)


def _timed(name_of, fn, tensors_of=lambda a: a):
    def wrapper(*args, **kwargs):
        rec = _ACTIVE[0] if _ACTIVE else None
        if rec is None:
            return fn(*args, **kwargs)
        ev = rec.begin(name_of(args), tensors_of(args))
        try:
            out = fn(*args, **kwargs)
            if rec.profile_memory:
                ev.mem = _nbytes(out, tensors_of(args))
            return out
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
        self.cpu_memory_usage = self.self_cpu_memory_usage = 0
        self.stack = []

    @property
    def cpu_time(self):
        return self.cpu_time_total / self.count if self.count else 0.0


def _fmt_bytes(n):
    """torch's memory cells: 572 b, 19.53 Kb, 94.79 Mb, 1.20 Gb."""
    for unit, size in (("Gb", 1 << 30), ("Mb", 1 << 20), ("Kb", 1 << 10)):
        if abs(n) >= size:
            return f"{n / size:.2f} {unit}"
    return f"{int(n)} b"


def _fmt_us(us):
    if us >= 1e6:
        return f"{us / 1e6:.3f}s"
    if us >= 1e3:
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


class EventList(list):
    """key_averages()' rows; table() prints them as torch's profiler table."""

    _SORT = {"self_cpu_time_total": "self_cpu_time_total", "cpu_time_total": "cpu_time_total",
             "cpu_time": "cpu_time", "count": "count", "cpu_memory_usage": "cpu_memory_usage",
             "self_cpu_memory_usage": "self_cpu_memory_usage", None: None}
    with_memory = False  # set by key_averages() of a profile_memory=True profile
    # device-time keys: a CPU run records no device time, so every row's is 0 and the order
    # stays as recorded (torch's CPU-only profile sorts the same way)
    _DEVICE_SORT = {f"{self_}{dev}_time{total}" for self_ in ("", "self_")
                    for dev in ("cuda", "device", "xpu", "privateuse1")
                    for total in ("", "_total")}

    @property
    def self_cpu_time_total(self):
        """The rows' self CPU time summed, in microseconds (torch's EventList attribute)."""
        return float(sum(row.self_cpu_time_total for row in self))

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
        cols = ["Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg"]
        cols += ["CPU Mem", "Self CPU Mem"] if self.with_memory else []
        cols += ["# of Calls"]
        with_shapes = any(r.input_shapes is not None for r in rows)
        with_stack = any(r.stack for r in rows)
        line = "-" * width + "  " + "  ".join("-" * 12 for _ in cols)
        head = "Name".rjust(width) + "  " + "  ".join(c.rjust(12) for c in cols)
        if with_shapes:
            line += "  " + "-" * 30
            head += "  " + "Input Shapes".rjust(30)
        stack_w = max([len("Source Location")] + [len(f) for r in rows for f in r.stack])
        if with_stack:
            line += "  " + "-" * stack_w
            head += "  " + "Source Location".ljust(stack_w)
        out = ([header] if header else []) + [line, head, line]
        for r in rows:
            cells = [f"{100 * r.self_cpu_time_total / self_total:.2f}%",
                     _fmt_us(r.self_cpu_time_total),
                     f"{100 * r.cpu_time_total / self_total:.2f}%", _fmt_us(r.cpu_time_total),
                     _fmt_us(r.cpu_time)]
            if self.with_memory:
                cells += [_fmt_bytes(r.cpu_memory_usage), _fmt_bytes(r.self_cpu_memory_usage)]
            cells.append(str(r.count))
            text = r.key[:max_name_column_width].rjust(width) + "  " + "  ".join(
                c.rjust(12) for c in cells)
            if with_shapes:
                text += "  " + str(r.input_shapes).rjust(30)
            if with_stack:
                frames = r.stack or [""]
                text += "  " + frames[0]
                pad = " " * (len(text) - len(frames[0]))
                out.append(text)
                out += [pad + fr for fr in frames[1:]]
                continue
            out.append(text)
        out += [line, f"Self CPU time total: {_fmt_us(self_total)}"]
        return "\n".join(out) + "\n"


class ProfilerAction(enum.Enum):
    """What a torch.profiler schedule asks for at a step."""
    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3


def schedule(*, wait, warmup, active, repeat=0, skip_first=0, skip_first_wait=0):
    """torch.profiler.schedule: after `skip_first` steps, cycles of `wait` idle steps, `warmup`
    steps traced and discarded, `active` steps recorded (the last one RECORD_AND_SAVE, when
    on_trace_ready runs); at most `repeat` cycles (0: no limit)."""
    if wait < 0 or warmup < 0 or active <= 0 or repeat < 0 or skip_first < 0:
        raise ValueError(f"[schedule] needs wait >= 0, warmup >= 0, active > 0, repeat >= 0 and "
                         f"skip_first >= 0; got wait={wait}, warmup={warmup}, active={active}, "
                         f"repeat={repeat}, skip_first={skip_first}")
    if warmup == 0:
        import warnings
        warnings.warn("Profiler won't be using warmup, this can skew profiler results",
                      stacklevel=2)

    def schedule_fn(step):
        if step < 0:
            raise ValueError(f"[schedule] step must be non-negative, got {step}")
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        if skip_first_wait:
            step += wait
        num_steps = wait + warmup + active
        if repeat > 0 and step / num_steps >= repeat:
            return ProfilerAction.NONE
        mod = step % num_steps
        if mod < wait:
            return ProfilerAction.NONE
        if mod < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD if mod < num_steps - 1 else ProfilerAction.RECORD_AND_SAVE
    return schedule_fn


_RECORDING = (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE)


class profile:
    """Context manager recording CPU wall time of pyengine's ops (see the module docstring).
    With a schedule, step() moves through its actions: ops are recorded only in RECORD steps
    (each wrapped in a "ProfilerStep#N" block, as torch), and on_trace_ready(prof) runs when a
    cycle's last RECORD step ends (and at exit while recording)."""

    def __init__(self, enabled=True, use_cuda=False, record_shapes=False, with_flops=False,
                 profile_memory=False, with_stack=False, with_modules=False, use_cpu=True,
                 activities=None, schedule=None, on_trace_ready=None, use_device=None):
        if use_cuda or use_device not in (None, "cpu"):
            raise RuntimeError("[profile] CUDA activity cannot be profiled: pyengine runs on "
                               "the CPU")
        if activities is not None and any(a != ProfilerActivity.CPU for a in activities):
            raise RuntimeError("[profile] only ProfilerActivity.CPU is available")
        for flag, name in ((with_flops, "with_flops"), (with_modules, "with_modules")):
            if flag:
                raise NotImplementedError(f"[profile] {name} is not supported")
        if not use_cpu:
            raise RuntimeError("[profile] use_cpu=False leaves nothing to profile")
        if schedule is not None and not callable(schedule):
            raise TypeError("[profile] schedule must be a callable step -> ProfilerAction")
        if on_trace_ready is not None and not callable(on_trace_ready):
            raise TypeError("[profile] on_trace_ready must be callable")
        self.enabled, self.record_shapes = bool(enabled), bool(record_shapes)
        self.profile_memory, self.with_stack = bool(profile_memory), bool(with_stack)
        self.schedule, self.on_trace_ready = schedule, on_trace_ready
        self._rec, self._saved, self.step_num = None, None, 0
        self.current_action, self._step_block = ProfilerAction.RECORD, None

    def _new_recorder(self):
        return _Recorder(self.record_shapes, self.profile_memory, self.with_stack)

    def __enter__(self):
        if not self.enabled:
            return self
        if _ACTIVE or self._saved is not None:
            raise RuntimeError("[profile] another profile is already running")
        self._rec = self._new_recorder()
        self._saved = _install()
        self.step_num = 0
        self.current_action = self.schedule(0) if self.schedule else ProfilerAction.RECORD
        self._enter_action()
        return self

    def _enter_action(self):
        _ACTIVE.clear()
        if self.current_action in _RECORDING or self.current_action is ProfilerAction.WARMUP:
            _ACTIVE.append(self._rec)
            if self.schedule and self.current_action in _RECORDING:
                self._step_block = self._rec.begin(f"ProfilerStep#{self.step_num}")

    def _leave_action(self):
        if self._step_block is not None:  # the step's block closes with its ops inside
            if self._rec.stack and self._rec.stack[-1] is self._step_block:
                self._rec.end(self._step_block)
            self._step_block = None
        if self.current_action is ProfilerAction.WARMUP:
            self._rec = self._new_recorder()  # warm-up traces are discarded

    def _save(self):
        if self.on_trace_ready is not None:
            _ACTIVE.clear()
            self.on_trace_ready(self)

    def __exit__(self, *exc):
        if self._saved is None:
            return
        self._leave_action()
        _ACTIVE.clear()
        _uninstall(self._saved)
        self._saved = None
        if self.current_action in _RECORDING or (self.schedule is None and self.on_trace_ready):
            self._save()

    start, stop = __enter__, lambda self: self.__exit__(None, None, None)

    def step(self):
        """Next step of the schedule (a no-op without one)."""
        if self.schedule is None or self._saved is None:
            return
        prev = self.current_action
        self._leave_action()
        self.step_num += 1
        self.current_action = self.schedule(self.step_num)
        if prev is ProfilerAction.RECORD_AND_SAVE or (
                prev in _RECORDING and self.current_action not in _RECORDING):
            self._save()
            self._rec = self._new_recorder()
        elif prev not in _RECORDING and self.current_action in _RECORDING:
            self._rec = self._new_recorder()
        self._enter_action()

    @property
    def events(self):
        return list(self._rec.events) if self._rec else []

    @property
    def self_cpu_time_total(self):
        """Self CPU time of every recorded event, summed, in microseconds (torch's
        profile.self_cpu_time_total: the vt_tutorial compares models by it)."""
        return float(sum((ev.end - ev.start - ev.children) * 1e6 for ev in self.events
                         if ev.end is not None))

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0):
        if group_by_stack_n and not self.with_stack:
            raise RuntimeError("[key_averages] group_by_stack_n needs profile(with_stack=True)")
        groups = {}
        for ev in self.events:
            stack = ev.stack[:group_by_stack_n] if group_by_stack_n else ()
            key = (ev.name, str(ev.shapes) if group_by_input_shape else None, stack)
            row = groups.get(key)
            if row is None:
                row = groups[key] = _Average(ev.name)
                if group_by_input_shape:
                    row.input_shapes = ev.shapes
                row.stack = list(stack)
            dur = (ev.end - ev.start) * 1e6
            row.count += 1
            row.cpu_time_total += dur
            row.self_cpu_time_total += dur - ev.children * 1e6
            row.self_cpu_memory_usage += ev.mem
            row.cpu_memory_usage += ev.mem + ev.child_mem
        out = EventList(groups.values())
        out.with_memory = self.profile_memory
        return out

    def export_stacks(self, path, metric="self_cpu_time_total"):
        """Stacks in the folded format of FlameGraph's flamegraph.pl: one line per op call,
        `outer;...;inner;op value` (microseconds); needs with_stack=True. Device-time metrics
        are 0 on the CPU, and those lines are left out, as torch leaves out zero values."""
        if not self.with_stack:
            raise RuntimeError("[export_stacks] needs profile(with_stack=True)")
        if metric not in ("self_cpu_time_total", "self_cuda_time_total",
                          "self_device_time_total"):
            raise ValueError(f"[export_stacks] metric={metric!r}: use 'self_cpu_time_total' or "
                             "a self device-time metric")
        with open(path, "w") as f:
            if metric != "self_cpu_time_total":
                return
            for ev in self.events:
                value = int(round((ev.end - ev.start - ev.children) * 1e6))
                if value > 0:
                    frames = [fr.replace(";", ",") for fr in reversed(ev.stack)]
                    f.write(";".join(frames + [ev.name]) + f" {value}\n")

    def table(self, *args, **kwargs):
        return self.key_averages().table(*args, **kwargs)

    def export_chrome_trace(self, path):
        """The events as a Chrome trace (chrome://tracing, Perfetto, TensorBoard's profiler
        plugin); gzip-compressed when path ends with ".gz", as torch. record_shapes adds each
        op's "Input Dims"."""
        base = min((ev.start for ev in self.events), default=0.0)
        trace = []
        for ev in self.events:
            entry = {"name": ev.name, "ph": "X", "cat": "cpu_op", "pid": os.getpid(), "tid": 0,
                     "ts": (ev.start - base) * 1e6, "dur": (ev.end - ev.start) * 1e6}
            if ev.shapes is not None:
                entry["args"] = {"Input Dims": ev.shapes}
            trace.append(entry)
        text = json.dumps({"schemaVersion": 1, "traceEvents": trace})
        if str(path).endswith(".gz"):
            with gzip.open(path, "wt") as f:
                f.write(text)
        else:
            with open(path, "w") as f:
                f.write(text)


def tensorboard_trace_handler(dir_name, worker_name=None, use_gzip=False):
    """torch.profiler.tensorboard_trace_handler: an on_trace_ready that writes each trace as
    `{worker_name}.{time_ns}.pt.trace.json[.gz]` in dir_name (made if missing), the layout
    TensorBoard's profiler plugin reads; worker_name defaults to `{hostname}_{pid}`."""
    def handler_fn(prof):
        nonlocal worker_name
        if not os.path.isdir(dir_name):
            try:
                os.makedirs(dir_name, exist_ok=True)
            except OSError as e:
                raise RuntimeError(f"[tensorboard_trace_handler] can't create directory: "
                                   f"{dir_name}") from e
        if not worker_name:
            worker_name = f"{socket.gethostname()}_{os.getpid()}"
        file_name = f"{worker_name}.{time.time_ns()}.pt.trace.json" + (".gz" if use_gzip else "")
        prof.export_chrome_trace(os.path.join(dir_name, file_name))
    return handler_fn


class record_function:
    """A labelled block inside a profile (its ops count towards it; its self time excludes
    them). Also usable as a decorator."""

    def __init__(self, name, args=None):
        if not isinstance(name, str):
            raise TypeError(f"[record_function] name must be a string, got {type(name).__name__}")
        self.name, self._ev = name, None

    def __enter__(self):
        if _ACTIVE:
            self._rec = _ACTIVE[0]
            self._ev = self._rec.begin(self.name)
        return self

    def __exit__(self, *exc):
        rec, ev = getattr(self, "_rec", None), self._ev
        if ev is not None and rec is not None and rec.stack and rec.stack[-1] is ev:
            rec.end(ev)
        self._ev = self._rec = None

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            with record_function(self.name):
                return fn(*args, **kwargs)
        return wrapped
