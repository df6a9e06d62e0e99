"""pyengine: a small, fast deep-learning engine.

C++/OpenMP kernels (matmul, activations, conv, pooling, losses, optimizer updates) under a
PyTorch-style Tensor with autograd and a Keras-style Sequential API.
"""
try:
    from .backend import threads as _threads
except ImportError as _e:  # a source checkout imported without its compiled extension
    raise ImportError(
        f"pyengine's compiled extension pyengine._C is missing from {__path__[0]}. From a source "
        "checkout, install it (python -m pip install .) and import it from another directory "
        "(`python -m` and `python -c` put the working directory first on sys.path), or build it "
        "in place with ./tools/dev_build.sh") from _e
from . import cuda
from .autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .backend import Device as device
from .creation import (arange, as_tensor, empty, empty_like, empty_strided, eye, from_numpy, full,
                       full_like, linspace, ones, ones_like, rand, rand_like, randint,
                       randint_like, randn, randn_like, tensor, zeros, zeros_like)
from .memory_formats import (channels_last, channels_last_3d, contiguous_format,  # noqa: F401
                            memory_format, preserve_format)
from .dtypes import (DType, bool_, double, float32, float64, int8, int16,  # noqa: F401
                     int32, int64, long, short, uint8)
from .dtypes import float  # noqa: A004  (torch alias: pe.float is float32)
from .dtypes import bool_ as bool  # noqa: A004
from .string_dtype import string  # noqa: E402  (tf.string: text leaves of pe.data)
from .nn.functional import (abs, argmax, argmin, broadcast_to, cat, chunk, clamp, concatenate, cos, exp,  # noqa: F401,E501  (pe.exp, pe.cat ...: the one functional namespace)
                            flatten, log, log1p, log_softmax, logsumexp, matmul, max, maximum,
                            mean, min, minimum, permute, relu, reshape, sigmoid, sin, softmax,
                            split, sqrt, squeeze, stack, std, sum, tanh, transpose, unsqueeze,
                            var, where)
from .random import manual_seed, seed
from .tensor import Tensor
from . import nn, testing
from .io import load, save
from .random import Generator
from . import utils
from . import accelerator, backends
from . import mps, xpu  # torch.mps / torch.xpu: no such devices, programs fall back to the CPU
from .default_device import get_default_device, set_default_device  # the CPU only
from .size import Size  # torch.Size (Tensor.size() returns one)
from .tensor_shape import TensorShape  # tf.TensorShape (Tensor.get_shape() returns one)
# torch.compile / set_float32_matmul_precision / use_deterministic_algorithms, runtime_settings.py
from .runtime_settings import (are_deterministic_algorithms_enabled, compile,  # noqa: A004,F401
                               get_float32_matmul_precision, set_float32_matmul_precision,
                               use_deterministic_algorithms)
# torch.amp / torch.autocast / torch.cuda.amp (GradScaler; autocast only when disabled), amp.py
from . import amp  # noqa: E402
from .amp import autocast  # noqa: E402,F401
cuda.amp = amp
import sys as _sys_amp  # noqa: E402
_sys_amp.modules["pyengine.cuda.amp"] = amp  # `from torch.cuda.amp import GradScaler`
from .tensor_habits import Variable as _Variable, bernoulli
from . import autograd as _autograd_module
_autograd_module.Variable = _Variable  # pe.autograd.Variable (torch's pre-0.4 name)
from .interop import from_dlpack, load_safetensors, save_safetensors
from . import onnx  # pe.onnx.export (writes ONNX without the onnx package)
from .data.structure import TensorSpec  # tf.TensorSpec, for tf.data.Dataset.from_generator
from .tensor_shape import TensorShape  # tf.TensorShape (custom RNN cells' state_size)
from . import tf_nest as nest  # tf.nest.flatten / map_structure / pack_sequence_as
from . import tf_saved_model as saved_model  # tf.saved_model.save / load: raise (no TF runtime)
from .gradient_tape import GradientTape, UnconnectedGradients  # noqa: F401
from .tf_function import function  # tf.function (eager: checks input_signature only)
from . import tf_image as image  # tf.image.resize / flips / rgb_to_grayscale / psnr
from . import tf_lite as lite  # noqa: E402  (tf.lite: raises, no TFLite converter)
from . import tf_lookup as lookup  # noqa: E402  (tf.lookup.StaticHashTable)
from . import tf_config as config  # noqa: E402  (tf.config: devices, determinism)
from . import tf_summary as summary  # noqa: E402  (tf.summary.scalar to event files)
from . import tf_distribute as distribute  # noqa: E402  (tf.distribute; pe.distributed is MPI)
from .tf_names import (cast, concat, constant, convert_to_tensor, one_hot, reduce_max,  # noqa: F401
                       negative, reduce_logsumexp, reduce_mean, reduce_min, reduce_sum, reverse,
                       shape, square)
