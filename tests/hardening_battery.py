"""Bad and edge inputs for tests/test_hardening_battery.py, and the subprocess that runs them.

Each case is a snippet run after PRELUDE and what it must do:
  ("raises", "ValueError", regex)   a clear exception naming the op (regex on "Type: message")
  ("ok", None)                      runs and leaves `result` true (the correct answer)
  ("warns", "UserWarning", regex)   runs and warns
Run as a script, this module executes the named cases in order under a 4 GiB address-space
limit (an absurd allocation fails fast instead of swapping the machine; under .ci/sanitize ASan's
max_allocation_size_mb=4096 takes its place) and prints one JSON line
per case, so that the parent can tell which case crashed or hung and restart after it.
"""
import json
import re
import sys

PRELUDE = """
import numpy as np, pyengine as pe, pyengine.nn.functional as F
from pyengine import _C
f32 = lambda *s: np.ones(s, np.float32)
x33, w33 = pe.randn(1, 1, 3, 3), pe.randn(1, 1, 3, 3)
dot33 = float((x33.numpy().astype(np.float64) * w33.numpy()).sum())
xn, wn = pe.randn(1, 3, 3, 2), pe.randn(3, 3, 2, 4)
dotn = np.einsum("nhwc,hwco->o", xn.numpy().astype(np.float64), wn.numpy().astype(np.float64))
def mlp_args():  # a valid _C.mlp_train call as a list: x (4, 3), sparse labels, one Dense(2), SGD
    rng = np.random.default_rng(0)
    return [rng.standard_normal((4, 3)).astype(np.float32), np.array([[0], [1], [1], [0]], np.float32),
            np.arange(4), 4, [rng.standard_normal((3, 2)).astype(np.float32)], [np.zeros(2, np.float32)],
            [0], [0.0], [True], [None, None], [None, None], 3, 3, 0, [0.1, 0.0, 0.9, 0.999, 1e-7, 0.0], 0, 0]
def near(t, v): return np.allclose(np.asarray(getattr(t, 'data', t), np.float64), v, rtol=1e-5, atol=1e-5)
"""

def package_path():
    """PYTHONPATH under which a child process imports the same pyengine as this one (the source
    tree in development, site-packages when testing an installed wheel)."""
    import os
    import pyengine
    return os.path.dirname(os.path.dirname(os.path.abspath(pyengine.__file__)))


R, OK, W = "raises", "ok", "warns"
VE, TE = "ValueError", "TypeError"

