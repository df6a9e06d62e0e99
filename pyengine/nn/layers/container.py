"""Containers: Sequential, ModuleList, ModuleDict."""
import operator
from collections import OrderedDict

from .. import functional as F
from ..module import Module
from .linear import Linear, fusable_activation


def _index(i, n, kind):
    i = operator.index(i)
    if not -n <= i < n:
        raise IndexError(f"[{kind}] index {i} is out of range for {n} modules")
    return i % n


class Sequential(Module):
    """Modules applied in order; indexable (an int gives a module, a slice a new Sequential),
    iterable, and growable with append / insert / extend. Children are named "0", "1", ...
    or by an OrderedDict's keys.

    >>> net = pe.nn.Sequential(pe.nn.Linear(4, 8), pe.nn.ReLU(), pe.nn.Linear(8, 1))
    >>> net(pe.randn(2, 4)).shape, type(net[1]).__name__, len(net)
    ((2, 1), 'ReLU', 3)
    """

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, m in args[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(args):
                self.add_module(str(i), m)

    def forward(self, x):
        # Linear followed by ReLU / Sigmoid / Tanh runs as one fused op when that is provably
        # the same computation (see linear.fusable_activation for the conditions).
        mods = tuple(self._modules.values())
        n, i = len(mods), 0
        while i < n:
            m = mods[i]
            if i + 1 < n and type(m) is Linear:
                act = fusable_activation(m, mods[i + 1])
                if act is not None:
                    p = m._parameters  # not m.weight: Module.__getattr__ costs ~0.5 us
                    x = F.linear(x, p["weight"], p.get("bias"), activation=act)
                    i += 2
                    continue
            x = m(x)
            i += 1
        return x

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(OrderedDict(list(self._modules.items())[idx]))
        return list(self._modules.values())[_index(idx, len(self), "Sequential")]

    def __setitem__(self, idx, module):
        key = list(self._modules)[_index(idx, len(self), "Sequential")]
        self.add_module(key, module)

    def __delitem__(self, idx):
        keys = list(self._modules)
        for k in (keys[idx] if isinstance(idx, slice) else [keys[_index(idx, len(keys), "Sequential")]]):
            del self._modules[k]
        if all(k.isdigit() for k in keys):  # keep "0", "1", ... contiguous, as PyTorch does
            mods = list(self._modules.values())
            self._modules.clear()
            for i, m in enumerate(mods):
                self._modules[str(i)] = m

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def insert(self, index, module):
        n = len(self)
        if not -n <= index <= n:
            raise IndexError(f"[Sequential] insert index {index} is out of range for {n} modules")
        mods = list(self._modules.values())
        mods.insert(index % (n + 1) if index < 0 else index, module)
        self._modules.clear()
        for i, m in enumerate(mods):
            self.add_module(str(i), m)
        return self

    def extend(self, modules):
        for m in modules:
            self.append(m)
        return self


class ModuleList(Module):
    """A list of modules whose parameters are registered (children "0", "1", ...)."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return ModuleList(list(self._modules.values())[idx])
        return self._modules[str(_index(idx, len(self), "ModuleList"))]

    def __setitem__(self, idx, module):
        self.add_module(str(_index(idx, len(self), "ModuleList")), module)

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        for m in modules:
            self.append(m)
        return self

    def insert(self, index, module):
        mods = list(self._modules.values())
        mods.insert(index, module)
        self._modules.clear()
        for i, m in enumerate(mods):
            self.add_module(str(i), m)


class ModuleDict(Module):
    """A dict of modules whose parameters are registered, in insertion order."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        self.add_module(key, module)

    def __delitem__(self, key):
        del self._modules[key]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def update(self, modules):
        for k, m in (modules.items() if hasattr(modules, "items") else modules):
            self.add_module(k, m)