# tf.expand_dims, tf.math.*, tf.newaxis, tf.repeat, tf.stop_gradient
from .tf_names import expand_dims, math, newaxis, repeat, stop_gradient  # noqa: F401,E402
# torch.pi / torch.e / torch.inf / torch.nan, the float constants torch exports
import math as _stdmath  # noqa: E402 (pe.math is TensorFlow's tf.math namespace)
pi, e, inf, nan = _stdmath.pi, _stdmath.e, _stdmath.inf, _stdmath.nan
from .tf_names import split as _split  # noqa: E402  (torch.split and tf.split: keywords decide)
from .tf_names import (Variable, constant_initializer, ones_initializer,  # noqa: F401,E402
                       random_normal_initializer, random_uniform_initializer, zeros_initializer)
from .tf_names import tf_range as range  # noqa: A001,E402  (tf.range; docs/attention.md)
from . import strings  # noqa: E402  (tf.strings.lower / regex_replace for text standardization)
from .ragged import RaggedTensor  # noqa: E402  (tf.RaggedTensor: tf.strings.split of a batch)
from .tf_names import symbolic_aware as _symbolic_aware  # noqa: E402
# the same functions, also recording a Keras graph node when a TensorFlow program applies them to
# a Keras symbolic tensor (`import pyengine as tf; y = tf.matmul(keras_input, w)`)
(abs, exp, log, matmul, maximum, minimum, reshape, sigmoid, sqrt, stack, tanh, transpose,  # noqa: A001
 where, ones_like, zeros_like, split) = map(_symbolic_aware, (
    abs, exp, log, matmul, maximum, minimum, reshape, sigmoid, sqrt, stack, tanh, transpose, where,
    ones_like, zeros_like, _split))
# tf.squeeze / tf.expand_dims of a Keras symbolic tensor (keras-io CCT's sequence pooling)
squeeze, expand_dims = _symbolic_aware(squeeze), _symbolic_aware(expand_dims)

# torch's function forms of tensor methods (pe.flip(x, 0), pe.sort(x) ...) and the few
# functions without a method (randperm, meshgrid, cdist, inference_mode ...): torch_functions.py
from .torch_functions import FUNCTIONS as _TORCH_FUNCTIONS  # noqa: E402
# (each also records a Keras graph node on a Keras symbolic tensor: tf.tile(keras_tensor, ...)
# in keras-io pointnet_segmentation)
globals().update({k: _symbolic_aware(v) for k, v in _TORCH_FUNCTIONS.items() if k not in globals()})
from .torch_functions import (bucketize, cdist, det, hstack, inference_mode, inverse,  # noqa: E402,F401,E501
                              is_floating_point, is_tensor, logdet, matrix_exp, meshgrid, numel,
                              randperm, real, imag,
                              searchsorted, std_mean, var_mean, vstack)

from . import version  # noqa: E402  (tf.version.VERSION, torch.version.__version__)
from .version import __version__  # noqa: E402

import os as _os
import threading as _threading


class _fork_state:
    forked_thread = None  # in a fork child: the thread that forked (its OpenMP pool is dead)


class _thread_choice:
    by_program = False  # set_num_threads() was called: pyengine.distributed.init leaves it be


def _after_fork_in_child():
    # libgomp keeps the parent's worker threads in the forking thread's pool; after fork they do
    # not exist and the next parallel region waits for them forever. One thread never uses the
    # pool, so the child computes correctly (single-threaded) instead of hanging.
    _fork_state.forked_thread = _threading.get_ident()
    _threads.set_num_threads(1)


_os.register_at_fork(after_in_child=_after_fork_in_child)