CASES = {
    # conv2d geometry: huge strides are valid (one output window), huge padding is refused
    "conv_stride_2p62": ("result = near(F.conv2d(x33, w33, stride=2**62), dot33)", OK, None, None),
    "conv_stride_2p63m1": ("result = near(F.conv2d(x33, w33, stride=2**63 - 1), dot33)", OK, None, None),
    "conv_stride_1_2p40": ("result = near(F.conv2d(x33, w33, stride=(1, 2**40)), dot33)", OK, None, None),
    "conv_stride_1e8": ("result = near(F.conv2d(x33, w33, stride=10**8), dot33)", OK, None, None),
    "conv_stride_2p63": ("F.conv2d(x33, w33, stride=2**63)", R, VE, r"\[conv2d\].*int64"),
    "conv_stride_grad": ("x = pe.randn(1, 1, 3, 3, requires_grad=True); F.conv2d(x, w33, stride=2**62).sum().backward(); "
                         "result = near(x.grad, w33.numpy())", OK, None, None),
    "conv_padding_2p40": ("F.conv2d(x33, w33, padding=2**40)", R, VE, r"\[conv2d\]"),
    "conv_padding_2p62": ("F.conv2d(x33, w33, padding=2**62)", R, VE, r"\[conv2d\]"),
    "conv_padding_stride_1e5": ("F.conv2d(x33, w33, padding=10**5, stride=10**5)", R, VE, r"\[conv2d\] padding"),
    "conv_dilation_2p62": ("F.conv2d(x33, w33, dilation=2**62)", R, VE, r"\[conv2d\].*(overflows|larger)"),
    "conv_C_padding_overflow": ("_C.conv2d_forward(f32(1,1,3,3), f32(1,1,3,3), None, f32(1,1,1,1), 1, 1, 2**62, 2**62, 1, 1, 1)",
                                R, VE, r"\[conv2d\].*overflows"),
    "conv_C_bias_not_array": ("_C.conv2d_forward(f32(1,1,3,3), f32(1,1,3,3), 2.5, f32(1,1,1,1), 1, 1, 0, 0, 1, 1, 1)",
                              R, TE, r"\[conv2d\] bias must be a NumPy array"),
    "conv_bwd_weight_out_aliases_x": ("x = f32(1,1,3,3); _C.conv2d_backward_weight(x, f32(1,1,1,1), x, 1, 1, 0, 0, 1, 1, 1)",
                                      R, VE, r"\[conv2d_backward_weight\] out overlaps input"),
    "conv_fwd_out_aliases_x": ("x = f32(1,1,3,3); _C.conv2d_forward(x, f32(1,1,1,1), None, x, 1, 1, 0, 0, 1, 1, 1)",
                               R, VE, r"\[conv2d\] out overlaps input"),
    "conv_bwd_grads_alias_each_other": ("b = np.zeros(18, np.float32); _C.conv2d_backward(f32(1,1,3,3), f32(1,1,1,1), f32(1,1,3,3), "
                                        "b[:9].reshape(1,1,3,3), b[4:13].reshape(1,1,3,3), None, 1, 1, 0, 0, 1, 1, 1)",
                                        R, VE, r"\[conv2d_backward\] grad_input overlaps grad_weight"),
    # pooling
    "maxpool_C_kernel_2p62": ("_C.max_pool2d_forward(f32(1,1,4,4), np.empty((1,1,8,8),np.float32), None, 2**62, 2**62, 1, 1, 0, 0, 4, 4)",
                              R, VE, r"\[max_pool2d\].*overflows"),
    "maxpool_stride_2p62": ("result = near(F.max_pool2d(pe.ones(1,1,4,4), 2, stride=2**62), 1.0)", OK, None, None),
    "maxpool_window_in_padding": ("F.max_pool2d(pe.ones(1,1,1,1), 2, stride=1, padding=1, dilation=2)",
                                  R, VE, r"\[max_pool2d\].*entirely in the padding"),
    "maxpool_window_in_padding_cols": ("F.max_pool2d(pe.ones(1,1,3,2), (1, 2), stride=1, padding=(0, 1), dilation=(1, 3))",
                                       R, VE, r"\[max_pool2d\].*column.*padding"),
    "maxpool_dilated_ok": ("x = pe.randn(1,1,5,5, requires_grad=True); y = F.max_pool2d(x, 2, stride=1, padding=1, dilation=2); "
                           "y.sum().backward(); result = y.shape == (1,1,5,5) and x.grad is not None", OK, None, None),
    "maxpool_out_aliases_x": ("x = f32(1,1,2,2); _C.max_pool2d_forward(x, x[:, :, :1, :1], None, 2, 2, 2, 2, 0, 0, 1, 1)",
                              R, VE, r"overlaps|C-contiguous"),
    "maxpool_bwd_int32_indices": ("_C.max_pool2d_backward(f32(1,1,2,2), np.zeros((1,1,2,2), np.int32), np.empty((1,1,4,4), np.float32))",
                                  R, TE, r"\[max_pool2d_backward\] indices must be int64, got int32"),
    "maxpool_indices_not_array": ("_C.max_pool2d_forward(f32(1,1,2,2), f32(1,1,1,1), [0], 2, 2, 2, 2, 0, 0, 1, 1)",
                                  R, TE, r"\[max_pool2d\] indices must be a NumPy array"),
    "maxpool_padding_2p62": ("F.max_pool2d(pe.ones(1,1,4,4), 2, padding=2**62)", R, VE, r"\[max_pool2d\]"),
    "avgpool_divisor_overflow": ("F.avg_pool2d(pe.ones(1,1,4,4), 2**32, padding=2**31)", R, VE, r"\[avg_pool2d\].*kernel area overflows"),
    "avgpool_stride_2p63m1": ("result = near(F.avg_pool2d(pe.ones(1,1,4,4), 2, stride=2**63 - 1), 1.0)", OK, None, None),
    "avgpool_huge_stride_ceil": ("result = near(F.avg_pool2d(pe.ones(1,1,4,4), 3, stride=2**62, ceil_mode=True), 1.0)", OK, None, None),
    "avgpool_bwd_aliases": ("g = f32(1,1,4,4); _C.avg_pool2d_backward(g[:, :, :2, :2].copy(), g, 2, 2, 2, 2, 0, 0); "
                            "x = f32(1,1,4,4); _C.avg_pool2d_backward(x[:, :, :2, :2], x, 2, 2, 2, 2, 0, 0)",
                            R, VE, r"overlaps|C-contiguous"),
    # matmul
    "matmul_out_is_b": ("a, b = f32(4,4), f32(4,4); _C.matmul(a, b, b)", R, VE, r"\[matmul\] out overlaps b"),
    "matmul_out_partly_a": ("buf = np.ones(32, np.float32); _C.matmul(buf[:16].reshape(4,4), f32(4,4), buf[8:24].reshape(4,4))",
                            R, VE, r"\[matmul\] out overlaps a"),
    "matmul_list": ("_C.matmul([[1.0]], f32(1,1), f32(1,1))", R, TE, r"matmul"),
    "matmul_misaligned": ("a = np.frombuffer(bytearray(68), np.float32, 16, 1).reshape(4,4); _C.matmul(f32(4,4), f32(4,4), a)",
                          R, VE, r"\[matmul\] out (is not aligned|must be writeable)"),
    # activations / softmax
    "act_out_is_x": ("x = f32(3); _C.act_forward('relu', x, x)", R, VE, r"\[activation\] out overlaps x"),
    "act_misaligned": ("a = np.frombuffer(bytearray(17), np.float32, 4, 1).copy(); b = np.frombuffer(bytearray(17), np.float32, 4, 1); "
                       "_C.act_forward('relu', b, a)", R, VE, r"\[activation\] x is not aligned"),
    "softmax_out_is_x": ("x = f32(2,3); _C.softmax(x, x, 1, False)", R, VE, r"\[softmax\] out overlaps x"),
    "elu_nan": ("result = np.isnan(F.elu(pe.tensor([float('nan')])).numpy()[0])", OK, None, None),
    "sigmoid_nan": ("result = np.isnan(pe.tensor([float('nan')]).sigmoid().numpy()[0])", OK, None, None),
    # losses
    "xent_C_weight_float": ("_C.softmax_cross_entropy(np.zeros((2,3),np.float32), np.array([0,1]), 2.5, 0., -100, np.empty(2,np.float32), None)",
                            R, TE, r"\[cross_entropy\] weight must be a NumPy array, got float"),
    "xent_C_loss_aliases_input": ("z = np.zeros((2,3),np.float32); _C.softmax_cross_entropy(z, np.array([0,1]), None, 0., -100, z[0, :2], None)",
                                  R, VE, r"overlaps|C-contiguous"),
    "xent_C_grad_is_input": ("z = np.zeros((2,3),np.float32); _C.softmax_cross_entropy(z, np.array([0,1]), None, 0., -100, np.empty(2,np.float32), z)",
                             R, VE, r"\[cross_entropy\] grad overlaps input"),
    "xent_weight_target_5": ("F.cross_entropy(pe.randn(4,3), pe.tensor([0,1,2,5]), weight=pe.ones(3))",
                             R, VE, r"\[cross_entropy\] target 5 is out of bounds for 3 classes"),
    "xent_target_neg": ("F.cross_entropy(pe.randn(4,3), pe.tensor([0,1,2,-3]))", R, VE, r"\[cross_entropy\] target -3"),
    "bce_out_of_range": ("F.binary_cross_entropy(pe.tensor([1.5,-0.5]), pe.tensor([1.,0.]))",
                         R, VE, r"\[binary_cross_entropy\] all elements of input should be between 0 and 1"),
    "bce_edges_ok": ("result = np.isfinite(F.binary_cross_entropy(pe.tensor([0., 1.]), pe.tensor([1., 0.])).item())", OK, None, None),
    "bce_C_loss_is_input": ("x = np.full(3, .5, np.float32); _C.binary_cross_entropy(x, x.copy(), None, x, None)",
                            R, VE, r"\[binary_cross_entropy\] loss overlaps input"),
    "mse_broadcast_warns": ("F.mse_loss(pe.randn(3,1), pe.randn(3))", W, "UserWarning", r"\[mse_loss\].*broadcast"),
    "l1_broadcast_warns": ("F.l1_loss(pe.randn(3,1), pe.randn(3))", W, "UserWarning", r"\[l1_loss\].*broadcast"),
    # optimizers
    "sgd_grad_is_param": ("p = f32(3); _C.sgd_step([p], [p], [None], [True], 0.1, 0., 0., 0., False, False)",
                          R, VE, r"\[sgd\] param overlaps its grad"),
    "sgd_buf_is_grad": ("p, g = f32(3), f32(3); _C.sgd_step([p], [g], [g], [True], 0.1, 0.9, 0., 0., False, False)",
                        R, VE, r"\[sgd\] state 0 of param overlaps its grad"),
    "sgd_param_not_array": ("_C.sgd_step([[1.0]], [f32(1)], [None], [True], 0.1, 0., 0., 0., False, False)",
                            R, VE, r"\[sgd\] param 0 is not an array"),
    # channels-last (NHWC) conv / pooling: checked geometry, huge strides valid, optional arrays typed
    "nhwc_padding_2p40": ("F.conv2d_nhwc(xn, wn, padding=2**40)", R, VE, r"\[conv2d_nhwc\] cannot allocate the output"),
    "nhwc_padding_2p62": ("F.conv2d_nhwc(xn, wn, padding=2**62)", R, VE, r"\[conv2d_nhwc\]"),
    "nhwc_padding_stride_2p40": ("y = F.conv2d_nhwc(xn, wn, padding=2**40, stride=2**40).numpy(); want = np.zeros((1, 3, 3, 4)); "
                                 "want[0, 1, 1] = dotn; result = near(y, want)", OK, None, None),
    "nhwc_stride_2p63m1": ("result = near(F.conv2d_nhwc(xn, wn, stride=2**63 - 1), dotn[None, None, None])", OK, None, None),
    "nhwc_stride_2p63": ("F.conv2d_nhwc(xn, wn, stride=2**63)", R, VE, r"\[conv2d_nhwc\].*int64"),
    "nhwc_dilation_2p62": ("F.conv2d_nhwc(xn, wn, dilation=2**62)", R, VE, r"\[conv2d_nhwc\].*larger than the padded input"),
    "nhwc_C_padding_overflow": ("_C.conv2d_nhwc_forward(f32(1,3,3,2), f32(3,3,2,4), None, f32(1,1,1,4), 1, 1, 2**62, 2**62, 0, 0, 1, 1, 1)",
                                R, VE, r"\[conv2d_nhwc\] padded size overflows int64"),
    "nhwc_C_padding_2p60": ("_C.conv2d_nhwc_forward(f32(1,3,3,2), f32(3,3,2,4), None, f32(1,1,1,4), 2**61, 1, 2**60, 2**60, 0, 0, 1, 1, 1)",
                            R, VE, r"\[conv2d_nhwc\] the padded input .* larger than the supported 2\*\*56"),
    "nhwc_C_dilation_overflow": ("_C.conv2d_nhwc_forward(f32(1,3,3,2), f32(3,3,2,4), None, f32(1,1,1,4), 1, 1, 0, 0, 0, 0, 2**62, 1, 1)",
                                 R, VE, r"\[conv2d_nhwc\] dilated kernel size overflows int64"),
    "nhwc_C_groups_overflow": ("_C.conv2d_nhwc_forward(f32(1,3,3,2), f32(3,3,2,4), None, f32(1,1,1,4), 1, 1, 0, 0, 0, 0, 1, 1, 2**62)",
                               R, VE, r"\[conv2d_nhwc\] .*overflows int64"),
    "nhwc_C_bias_list": ("_C.conv2d_nhwc_forward(f32(1,3,3,2), f32(3,3,2,4), [1., 2., 3., 4.], f32(1,1,1,4), 1, 1, 0, 0, 0, 0, 1, 1, 1)",
                         R, TE, r"\[conv2d_nhwc\] bias must be a NumPy array, got list"),
    "nhwc_C_grad_input_list": ("x = np.ones((1,3,3,2)); _C.conv2d_nhwc_backward(x, np.ones((1,1,1,4)), np.ones((3,3,2,4)), None, "
                               "x.tolist(), None, None, 1, 1, 0, 0, 0, 0, 1, 1, 1)",
                               R, TE, r"\[conv2d_nhwc_backward\] grad_input must be a NumPy array, got list"),
    "nhwc_C_out_aliases_x": ("x = f32(1,3,3,2); _C.conv2d_nhwc_forward(x, f32(1,1,2,2), None, x, 1, 1, 0, 0, 0, 0, 1, 1, 1)",
                             R, VE, r"\[conv2d_nhwc\] out overlaps input"),
    "nhwc_maxpool_huge_window": ("x = pe.randn(1,3,3,2); y = F.max_pool2d_nhwc(x, 2**20, padding=2**19).numpy(); "
                                 "result = near(y, x.numpy().max(axis=(1, 2)).reshape(1, 1, 1, 2))", OK, None, None),
    "nhwc_avgpool_huge_window": ("x = pe.randn(1,3,3,2); y = F.avg_pool2d_nhwc(x, 2**20, padding=2**19).numpy(); "
                                 "result = near(y, x.numpy().astype(np.float64).mean(axis=(1, 2)).reshape(1, 1, 1, 2))", OK, None, None),
    "nhwc_avgpool_window_overflow": ("F.avg_pool2d_nhwc(pe.ones(1,3,3,2), 2**32, padding=2**31)", R, VE,
                                     r"\[avg_pool2d_nhwc\] window work .* overflows int64"),
    "nhwc_maxpool_stride_2p63m1": ("x = pe.randn(1,3,3,2); result = near(F.max_pool2d_nhwc(x, 3, stride=2**63 - 1), "
                                   "x.numpy().max(axis=(1, 2)).reshape(1, 1, 1, 2))", OK, None, None),
    "nhwc_C_maxpool_kernel_2p62": ("_C.max_pool2d_nhwc_forward(f32(1,3,3,2), f32(1,1,1,2), 2**62, 2**62, 1, 1, 0, 0, 0, 0)",
                                   R, VE, r"\[max_pool2d_nhwc\] kernel .* larger than the padded input"),
    "nhwc_C_pool_padding_overflow": ("_C.avg_pool2d_nhwc_forward(f32(1,3,3,2), f32(1,1,1,2), 2**62 + 1, 1, 1, 1, 2**62, 2**62, 0, 0, False)",
                                     R, VE, r"\[avg_pool2d_nhwc\] padded size overflows int64"),
    # direct-conv scratch that cannot be allocated (over the 4 GiB limit): MemoryError, not a crash
    # (depthwise: its direct kernel pads the input into column phases; the 1-channel layer's
    # small-K kernel needs no such scratch and computes this case)
    "conv_scratch_alloc_fails": ("F.conv2d(pe.randn(1, 2, 3, 3), pe.randn(2, 1, 3, 3), padding=20000, "
                                 "stride=20000, groups=2)", R, "MemoryError",
                                 r"\[conv2d\] cannot allocate"),
    # recurrent kernels (csrc/rnn)
    "rnn_C_y_aliases_x": ("x = np.zeros((2,1,3)); _C.rnn_forward(0, False, x, np.zeros((3,3)), np.zeros((3,3)), None, None, "
                          "np.zeros((1,3)), None, None, x, None, None, np.zeros((2,1,3)), None)", R, VE, r"\[rnn\] y overlaps input"),
    "rnn_C_mode_99": ("x = np.zeros((2,1,3)); _C.rnn_forward(99, False, x, np.zeros((3,3)), np.zeros((3,3)), None, None, "
                      "np.zeros((1,3)), None, None, np.zeros((2,1,3)), None, None, np.zeros((2,1,3)), None)", R, VE, r"\[rnn\] unknown mode 99"),
    "rnn_C_h0_list": ("x = np.zeros((2,1,3)); _C.rnn_forward(0, False, x, np.zeros((3,3)), np.zeros((3,3)), None, None, "
                      "[[0., 0., 0.]], None, None, np.zeros((2,1,3)), None, None, np.zeros((2,1,3)), None)", R, VE, r"\[rnn\] h0 must be a NumPy array"),
    # image resampling (csrc/image)
    "resize_C_scale_1e300": ("_C.resize_forward(f32(1,4,4,1), np.empty((1,3,3,1), np.float32), 1e300, 1e300, 0)",
                             R, VE, r"\[resize\] scales .* too large"),
    "warp_C_transforms_alias_out": ("b = np.zeros(8, np.float32); _C.affine_warp_forward(f32(1,2,2,2), b.reshape(1, 8), "
                                    "b.reshape(1, 2, 2, 2), True, 2, 0.)", R, VE, r"\[affine_warp\] transforms and out overlap"),
    "warp_huge_coordinate": ("t = np.array([[1, 0, 1e30, 0, 1, -1e30, 0, 0]], np.float32); y = np.empty((1,4,4,1), np.float32); "
                             "x = np.arange(16, dtype=np.float32).reshape(1,4,4,1); [_C.affine_warp_forward(x, t, y, True, m, 0.) for m in range(4)]; "
                             "result = np.isfinite(y).all() and y.min() >= 0 and y.max() <= 15", OK, None, None),
    # RBM kernels (csrc/rbm): optional outputs must be arrays (a converted copy would be lost)
    "rbm_C_sample_list": ("_C.rbm_layer(f32(2,3), f32(4,3), True, f32(4), np.empty((2,4), np.float32), [[0.]*4]*2, 'bernoulli', 0, 0)",
                          R, TE, r"\[rbm_layer\] sample must be a NumPy array, got list"),
    "rbm_C_mean_aliases_x": ("x = f32(2,4); _C.rbm_layer(x, f32(4,4), True, f32(4), x, None, 'bernoulli', 0, 0)",
                             R, VE, r"\[rbm_layer\] mean overlaps x"),
    "rbm_C_chain_list": ("_C.rbm_cd_step(f32(2,3), f32(4,3), f32(4), f32(3), f32(4,3), f32(4), f32(3), [[0.]*4], 1, 'bernoulli', "
                         "0.1, 0., 0., 0., 0., 0, 0)", R, TE, r"\[rbm_cd_step\] chain must be a NumPy array, got list"),
    # fused Keras MLP trainer (csrc/fused)
    "mlp_train_batch_2p62": ("a = mlp_args(); b = mlp_args(); _C.mlp_train(*a[:3], 2**62, *a[4:]); _C.mlp_train(*b[:3], 4, *b[4:]); "
                             "result = np.array_equal(a[4][0], b[4][0])", OK, None, None),
    "mlp_train_state_is_kernel": ("a = mlp_args(); a[9][0] = a[4][0]; a[9][1] = np.zeros(2, np.float32); a[14][1] = 0.9; _C.mlp_train(*a)", R, VE,
                                  r"\[mlp_train\] layer 0 kernel overlaps layer 0 kernel state"),
    "mlp_train_kernel_view_of_x": ("a = mlp_args(); a[4][0] = a[0].reshape(-1)[:6].reshape(3, 2); _C.mlp_train(*a)", R, VE,
                                   r"\[mlp_train\] layer 0 kernel overlaps x"),
    "mlp_train_label_out_of_range": ("a = mlp_args(); a[1][2, 0] = 7; _C.mlp_train(*a)", R, VE, r"\[mlp_train\] sparse label 7"),
    # files
    "save_missing_dir": ("pe.save({}, '/nonexistent-dir-pe/x.pe')", R, "FileNotFoundError",
                         r"\[save\] cannot write /nonexistent-dir-pe/x\.pe"),
    "load_not_ours": ("import tempfile, os; f = tempfile.NamedTemporaryFile(delete=False); f.write(b'junk'); f.close(); pe.load(f.name)",
                      R, VE, r"\[load\].*not a pyengine file"),
    # threads
    "threads_zero": ("pe.set_num_threads(0)", R, VE, r"\[set_num_threads\]"),
    "threads_bool": ("pe.set_num_threads(True)", R, VE, r"\[set_num_threads\]"),
}


