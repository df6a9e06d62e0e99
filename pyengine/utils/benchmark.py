"""torch.utils.benchmark for pyengine: ``Timer`` (timeit, blocked_autorange, adaptive_autorange),
``Measurement`` (median / mean / IQR, picklable, torch's printed form), ``Compare`` (the table
of many measurements) and ``Fuzzer`` (random, possibly non-contiguous, benchmark inputs).
Python statements only: C++ snippets (``Language.CPP``) and Callgrind
instruction counts need libtorch and valgrind, and raise NotImplementedError.

>>> t = Timer("x * y", setup="x = torch.ones(128); y = torch.ones(128)")
>>> m = t.blocked_autorange(min_run_time=0.1)
>>> m.median  # seconds per run
"""
import contextlib
import dataclasses
import enum
import math
import textwrap
import timeit as _timeit

import numpy as np

__all__ = ["Timer", "Measurement", "TaskSpec", "Compare", "Language", "select_unit", "Fuzzer",
           "FuzzedParameter", "FuzzedTensor", "ParameterAlias"]

_IQR_WARN_THRESHOLD = 0.1
_IQR_GROSS_WARN_THRESHOLD = 0.25
_MIN_CONFIDENCE_INTERVAL = 25e-9  # 25 ns
_MAX_SIGNIFICANT_FIGURES = 4


class Language(enum.Enum):
    PYTHON = 0
    CPP = 1