def set_num_threads(n):
    """Threads used by the kernels that the *calling* Python thread runs (OpenMP's nthreads ICV,
    the same scope as ``omp_set_num_threads`` and ``threadpoolctl``); other threads keep
    OMP_NUM_THREADS (default: all cores). Per thread by design: see docs/hardening.md.

    In a child started with fork, the forking thread runs single-threaded (libgomp's thread pool
    does not survive fork) and asking it for more threads raises RuntimeError."""
    if not isinstance(n, int) or isinstance(n, type(True)) or n < 1:
        raise ValueError(f"[set_num_threads] expected a positive int, got {n!r}")
    if n > 1 and _fork_state.forked_thread == _threading.get_ident():
        raise RuntimeError("[set_num_threads] this thread was forked from a process whose OpenMP "
                           "pool cannot be used here (libgomp would hang); it stays at 1 thread. "
                           "Use multiprocessing's 'spawn' or 'forkserver' start method for "
                           "multi-threaded workers, or set threads from a new thread")
    _threads.set_num_threads(n)
    _thread_choice.by_program = True


def get_num_threads():
    return _threads.get_num_threads()


# names whose modules load on first use, as the subpackages below do: (module, attribute)
_LAZY_NAMES = {"TensorArray": ("tf_tensor_array", "TensorArray"),  # tf.TensorArray, eager
               "Tag": ("library", "Tag"),  # torch.Tag: custom_op's inplace / out tags
               "gradients": ("tf_gradients", "gradients"),  # tf.gradients, eager
               "name_scope": ("tf_name_scope", "name_scope"),
               "Module": ("tf_module", "Module"),  # tf.Module (torch's is nn.Module)
               "SparseTensor": ("tf_sparse", "SparseTensor")}  # tf.SparseTensor = tf.sparse's


def __getattr__(name):
    # Heavier subpackages load on first use, keeping `import pyengine` fast (contrib: TF 1's
    # tf.contrib.image; compat: `import pyengine.compat.v1 as tf` for TensorFlow 1 programs).
    if name in ("optim", "keras", "data", "io", "distributed", "distributions",
                "multiprocessing", "linalg", "hub", "func", "contrib", "compat", "jit",
                "compiler", "library"):
        import importlib
        return importlib.import_module(f".{name}", __name__)
    if name in _LAZY_NAMES:
        import importlib
        module, attr = _LAZY_NAMES[name]
        return getattr(importlib.import_module(f".{module}", __name__), attr)
    if name == "train":  # tf.train.latest_checkpoint (tf_train.py)
        from . import tf_train
        return tf_train
    if name == "vmap":  # torch.vmap is torch.func.vmap
        from .func import vmap
        return vmap
    if name in ("initializers", "losses", "metrics", "optimizers"):  # TF 2's tf.X = tf.keras.X
        from . import keras as _keras
        return getattr(_keras, name)
    raise AttributeError(f"module 'pyengine' has no attribute '{name}'")


# pe.einsum / erf / tril / triu / bmm / baddbmm (torch names), composed over existing ops (issue 11 item 6)
from .nn.functional import baddbmm, bmm, einsum, erf, tril, triu  # noqa: E402,F401
from .tf_nn_more import tf_einsum as einsum  # noqa: E402,F811  (arrays and KerasTensors too)
# torch.eq / ne / lt / le / gt / ge as functions (pytorch/examples vae: torch.le(lam, 0.49))
from .nn.functional import eq, ge, gt, le, lt, ne, pow  # noqa: E402,F401,A004
# their torch / TensorFlow long names (the same elementwise comparisons in both; `equal` is
# not one of them: torch.equal answers one bool for whole tensors, tf.equal is elementwise)
not_equal, greater, greater_equal, less, less_equal = map(_symbolic_aware, (ne, gt, ge, lt, le))
# torch.normal / logspace / addmm / kron / cross / remainder / fmod / finfo / iinfo
# (docs/tensor.md, "More torch functions")
from .torch_functions_more import addmm, cross, kron, logspace, normal  # noqa: E402,F401
# torch.FloatTensor(2, 3) / LongTensor(data) (pytorch/examples gcn; older tutorials)
from .legacy_tensor_types import (BoolTensor, ByteTensor, DoubleTensor, FloatTensor,  # noqa: E402,F401
                                  IntTensor, LongTensor)