def run_case(name):
    code, kind, exc, pattern = CASES[name]
    import warnings
    ns = {}
    exec(PRELUDE, ns)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            exec(code, ns)
        except Exception as e:  # noqa: BLE001 - the battery reports whatever was raised
            got = f"{type(e).__name__}: {e}"
            # the named class or a subclass of it (InputTooSmallError is a ValueError): what
            # `except ValueError` in user code catches
            if kind == "raises" and exc in {c.__name__ for c in type(e).__mro__} \
                    and re.search(pattern, got):
                return "pass", got
            return "fail", f"raised {got[:400]}"
    if kind == "raises":
        return "fail", f"expected {exc} matching {pattern!r}, nothing was raised"
    if kind == "warns":
        msgs = [f"{w.category.__name__}: {w.message}" for w in caught]
        ok = any(m.startswith(exc) and re.search(pattern, m) for m in msgs)
        return ("pass" if ok else "fail"), f"warnings: {msgs}"
    return ("pass" if ns.get("result") else "fail"), f"result = {ns.get('result')!r}"


def main(names):
    import os
    import resource
    if not os.environ.get("PYENGINE_SANITIZED"):  # ASan reserves terabytes of shadow memory
        limit = 4 << 30
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    for name in names:
        print(json.dumps({"start": name}), flush=True)
        status, detail = run_case(name)
        print(json.dumps({"name": name, "status": status, "detail": detail}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
