"""torch.hub's progress bar, `from torch.hub import tqdm` (pytorch/examples vision_transformer
wraps its DataLoaders in it). The real tqdm when it is installed, as torch.hub does; else a
small stand-in with the calls training loops make (iteration, len, update, set_postfix,
set_description, close, `with`), writing one line per update to stderr.
Nothing else of torch.hub is here: pyengine downloads nothing (no hub.load)."""
import sys

__all__ = ["tqdm"]

try:
    from tqdm import tqdm  # noqa: F401
except ImportError:
    class tqdm:  # noqa: N801 (torch.hub's name)
        def __init__(self, iterable=None, desc=None, total=None, leave=True, file=None,
                     disable=False, unit="it", unit_scale=False, **kwargs):
            self.iterable, self.desc, self.disable = iterable, desc or "", disable
            if total is None and iterable is not None and hasattr(iterable, "__len__"):
                total = len(iterable)
            self.total, self.n, self.unit = total, 0, unit
            self.file = file if file is not None else sys.stderr
            self.postfix = ""

        def __len__(self):
            if self.total is None:
                raise TypeError("[hub.tqdm] the wrapped iterable has no length")
            return self.total

        def __iter__(self):
            for item in self.iterable:
                yield item
                self.update(1)

        def _show(self):
            if not self.disable:
                total = "?" if self.total is None else self.total
                self.file.write(f"{self.desc}: {self.n}/{total} {self.unit}{self.postfix}\n")

        def update(self, n=1):
            self.n += n
            self._show()

        def set_postfix(self, ordered_dict=None, refresh=True, **kwargs):
            items = dict(ordered_dict or {}, **kwargs)
            self.postfix = (" " + ", ".join(f"{k}={v}" for k, v in items.items())) if items else ""

        def set_description(self, desc=None, refresh=True):
            self.desc = desc or ""

        def close(self):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.close()
            return False