# torch.sparse_coo_tensor / torch.sparse.mm / torch.spmm (pytorch/examples gcn), sparse_coo.py
from . import sparse  # noqa: E402
from .sparse_coo import sparse_coo, sparse_coo_tensor, strided  # noqa: E402,F401
# tf.SparseTensor, tf.sparse.from_dense / to_dense (beside torch's names in pe.sparse) and
# tf.edit_distance, tf_sparse.py
from .tf_sparse import SparseTensor, edit_distance  # noqa: E402,F401
from . import tf_sparse as _tf_sparse  # noqa: E402
sparse.SparseTensor, sparse.from_dense, sparse.to_dense = (_tf_sparse.SparseTensor,
                                                          _tf_sparse.from_dense,
                                                          _tf_sparse.to_dense)
from .sparse import mm as spmm  # noqa: E402,F401
from .ops.remainder import fmod, remainder  # noqa: E402,F401
from .dtype_info import finfo, iinfo  # noqa: E402,F401
# torch.special, the special functions as pe.* and tensor methods, tensordot, histc and the
# default dtype (docs/tensor.md, "Special functions")
from . import special  # noqa: E402
from .torch_functions import _method_function  # noqa: E402
from .tensor_special_habits import special_tensor_functions as _special_names  # noqa: E402
globals().update({_n: _method_function(_n) for _n in _special_names()})
from .special import polygamma  # noqa: E402,F401
from .torch_functions_missing import histc, tensordot  # noqa: E402,F401
tensordot = _symbolic_aware(tensordot)  # noqa: E305  (tf.tensordot on Keras symbolic tensors)
# torch.add / sub / mul / div (+ long names) and matmul with out= (tutorials' tensor pages)
# (also tf.add / multiply ...: symbolic-aware, so they record a node on Keras tensors)
from . import torch_arithmetic as _arith  # noqa: E402
# torch.sin_(t) & co. and the missing Tensor.sin_() ... (torch_inplace.py); torch.bitwise_*
from .torch_inplace import FUNCTIONS as _INPLACE_FUNCTIONS  # noqa: E402
globals().update({k: v for k, v in _INPLACE_FUNCTIONS.items() if k not in globals()})
from .torch_bitwise import bitwise_and, bitwise_not, bitwise_or, bitwise_xor  # noqa: E402,F401
# torch.autograd.functional (jacobian, vjp, jvp), autograd_functional.py
from . import autograd_functional as _autograd_functional  # noqa: E402
_autograd_module.functional = _autograd_functional
# torch.autograd.gradcheck / gradgradcheck (torch's signatures over pe.testing's)
from .testing import autograd_gradcheck as _agc, autograd_gradgradcheck as _aggc  # noqa: E402
_autograd_module.gradcheck, _autograd_module.gradgradcheck = _agc, _aggc
# `from torch.autograd.gradcheck import gradcheck` (numpy_extensions tutorial): the submodule path
_gradcheck_module = _sys_amp.modules.setdefault(
    "pyengine.autograd.gradcheck", type(_sys_amp)("pyengine.autograd.gradcheck"))
_gradcheck_module.gradcheck, _gradcheck_module.gradgradcheck = _agc, _aggc
import sys as _sys  # noqa: E402
_sys.modules["pyengine.autograd.functional"] = _autograd_functional
# torch.autograd.function (Function, FunctionCtx, once_differentiable), autograd_function.py
from . import autograd_function as _autograd_function  # noqa: E402
_autograd_module.function = _autograd_function
_sys.modules["pyengine.autograd.function"] = _autograd_function
# torch.autograd.forward_ad (dual tensors over reverse mode), autograd_forward_ad.py
from . import autograd_forward_ad as _autograd_forward_ad  # noqa: E402
_autograd_module.forward_ad = _autograd_forward_ad
_sys.modules["pyengine.autograd.forward_ad"] = _autograd_forward_ad
# torch.autograd.graph (saved_tensors_hooks, save_on_cpu, Node), autograd_graph.py
from . import autograd_graph as _autograd_graph  # noqa: E402
_autograd_module.graph = _autograd_graph
_sys.modules["pyengine.autograd.graph"] = _autograd_graph
# torch.autograd.profiler / torch.profiler (CPU wall time per op), autograd_profiler.py
from . import autograd_profiler as profiler  # noqa: E402
_autograd_module.profiler = profiler
_sys.modules["pyengine.autograd.profiler"] = profiler
_sys.modules["pyengine.profiler"] = profiler
# out= for the creation functions (torch.rand(2, 2, out=c)), creation_out.py
from .creation_out import (arange, empty, eye, full, linspace, ones, rand, randn,  # noqa: E402,F401
                           zeros)
