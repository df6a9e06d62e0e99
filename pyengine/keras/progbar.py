"""keras.utils.Progbar: the progress bar of custom training loops (Keras 2's
keras.utils.generic_utils.Progbar). `update(current, values=[(name, value), ...])` averages each
value over the samples seen since the last update (a name in stateful_metrics is shown as
given); `add(n, values)` advances by n. verbose=1 redraws one line (a terminal) and ends it at
the target; verbose=2 prints one line at the target."""
import sys
import time


class Progbar:
    def __init__(self, target, width=30, verbose=1, interval=0.05, stateful_metrics=None,
                 unit_name="step"):
        if target is not None and (isinstance(target, bool) or not isinstance(target, int)
                                   and not hasattr(target, "__index__") or target < 0):
            raise ValueError(f"[Progbar] target must be an int >= 0 or None. Received: "
                             f"target={target!r}")
        if verbose not in (0, 1, 2):
            raise ValueError(f"[Progbar] verbose must be 0, 1 or 2. Received: verbose={verbose!r}")
        self.target = None if target is None else int(target)
        self.width, self.verbose, self.interval = int(width), verbose, float(interval)
        self.stateful_metrics = set(stateful_metrics or ())
        self.unit_name = unit_name
        self._sums, self._order = {}, []  # name -> [weighted sum, count] (or the value)
        self._seen = 0
        self._start = self._last = time.time()
        self._live = getattr(sys.stdout, "isatty", lambda: False)()

    def update(self, current, values=None, finalize=None):
        """Moves the bar to `current`; values: (name, number) pairs."""
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        step = max(current - self._seen, 1)
        for name, value in values or ():
            if name not in self._sums:
                self._order.append(name)
            value = float(getattr(value, "item", lambda: value)())
            if name in self.stateful_metrics:
                self._sums[name] = [value, 1]
            else:
                s = self._sums.setdefault(name, [0.0, 0])
                s[0] += value * step
                s[1] += step
        self._seen = current
        now = time.time()
        if self.verbose == 1 and (finalize or (self._live and now - self._last >= self.interval)):
            self._last = now
            sys.stdout.write(("\r" if self._live else "") + self._line(current, now)
                             + ("\n" if finalize else ""))
            sys.stdout.flush()
        elif self.verbose == 2 and finalize:
            sys.stdout.write(self._line(current, now) + "\n")
            sys.stdout.flush()

    def add(self, n, values=None):
        self.update(self._seen + n, values)

    def _line(self, current, now):
        if self.target is None:
            head = f"{current}/Unknown"
        else:
            w = len(str(self.target))
            done = int(self.width * current / max(self.target, 1))
            bar = "=" * max(done - 1, 0) + (">" if current < self.target else "=") * (done > 0)
            head = f"{current:>{w}}/{self.target} [{bar}{'.' * (self.width - len(bar))}]"
        elapsed = now - self._start
        if self.target is not None and current < self.target:
            t = f"ETA: {elapsed / max(current, 1) * (self.target - current):.0f}s"
        else:
            t = f"{elapsed:.0f}s {elapsed / max(current, 1) * 1e3:.0f}ms/{self.unit_name}"
        vals = "".join(f" - {n}: {self._sums[n][0] / max(self._sums[n][1], 1):.4f}"
                       for n in self._order)
        return f"{head} - {t}{vals}"
