"""ParameterList and ParameterDict: containers whose entries are registered as the module's
parameters, so parameters(), named_parameters() and state_dict() see them under PyTorch's keys
("0", "1", ... for a list; the dict's own keys). A plain Tensor stored in one becomes a
Parameter (requires_grad=True), as in PyTorch."""
import operator
from collections import OrderedDict

from ..module import Module, Parameter
from ...tensor import Tensor


def _as_parameter(value, kind):
    if isinstance(value, Parameter) or value is None:
        return value
    if isinstance(value, Tensor):
        return Parameter(value)
    raise TypeError(f"[{kind}] entries must be pe.nn.Parameter or pe.Tensor, got "
                    f"{type(value).__name__}")


class ParameterList(Module):
    """A list of parameters, registered as "0", "1", ...

    >>> pl = pe.nn.ParameterList([pe.nn.Parameter(pe.zeros(2)) for _ in range(2)])
    >>> [name for name, _ in pl.named_parameters()]
    ['0', '1']
    """

    def __init__(self, values=None):
        super().__init__()
        if values is not None:
            self.extend(values)

    def _index(self, idx):
        n = len(self)
        i = operator.index(idx)
        if not -n <= i < n:
            raise IndexError(f"[ParameterList] index {i} is out of range for {n} parameters")
        return str(i % n)

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters.values())

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return ParameterList(list(self._parameters.values())[idx])
        return self._parameters[self._index(idx)]

    def __setitem__(self, idx, param):
        self.register_parameter(self._index(idx), _as_parameter(param, "ParameterList"))

    def __iadd__(self, values):
        return self.extend(values)

    def __dir__(self):
        return [k for k in super().__dir__() if not k.isdigit()]

    def append(self, value):
        self.register_parameter(str(len(self)), _as_parameter(value, "ParameterList"))
        return self

    def extend(self, values):
        if isinstance(values, Tensor) or not hasattr(values, "__iter__"):
            raise TypeError(f"[ParameterList] extend expects an iterable of parameters, got "
                            f"{type(values).__name__}")
        for v in values:
            self.append(v)
        return self

    def extra_repr(self):
        return "\n".join(f"({k}): Parameter containing: [{p.dtype} of size {tuple(p.shape)}]"
                         for k, p in self._parameters.items() if p is not None)


class ParameterDict(Module):
    """An ordered dict of parameters, registered under its keys (strings without '.'). Built
    from a plain dict, the keys are sorted, as in PyTorch."""

    def __init__(self, parameters=None):
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key):
        return self._parameters[key]

    def __setitem__(self, key, value):
        self.register_parameter(key, _as_parameter(value, "ParameterDict"))

    def __delitem__(self, key):
        del self._parameters[key]

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters)

    def __contains__(self, key):
        return key in self._parameters

    def keys(self):
        return self._parameters.keys()

    def values(self):
        return self._parameters.values()

    def items(self):
        return self._parameters.items()

    def get(self, key, default=None):
        return self._parameters.get(key, default)

    def pop(self, key):
        return self._parameters.pop(key)

    def clear(self):
        self._parameters.clear()

    def setdefault(self, key, default=None):
        if key not in self:
            self[key] = default
        return self[key]

    def update(self, parameters):
        # PyTorch's order: an OrderedDict or ParameterDict keeps its own, another mapping is
        # sorted by key (a plain dict's order was not guaranteed when PyTorch fixed this rule),
        # pairs keep theirs; the state_dict() keys then come out in PyTorch's order.
        if isinstance(parameters, (OrderedDict, ParameterDict)):
            pairs = list(parameters.items())
        elif hasattr(parameters, "items"):
            pairs = sorted(parameters.items(), key=lambda kv: kv[0])
        else:
            pairs = parameters
        for pair in pairs:
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise TypeError(f"[ParameterDict] update expects a mapping or (key, parameter) "
                                f"pairs, got {pair!r}")
            self[pair[0]] = pair[1]

    def extra_repr(self):
        return "\n".join(f"({k}): Parameter containing: [{p.dtype} of size {tuple(p.shape)}]"
                         for k, p in self._parameters.items() if p is not None)
