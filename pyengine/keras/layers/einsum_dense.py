"""Keras EinsumDense: y = activation(einsum(equation, x, kernel) + bias), the kernel's shape
read from the equation, the input shape and output_shape (Keras' rules); computed by pe.einsum
(one batched GEMM over permute / reshape views)."""
import re

from ...nn import functional as F
from .. import activations as _act
from .activation_slot import ActivationSlot
from .. import constraints as _con
from .. import initializers as _init
from .. import regularizers as _reg
from .base import Layer


class EinsumDense(Layer):
    """EinsumDense(equation, output_shape, activation=None, bias_axes=None, ...):
    equation 'input,kernel->output' in explicit letters (the first input and output letters are
    the batch axis), e.g. 'abc,cd->abd' (a Dense on the last axis) or 'abc,cde->abde'
    (MultiHeadAttention's projection to heads). output_shape: the output's shape without the
    batch axis (None for an axis equal to the input's). bias_axes: output letters the bias
    spans. Equations with '...' are rejected.

    >>> keras.layers.EinsumDense("abc,cde->abde", output_shape=(None, 2, 4))(pe.randn(3, 5, 8)).shape
    (3, 5, 2, 4)
    """
    activation = ActivationSlot()  # `layer.activation = None` after build: linear

    def __init__(self, equation, output_shape, activation=None, bias_axes=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, lora_rank=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        m = re.fullmatch(r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)", equation.replace(" ", ""))
        if m is None:
            raise ValueError(f"[EinsumDense] equation must be 'input,kernel->output' in letters "
                             f"('...' is not supported). Received: equation={equation!r}")
        for n, v in (("lora_rank", lora_rank),):
            if v is not None:
                raise ValueError(f"[EinsumDense] {n} is not supported. Received: {n}={v!r}")
        self.equation = equation.replace(" ", "")
        self.specs = m.groups()
        self.partial_output_shape = ([output_shape] if isinstance(output_shape, int)
                                     else list(output_shape))
        self.bias_axes = bias_axes
        self.activation = _act.get(activation)
        self.kernel_initializer = _init.get(kernel_initializer)
        self.bias_initializer = _init.get(bias_initializer)
        self.kernel_regularizer = _reg.get(kernel_regularizer)
        self.bias_regularizer = _reg.get(bias_regularizer)
        self.kernel_constraint = _con.get(kernel_constraint)
        self.bias_constraint = _con.get(bias_constraint)

    def build(self, input_shape):
        ins, ws, outs = self.specs
        if len(input_shape) != len(ins):
            raise ValueError(f"[{self.name}] equation {self.equation!r} expects inputs of rank "
                             f"{len(ins)}. Received: input_shape={tuple(input_shape)}")
        out_shape = [input_shape[0]] + self.partial_output_shape
        if len(out_shape) != len(outs):
            raise ValueError(f"[{self.name}] output_shape {self.partial_output_shape} does not "
                             f"match the output spec {outs!r} (batch axis excluded)")
        in_dim = {c: input_shape[i] for i, c in enumerate(ins)}
        out_dim = {c: out_shape[i] for i, c in enumerate(outs)}
        for c in outs:
            if c in in_dim and out_dim[c] is not None and out_dim[c] != in_dim[c]:
                raise ValueError(f"[{self.name}] output axis {c!r} has size {out_dim[c]} but "
                                 f"the input's is {in_dim[c]}")
            if c not in ins and c not in ws:
                raise ValueError(f"[{self.name}] output axis {c!r} is in neither the input nor "
                                 f"the kernel spec of {self.equation!r}")
        kernel_shape = []
        for c in ws:
            d = in_dim.get(c, out_dim.get(c))
            if d is None:
                raise ValueError(f"[{self.name}] the size of kernel axis {c!r} of "
                                 f"{self.equation!r} is unknown (input_shape "
                                 f"{tuple(input_shape)}, output_shape "
                                 f"{self.partial_output_shape})")
            kernel_shape.append(int(d))
        self.full_output_shape = tuple(out_dim.get(c) if out_dim.get(c) is not None
                                       else in_dim.get(c) for c in outs)
        self.kernel = self.add_weight(kernel_shape, self.kernel_initializer, name="kernel",
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = None
        if self.bias_axes is not None:
            if any(c not in outs for c in self.bias_axes):
                raise ValueError(f"[{self.name}] bias_axes {self.bias_axes!r} must be output "
                                 f"axes of {self.equation!r}")
            first = min(outs.find(c) for c in self.bias_axes)
            shape = [self.full_output_shape[outs.index(c)] if c in self.bias_axes else 1
                     for c in outs[first:]]
            self.bias = self.add_weight(shape, self.bias_initializer, name="bias",
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)

    def call(self, x):
        y = F.einsum(self.equation, x, self.kernel)
        if self.bias is not None:
            y = y + self.bias
        return self.activation(y)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(self.full_output_shape[1:])