(add, sub, subtract, mul, multiply, div, divide, true_divide, matmul) = map(_symbolic_aware, (
    _arith.add, _arith.sub, _arith.subtract, _arith.mul, _arith.multiply, _arith.div,
    _arith.divide, _arith.true_divide, _arith.matmul))
# out= for torch's one-input math functions (torch.sin(x, out=y))
(abs, cos, exp, log, log1p, sin, sqrt, tanh, sigmoid) = (  # noqa: A001
    _arith.with_out(_f, _f.__name__) for _f in (abs, cos, exp, log, log1p, sin, sqrt, tanh,
                                               sigmoid))
from .dtypes import get_default_dtype, set_default_dtype  # noqa: E402,F401
# torch.take / select / tensor_split / addcmul / hypot / fmax / aminmax / block_diag / rot90 ...
# (and x.take(), x.index_copy_() ...), torch_functions_extra.py. pe.equal is torch.equal (one
# bool for two whole tensors); with an array / list / number operand or name= it is
# TensorFlow's elementwise tf.equal; tf.math.equal is always the elementwise one.
from .torch_functions_extra import (addcdiv, addcmul, addmv, aminmax, atleast_1d,  # noqa: E402,F401
                                    atleast_2d, atleast_3d, block_diag, broadcast_tensors, clip,
                                    detach, diag_embed, dist, equal, float_power, floor_divide,
                                    fmax, fmin, hypot, index_copy, inner, nansum, rot90, rsub,
                                    select, sgn, take, take_along_dim, tensor_split, vdot)
# torch.kthvalue / mode / nanmedian / cummax / cummin / logcumsumexp / unique_consecutive /
# cartesian_prod / combinations / renorm / trapezoid / cumulative_trapezoid / gradient / poisson
from .torch_functions_scan import (cartesian_prod, combinations, cummax, cummin,  # noqa: E402,F401
                                   cumulative_trapezoid, gradient, kthvalue, logcumsumexp, mode,
                                   nanmedian, poisson, renorm, trapezoid, unique_consecutive)
# torch.quantile / nanmean / cov / logaddexp / copysign / gcd / frexp / diagflat / vander ...
# (and x.quantile() ...), torch_functions_numeric.py
from .torch_functions_numeric import (corrcoef, copysign, cov, deg2rad, diagflat,  # noqa: E402,F401
                                      frexp, gcd, heaviside, isin, lcm, ldexp, logaddexp,
                                      logaddexp2, msort, nanmean, nanquantile, nextafter,
                                      quantile, rad2deg, signbit, vander)
# method forms of top-level functions, torch's other spellings and the complex API of a real
# tensor (x.addmm, x.where(c, y), pe.absolute, pe.conj, x.put ...), torch_tensor_gaps.py
from .torch_tensor_gaps import FUNCTION_NAMES as _GAP_NAMES, dstack  # noqa: E402,F401
globals().update({_n: _method_function(_n) for _n in _GAP_NAMES})
trapz = trapezoid  # noqa: E305  (torch.trapz, the older name)
# the in-place forms of the methods added since torch_inplace was first imported (x.renorm_,
# x.bitwise_and_, x.addmm_, x.greater_ ...)
from .torch_inplace import install as _install_inplace  # noqa: E402
globals().update({k: v for k, v in _install_inplace().items() if k not in globals()})
# torch.conv2d / dropout / embedding / selu / pdist ... (nn.functional's functions at the top
# level, torch's argument order), slogdet, asarray, frombuffer, typename: torch_nn_aliases.py
from . import torch_nn_aliases as _nn_aliases  # noqa: E402
globals().update({k: v for k, v in _nn_aliases.functional_aliases().items() if k not in globals()})
from .torch_nn_aliases import (asarray, dropout, embedding, frombuffer, pdist,  # noqa: E402,F401
                               slogdet, typename)