def select_unit(t):
    """(unit, seconds per unit) that shows `t` seconds as a number of order 1 to 999."""
    exp = int(math.floor(math.log10(t) / 3)) if t > 0 else -3
    unit = {-3: "ns", -2: "us", -1: "ms"}.get(exp, "s" if exp >= 0 else "ns")
    return unit, {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[unit]


def _unit_to_english(u):
    return {"ns": "nanosecond", "us": "microsecond", "ms": "millisecond", "s": "second"}[u]


def trim_sigfig(x, n):
    """`x` rounded to `n` significant figures (3.14159, 2 -> 3.1)."""
    if x == 0:
        return 0.0
    scale = 10.0 ** (int(math.ceil(math.log10(abs(x)))) - n)
    return float(round(x / scale) * scale)


def _dedent(code):
    code = textwrap.dedent(code)
    return (code[1:] if code.startswith("\n") else code).rstrip()


@dataclasses.dataclass(frozen=True)
class TaskSpec:
    """What a Timer measures (everything but its globals)."""
    stmt: str
    setup: str
    global_setup: str = ""
    label: str = None
    sub_label: str = None
    description: str = None
    env: str = None
    num_threads: int = 1

    @property
    def title(self):
        if self.label is not None:
            return self.label + (f": {self.sub_label}" if self.sub_label else "")
        if "\n" not in self.stmt:
            return self.stmt + (f": {self.sub_label}" if self.sub_label else "")
        return (f"stmt:{f' ({self.sub_label})' if self.sub_label else ''}\n"
                + textwrap.indent(self.stmt, "  "))

    def setup_str(self):
        if self.setup in ("", "pass"):
            return ""
        if "\n" in self.setup:
            return "setup:\n" + textwrap.indent(self.setup, "  ")
        return f"setup: {self.setup}"

    def summarize(self):
        parts = [self.title, self.description or "", self.setup_str()]
        return "\n".join(f"{p}\n" if "\n" in p else p for p in parts if p)


_TASKSPEC_FIELDS = tuple(f.name for f in dataclasses.fields(TaskSpec))


@dataclasses.dataclass
class Measurement:
    """Times of one statement: `raw_times` are seconds per block of `number_per_run` runs."""
    number_per_run: int
    raw_times: list
    task_spec: TaskSpec
    metadata: dict = None

    def __getattr__(self, name):  # stmt, label, num_threads, ... come from the task spec
        if name in _TASKSPEC_FIELDS:
            return getattr(self.task_spec, name)
        raise AttributeError(f"'Measurement' object has no attribute '{name}'")

    @property
    def times(self):
        return [t / self.number_per_run for t in self.raw_times]

    def _sorted(self):
        if not self.raw_times:
            raise ValueError("[Measurement] no times were recorded")
        return np.sort(np.asarray(self.times, np.float64))

    @property
    def median(self):
        return float(np.quantile(self._sorted(), 0.5))

    @property
    def mean(self):
        return float(self._sorted().mean())

    @property
    def iqr(self):
        s = self._sorted()
        return float(np.quantile(s, 0.75) - np.quantile(s, 0.25))

    @property
    def significant_figures(self):
        """Digits the spread of the middle half of the times supports (1 to 4): what
        Compare.trim_significant_figures keeps."""
        s = self._sorted()
        n = len(s)
        mid = s[n // 4:int(math.ceil(3 * n / 4))]
        ci = max(1.645 * float(mid.std()) / math.sqrt(len(mid)), _MIN_CONFIDENCE_INTERVAL)
        digits = int(math.floor(math.log10(self.median / ci)))
        return min(max(digits, 1), _MAX_SIGNIFICANT_FIGURES)

    def meets_confidence(self, threshold=_IQR_WARN_THRESHOLD):
        return self.iqr / self.median < threshold

    @property
    def _warnings(self):
        if self.meets_confidence(_IQR_WARN_THRESHOLD):
            return ()
        why = ("This suggests significant environmental influence."
               if not self.meets_confidence(_IQR_GROSS_WARN_THRESHOLD)
               else "This could indicate system fluctuation.")
        return (f"  WARNING: Interquartile range is {self.iqr / self.median * 100:.1f}% of the "
                f"median measurement.\n           {why}",)

    @property
    def has_warnings(self):
        return bool(self._warnings)

    @property
    def title(self):
        return self.task_spec.title

    @property
    def env(self):
        return "Unspecified env" if self.task_spec.env is None else self.task_spec.env

    @property
    def as_row_name(self):
        return self.task_spec.sub_label or self.task_spec.stmt or "[Unknown]"

    def __repr__(self):
        s = self._sorted()
        n = len(s)
        unit, scale = select_unit(self.median)
        p25, p75 = float(np.quantile(s, 0.25)), float(np.quantile(s, 0.75))
        lines = [object.__repr__(self), self.task_spec.summarize(),
                 f"  {'Median: ' if n > 1 else ''}{self.median / scale:.2f} {unit}"]
        if n >= 4:
            lines.append(f"  IQR:    {(p75 - p25) / scale:.2f} {unit} "
                         f"({p25 / scale:.2f} to {p75 / scale:.2f})")
        threads = self.task_spec.num_threads
        lines.append(f"  {n} measurement{'s' if n > 1 else ''}, {self.number_per_run} runs "
                     f"{'per measurement,' if n > 1 else ','} {threads} "
                     f"thread{'s' if threads > 1 else ''}")
        lines += list(self._warnings)
        return "\n".join(lines)


@contextlib.contextmanager
def _threads(n):
    import pyengine
    prior = pyengine.get_num_threads()
    if n == prior:
        yield
        return
    pyengine.set_num_threads(n)
    try:
        yield
    finally:
        pyengine.set_num_threads(prior)


class Timer:
    """Time a Python statement, torch.utils.benchmark's way: `setup` runs once per measurement,
    `globals` are the statement's names (``torch`` is pyengine unless given), and the kernels run
    on `num_threads` threads (default 1) while timing."""

    def __init__(self, stmt="pass", setup="pass", global_setup="", timer=_timeit.default_timer,
                 globals=None, label=None, sub_label=None, description=None, env=None,
                 num_threads=1, language=Language.PYTHON):
        if not isinstance(stmt, str):
            raise ValueError(f"[Timer] stmt must be a string of Python code, got "
                             f"{type(stmt).__name__}")
        if language in (Language.CPP, "cpp", "c++"):
            raise NotImplementedError("[Timer] C++ snippets (language=Language.CPP) need "
                                      "libtorch; pyengine times Python statements only")
        if language not in (Language.PYTHON, "py", "python"):
            raise ValueError(f"[Timer] unknown language {language!r}")
        if global_setup:
            raise ValueError("[Timer] global_setup is for C++ snippets; put Python code in "
                             "setup")
        if not isinstance(num_threads, int) or isinstance(num_threads, bool) or num_threads < 1:
            raise ValueError(f"[Timer] num_threads must be a positive int, got {num_threads!r}")
        import pyengine
        self._globals = dict(globals or {})
        self._globals.setdefault("torch", pyengine)
        self._task_spec = TaskSpec(stmt=_dedent(stmt), setup=_dedent(setup), label=label,
                                   sub_label=sub_label, description=description, env=env,
                                   num_threads=num_threads)
        self._timer = _timeit.Timer(stmt=self._task_spec.stmt, setup=self._task_spec.setup or
                                    "pass", timer=timer, globals=self._globals)

    def _timeit(self, number):
        return self._timer.timeit(max(int(number), 0))

    def timeit(self, number=1000000):
        """One measurement of `number` runs (after a short warm-up); times are per run."""
        with _threads(self._task_spec.num_threads):
            self._timeit(number=max(int(number // 100), 2))  # warm-up
            return Measurement(number_per_run=number, raw_times=[self._timeit(number)],
                               task_spec=self._task_spec)

    def repeat(self, repeat=-1, number=-1):
        raise NotImplementedError("[Timer] repeat is not implemented (torch's is not either); "
                                  "use blocked_autorange")

    def autorange(self, callback=None):
        raise NotImplementedError("[Timer] autorange is not implemented (torch's is not "
                                  "either); use blocked_autorange")

    def _measurement_loop(self, number, stop_hook, min_run_time, max_run_time=None,
                          callback=None):
        total, times = 0.0, []
        with _threads(self._task_spec.num_threads):
            while True:
                spent = self._timeit(number)
                times.append(spent)
                total += spent
                if callback:
                    callback(number, spent)
                if total >= min_run_time and stop_hook(times):
                    break
                if max_run_time and total > max_run_time:
                    break
        return times

    def _estimate_block_size(self, min_run_time):
        with _threads(self._task_spec.num_threads):
            overhead = float(np.median([self._timeit(0) for _ in range(5)]))
            number = 1
            while True:
                taken = self._timeit(number)
                if (overhead / max(taken, 1e-12) <= 1e-4 and taken >= min_run_time / 1000) \
                        or taken > min_run_time or number * 10 > 2147483647:
                    return number
                number *= 10

    def blocked_autorange(self, callback=None, min_run_time=0.2):
        """Blocks of runs, each long enough that the clock's overhead is small, until
        `min_run_time` seconds were measured: a Measurement of many blocks."""
        number = self._estimate_block_size(min_run_time)
        times = self._measurement_loop(number, lambda t: True, min_run_time,
                                       callback=callback)
        return Measurement(number_per_run=number, raw_times=times, task_spec=self._task_spec)

    def adaptive_autorange(self, threshold=0.1, *, min_run_time=0.01, max_run_time=10.0,
                           callback=None):
        """Blocks until the IQR is below `threshold` of the median (at least 3 blocks and
        `min_run_time` seconds, at most `max_run_time`)."""
        number = self._estimate_block_size(min_run_time=0.05)

        def stop(times):
            if len(times) <= 3:
                return False
            m = Measurement(number, times, self._task_spec)
            return m.meets_confidence(threshold=threshold)

        times = self._measurement_loop(number, stop, min_run_time, max_run_time, callback)
        return Measurement(number_per_run=number, raw_times=times, task_spec=self._task_spec)

    def collect_callgrind(self, *args, **kwargs):
        raise NotImplementedError("[Timer] collect_callgrind needs valgrind and libtorch's "
                                  "instrumentation; pyengine measures wall time only")


# ---- Compare: a table of measurements -----------------------------------------------------------
_BEST, _GOOD, _BAD, _VERY_BAD, _TERMINATE = ("\033[92m\033[1m", "\033[92m", "\033[31m",
                                             "\033[31m\033[1m", "\033[0m")


class Compare:
    """Measurements as tables: one per label, a column per description, a row per sub_label
    (or statement; with several envs, prefixed by the env), grouped by thread count."""

    def __init__(self, results):
        self._results = []
        self.extend_results(results)
        self._trim_significant_figures = False
        self._colorize = None  # None, "column" or "row"
        self._highlight_warnings = False

    def extend_results(self, results):
        for r in results:
            if not isinstance(r, Measurement):
                raise ValueError(f"[Compare] expected Measurements, got {type(r).__name__}")
        self._results.extend(results)

    def trim_significant_figures(self):
        self._trim_significant_figures = True

    def colorize(self, rowwise=False):
        self._colorize = "row" if rowwise else "column"

    def highlight_warnings(self):
        self._highlight_warnings = True

    def print(self):
        print(str(self))

    def __str__(self):
        return "\n".join(self._render(label) for label in
                         dict.fromkeys(r.task_spec.label for r in self._results))

    def _render(self, label):
        results = [r for r in self._results if r.task_spec.label == label]
        columns = list(dict.fromkeys(r.task_spec.description for r in results))
        envs = list(dict.fromkeys(r.task_spec.env for r in results))
        threads = list(dict.fromkeys(r.task_spec.num_threads for r in results))

        def row_key(r):
            return (r.task_spec.env, r.as_row_name)

        cells = {}  # (threads, row) -> {column: Measurement}
        for r in results:
            cells.setdefault((r.task_spec.num_threads, row_key(r)), {})[r.task_spec.description] = r
        unit, scale = select_unit(min(r.median for r in results))
        values = {}
        for key, row in cells.items():
            for col, m in row.items():
                v = m.median / scale
                if self._trim_significant_figures:
                    v = trim_sigfig(v, m.significant_figures)
                values[key, col] = v
        digits = {c: 1 for c in columns}  # decimals per column (torch's rule when trimmed)
        if self._trim_significant_figures:
            for c in columns:
                digits[c] = min([max(0, row[c].significant_figures
                                     - int(math.ceil(math.log10(values[k, c]))))
                                 for k, row in cells.items() if c in row and values[k, c] > 0]
                                or [0])

        env_w = max(len(str(e)) for e in envs) + 2

        def row_name(key):
            env, name = key
            if len(envs) > 1:
                return f"{f'({env})':<{env_w}}  {name}"
            return name

        names = {key: row_name(key[1]) for key in cells}
        name_w = max([len(n) for n in names.values()] + [len(f"{max(threads)} threads:")]) + 8
        texts = {k: f"{v:.{digits[k[1]]}f}" + ("  (! )" if self._highlight_warnings and
                                                cells[k[0]][k[1]].has_warnings else "")
                 for k, v in values.items()}
        col_w = {c: max([len(str(c)) if c is not None else 0]
                        + [len(t) for (k, cc), t in texts.items() if cc == c]) + 2
                 for c in columns}
        header = " " * name_w + "|" + "|".join(
            f"{'' if c is None else str(c):^{col_w[c] + 2}}" for c in columns)
        width = len(header)
        title = f" {label} " if label else ""
        lines = [f"[{title:-^{width - 2}}]", header]
        for n in threads:
            head = f"{n} threads: "
            lines.append(head + "-" * (width - len(head)))
            for key, row in cells.items():
                if key[0] != n:
                    continue
                parts = []
                for c in columns:
                    t = f"{texts.get((key, c), ''):>{col_w[c]}}"
                    color = self._color(key, c, values, cells, columns)
                    parts.append((color + t + _TERMINATE if color else t) + "  ")
                lines.append(f"      {names[key]:<{name_w - 6}}|" + "|".join(parts))
        lines += ["", f"Times are in {_unit_to_english(unit)}s ({unit}).", ""]
        return "\n".join(lines)

    def _color(self, key, col, values, cells, columns):
        if not self._colorize or (key, col) not in values:
            return ""
        if self._colorize == "row":
            peers = [values[key, c] for c in columns if (key, c) in values]
        else:
            peers = [values[k, col] for k in cells if k[0] == key[0] and (k, col) in values]
        best = min(peers)
        rel = values[key, col] / best if best > 0 else 1.0
        if rel <= 1.01:
            return _BEST
        if rel <= 1.1:
            return _GOOD
        if rel >= 5:
            return _VERY_BAD
        if rel >= 2:
            return _BAD
        return ""


# ---- Fuzzer: random benchmark inputs ---------------------------------------------------------
class FuzzedParameter:
    """A random parameter: `distribution` 'uniform' or 'loguniform' over [minval, maxval]
    (integers when both bounds are ints), or a dict {value: probability}."""

    def __init__(self, name, minval=None, maxval=None, distribution=None, strict=False):
        if isinstance(distribution, dict):
            total = sum(distribution.values())
            if abs(total - 1.0) > 1e-6:
                raise ValueError(f"[FuzzedParameter] {name}: probabilities sum to {total}, not 1")
        elif distribution not in ("uniform", "loguniform"):
            raise ValueError(f"[FuzzedParameter] {name}: distribution must be 'uniform', "
                             f"'loguniform' or a dict, got {distribution!r}")
        elif minval is None or maxval is None or minval > maxval:
            raise ValueError(f"[FuzzedParameter] {name}: needs minval <= maxval")
        if distribution == "loguniform" and minval <= 0:
            raise ValueError(f"[FuzzedParameter] {name}: loguniform needs minval > 0")
        self.name, self.minval, self.maxval = name, minval, maxval
        self.distribution, self.strict = distribution, strict

    def sample(self, rng):
        if isinstance(self.distribution, dict):
            values = list(self.distribution)
            k = rng.choice(len(values), p=np.array(list(self.distribution.values()), float))
            return values[int(k)]
        integral = isinstance(self.minval, int) and isinstance(self.maxval, int)
        if self.distribution == "uniform":
            if integral:
                return int(rng.integers(self.minval, self.maxval + 1))
            return float(rng.uniform(self.minval, self.maxval))
        v = math.exp(rng.uniform(math.log(self.minval), math.log(self.maxval)))
        return min(max(int(v), self.minval), self.maxval) if integral else v


class ParameterAlias:
    """A parameter that takes another parameter's value."""

    def __init__(self, alias_to):
        self.alias_to = alias_to


class FuzzedTensor:
    """A random tensor whose sizes (and steps) are numbers or parameter names; it is
    non-contiguous (a permuted and / or strided view) with probability 1 - probability_contiguous.
    min_elements / max_elements bound its size (samples outside are drawn again)."""

    def __init__(self, name, size, steps=None, probability_contiguous=0.5, min_elements=None,
                 max_elements=None, max_allocation_bytes=None, dim_parameter=None,
                 roll_parameter=None, dtype=None, cuda=False, tensor_constructor=None):
        if cuda:
            raise NotImplementedError("[FuzzedTensor] cuda=True: pyengine runs on the CPU")
        if roll_parameter is not None:
            raise NotImplementedError("[FuzzedTensor] roll_parameter is not supported")
        self.name, self.size = name, tuple(size)
        self.steps = None if steps is None else tuple(steps)
        self.probability_contiguous = probability_contiguous
        self.min_elements, self.max_elements = min_elements, max_elements
        self.max_allocation_bytes, self.dim_parameter = max_allocation_bytes, dim_parameter
        self.dtype, self.tensor_constructor = dtype, tensor_constructor

    def _resolve(self, values, params):
        return tuple(params[v] if isinstance(v, str) else int(v) for v in values)

    def shape(self, params):
        size = self._resolve(self.size, params)
        if self.dim_parameter is not None:
            size = size[:params[self.dim_parameter]]
        return size

    def make(self, params, rng):
        from ..tensor import Tensor
        from .. import dtypes as _dt
        size = self.shape(params)
        steps = (self._resolve(self.steps, params)[:len(size)] if self.steps is not None
                 else (1,) * len(size))
        contiguous = rng.uniform() < self.probability_contiguous
        order = tuple(range(len(size))) if contiguous else tuple(rng.permutation(len(size)))
        if contiguous:
            steps = (1,) * len(size)
        alloc = [size[d] * steps[d] for d in order]
        npd = _dt.as_dtype(self.dtype).np if self.dtype is not None else np.float32
        if self.tensor_constructor is not None:
            base = np.asarray(self.tensor_constructor(size=tuple(alloc), dtype=self.dtype,
                                                      **params))
        else:
            base = rng.standard_normal(alloc).astype(npd)
        arr = base.transpose(np.argsort(order))
        arr = arr[tuple(slice(None, None, s) for s in steps)]
        t = Tensor._wrap(arr)
        info = {"numel": int(arr.size), "order": order, "steps": steps,
                "is_contiguous": bool(arr.flags.c_contiguous)}
        return t, info


class Fuzzer:
    """Draws parameters, then tensors from them, until constraints and the tensors' size
    bounds hold; take(n) yields (tensors, tensor_params, params) n times."""

    def __init__(self, parameters, tensors, constraints=None, seed=None):
        flat = []
        for p in parameters:
            flat += list(p) if isinstance(p, (list, tuple)) else [p]
        self._params, self._tensors = flat, list(tensors)
        self._constraints = list(constraints or ())
        self._rng = np.random.default_rng(seed)

    def _draw_params(self):
        values = {p.name: p.sample(self._rng) for p in self._params}
        for name, v in values.items():  # {ParameterAlias("k0"): p, ...} picks k0's value
            seen = set()
            while isinstance(v, ParameterAlias):
                if v.alias_to in seen or v.alias_to not in values:
                    raise ValueError(f"[Fuzzer] {name}: alias to unknown or circular "
                                     f"parameter {v.alias_to!r}")
                seen.add(v.alias_to)
                v = values[v.alias_to]
            values[name] = v
        return values

    def _fits(self, params):
        if not all(c(params) for c in self._constraints):
            return False
        for t in self._tensors:
            n = int(np.prod(t.shape(params)))
            if (t.min_elements is not None and n < t.min_elements) or \
                    (t.max_elements is not None and n > t.max_elements):
                return False
        return True

    def take(self, n):
        for _ in range(n):
            for _attempt in range(10000):
                params = self._draw_params()
                if self._fits(params):
                    break
            else:
                raise RuntimeError("[Fuzzer] no parameters satisfying the constraints in "
                                   "10,000 draws")
            tensors, tensor_params = {}, {}
            for t in self._tensors:
                tensors[t.name], tensor_params[t.name] = t.make(params, self._rng)
            yield tensors, tensor_params, params
