// Fused dense layer: y = act(x @ w^T + b) forward, and its backward, each one call.
//
// Forward: the GEMM writes x @ w^T into y, then an epilogue adds the bias and applies the
// activation per row band while the band is still in cache (no separate passes over y from
// Python). Backward: one pass over (g, y) gives gz = g * act'(y) and the bias gradient
// gb = sum_rows gz together; then gx = gz @ w and gw = gz^T @ x are two GEMMs reading gz and the
// transposes through strides. The arithmetic is exactly that of the unfused composition
// (matmul, then `+ b`, then the activation kernel), so the results are bitwise identical to it.
// Threads split rows (forward epilogue) or bias columns (backward): every element is summed in
// the same order whatever the thread count.
#pragma once
#include <cstdint>

namespace pyengine {

// Activations the epilogue supports: their derivative is a function of the output y alone, so
// backward needs y only (relu: y > 0 iff x > 0).
enum class LinearAct { none, relu, sigmoid, tanh };

// x (n, k) strided (rs_x, cs_x); w (o, k) strided (rs_w, cs_w); b (o,) contiguous or null;
// y (n, o) C-contiguous, write-only.
template <class T>
void linear_forward(int64_t n, int64_t k, int64_t o, const T* x, int64_t rs_x, int64_t cs_x,
                    const T* w, int64_t rs_w, int64_t cs_w, const T* b, LinearAct act, T* y);

// g, y (n, o) C-contiguous (y unused when act == none); gz: scratch (n, o) or null when
// act == none (g is used as gz). Outputs gx (n, k), gw (o, k), gb (o,) C-contiguous, each
// null when not wanted. gw_kmajor: gw is stored as its transpose, (k, o) C-contiguous, the
// layout of a weight passed as the transpose of a (k, o) array (Keras' Dense kernel), so that
// its gradient reaches the optimizer contiguous; the sums are the same, term for term.
template <class T>
void linear_backward(int64_t n, int64_t k, int64_t o, const T* x, int64_t rs_x, int64_t cs_x,
                     const T* w, int64_t rs_w, int64_t cs_w, const T* y, const T* g,
                     LinearAct act, T* gz, T* gx, T* gw, T* gb, bool gw_kmajor = false);

}  // namespace pyengine