# torch.get_rng_state / set_rng_state / initial_seed: pyengine's generator state (random.py)
from .random import get_rng_state, initial_seed, set_rng_state  # noqa: E402,F401
# torch.set_printoptions / get_printoptions (Tensor repr), print_options.py; torch.dtype is the
# class of pe's dtypes (isinstance(pe.float32, pe.dtype))
from .print_options import get_printoptions, set_printoptions  # noqa: E402,F401
from .dtypes import DType as dtype  # noqa: E402
# More TensorFlow names (docs/keras.md, "import pyengine as tf"): clipping, pad / fill / unstack,
# reduce_prod / any / all, masks, the nd gathers and scatters, control flow, tf.print,
# tf.debugging / tf.errors, and tf.random's set_seed & co. (attached to pe.random)
from .tf_names_more import (boolean_mask, clip_by_global_norm, clip_by_norm,  # noqa: E402,F401
                            clip_by_value, executing_eagerly, fill, get_static_value, identity,
                            pad, rank, reduce_all, reduce_any, reduce_prod, sequence_mask, unstack)
# tf.size (the submodule pyengine.size, torch.Size's home, stays importable: sys.modules)
from .tf_names_more import size  # noqa: E402,F811
from .tf_indexing import (gather_nd, scatter_nd, slice, tensor_scatter_nd_add,  # noqa: E402,F401,A004,E501
                          tensor_scatter_nd_update)
from .tf_indexing import torch_or_tf_gather as gather  # noqa: E402  (torch's and tf.gather)
from . import tf_segment as _tf_segment  # noqa: E402  (tf.math.segment_* / unsorted_segment_*)
for _n in _tf_segment.__all__:
    setattr(math, _n, getattr(_tf_segment, _n))  # noqa: F821  (tf.math, the module)
from .tf_control_flow import cond, map_fn, numpy_function, py_function, scan, while_loop  # noqa: E402,F401,E501
from .tf_control_flow import tf_print as print  # noqa: E402,A001  (tf.print; builtins' stays)
from .tf_debugging import (assert_equal, assert_greater, assert_less, assert_rank,  # noqa: E402,F401
                           debugging, errors)
from .tf_names_more import torch_or_tf_cumsum as cumsum  # noqa: E402  (torch's and tf.cumsum)
from .tf_names_more import torch_or_tf_argmax as argmax  # noqa: E402  (torch's and tf.argmax)
from .tf_names_more import torch_or_tf_argmin as argmin  # noqa: E402
from .tf_names_more import torch_or_tf_argsort as argsort  # noqa: E402  (torch's and tf.argsort)
from .tf_names_more import torch_or_tf_sort as sort  # noqa: E402  (torch.sort's pair, tf.sort's values)
math.argmax, math.argmin = argmax, argmin  # noqa: F821  (tf.math's: the same resolution)
from . import tf_math_more as _tf_math_more  # noqa: E402  (tf.math.divide / add / floor ...)
_tf_math_more.attach(math, _sys.modules[__name__])  # noqa: F821
roll = _symbolic_aware(_tf_math_more.torch_or_tf_roll)  # torch.roll and tf.roll(shift=, axis=)
from . import tf_random as _tf_random  # noqa: E402
from .tf_sparse import SparseTensor  # noqa: E402,F401  (tf.SparseTensor; tf.sparse.to_dense below)
from . import tf_sparse as _tf_sparse  # noqa: E402
sparse.to_dense = _tf_sparse.to_dense  # noqa: F821  (pe.sparse, torch.sparse's module)
# TensorFlow 1's tf.random_uniform / tf.random_normal (tf_random.py); tf.name_scope,
# tf.TensorArray, tf.gradients, tf.contrib and tf.compat load on first use (_LAZY_NAMES)
from .tf_random import random_normal, random_uniform  # noqa: E402,F401
for _n in ("set_seed", "truncated_normal", "categorical", "shuffle", "stateless_uniform",
           "stateless_normal", "split", "log_uniform_candidate_sampler"):
    setattr(random, _n, getattr(_tf_random, _n))  # noqa: F821  (pe.random, the module)
# pe.norm: torch.norm, or tf.norm when called with ord= / axis= / keepdims= (tf_norm.py)
from .tf_norm import torch_or_tf_norm as norm  # noqa: E402


# `from pyengine import *` exports every public name except those that would shadow a Python
# builtin (range, sum, abs, max, min, pow, ...): pe.range is TensorFlow's range and returns a
# Tensor, so a star import must not replace the builtin under a user's `for i in range(n)`.
# They stay reachable as pe.range, pe.sum, ... (as torch keeps torch.sum out of builtins' way).
import builtins as _builtins  # noqa: E402

__all__ = sorted(n for n in dir() if not n.startswith("_") and not hasattr(_builtins, n))
del _builtins
