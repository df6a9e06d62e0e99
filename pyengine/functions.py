"""Kept so that in-package modules importing `pyengine.functions` keep working while branches
merge: the tensor math lives in pe.nn.functional (the one functional namespace); import it from
there."""
from .nn.functional import (abs, argmax, argmin, cat, chunk, clamp, concatenate, cos, exp,  # noqa: F401
                            flatten, log, log1p, log_softmax, logsumexp, matmul, max, maximum,
                            mean, min, minimum, one_hot, permute, relu, reshape, sigmoid, sin,
                            softmax, split, sqrt, square, squeeze, stack, std, sum, tanh,
                            transpose, unsqueeze, var, where)
