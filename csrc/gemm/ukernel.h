// Micro-kernel registry: what the driver needs to know about one ISA's leaf kernel, as data
// (BLIS's cntx tables). Each ukernel_<isa>.cpp defines one KernelInfo per precision; the driver
// looks the table up per call from pyengine::active_isa(), which tests may change at run time.
#pragma once
#include <cstdint>

#include "common/cpu_features.h"

namespace pyengine {
namespace gemm_detail {

// C[0:mr, 0:nr] = alpha * A_panel * B_panel + beta * C   (beta == 0: C is not read).
//   a: MR x k micro-panel, element (i, p) at a[p * as_a + i]: either packed (as_a == MR, rows
//      >= mr zero) or, for a complete panel of a column-major A (a transposed view), A itself
//      (as_a == its column stride).
//   b: k x NR micro-panel, element (p, j) at b[p * rs_b + j]: either packed (rs_b == NR, zero
//      padded) or, for a complete panel of a row-major B, B itself (rs_b == its row stride).
// A full tile with cs_c == 1 is written straight from registers; edge tiles (mr < MR, nr < NR) or
// odd C strides go through a small stack tile, so nothing outside C[0:mr, 0:nr] is touched.
template <class T>
using UkernelFn = void (*)(int64_t k, const T* a, int64_t as_a, const T* b, int64_t rs_b, T* c,
                           int64_t rs_c, int64_t cs_c, int64_t mr, int64_t nr, T alpha, T beta);

// Unpacked small-product kernel (ukernel_simd.h, ukernel_direct): C[0:mr, 0:nr] as above with
// A(i, p) at a[i * rs_a + p * cs_a] and B(p, j) at b[p * rs_b + j] read in place, mr <= MR,
// nr <= the kernel's width, C with unit column stride.
template <class T>
using UkernelDirectFn = void (*)(int64_t k, const T* a, int64_t rs_a, int64_t cs_a, const T* b,
                                 int64_t rs_b, T* c, int64_t rs_c, int64_t mr, int64_t nr,
                                 T alpha, T beta);

// Packing (pack_impl.h). pack_a(mc, kc, a, rs_a, cs_a, MR, dst): A block (mc x kc, any strides)
// into ceil(mc / MR) panels of kc * MR, (i, p) at p * MR + i. pack_b(kc, nc, b, rs_b, cs_b, NR,
// dst): B block (kc x nc) into ceil(nc / NR) panels of kc * NR, (p, j) at p * NR + j. Panels
// past the edge are zero-padded, so a micro-kernel always runs a full tile.
template <class T>
using PackFn = void (*)(int64_t, int64_t, const T*, int64_t, int64_t, int, T*);

template <class T>
struct KernelInfo {
  Isa isa;
  UkernelFn<T> ukernel;
  int mr, nr;      // register tile: MR rows of A broadcast, NR columns of B in vector registers
  int mc, kc, nc;  // cache blocks (why these values: see each ukernel_<isa>.cpp)
  // Unpacked kernels for small products, MR x NR and MR x NR/2; null where the ISA has none
  // (generic), and the driver then packs as usual.
  UkernelDirectFn<T> direct = nullptr, direct_half = nullptr;
  // This ISA's build of the packing loops (pack_impl.h), compiled with its flags.
  PackFn<T> pack_a = nullptr, pack_b = nullptr;
};

#define PE_GEMM_DECLARE_ISA(ns)             \
  namespace ns {                            \
  extern const KernelInfo<float> kSgemm;    \
  extern const KernelInfo<double> kDgemm;   \
  }
PE_GEMM_DECLARE_ISA(generic)
PE_GEMM_DECLARE_ISA(avx2)
PE_GEMM_DECLARE_ISA(avx512)
#undef PE_GEMM_DECLARE_ISA

// The table for the ISA active now (cheap: one load and a switch).
template <class T>
const KernelInfo<T>& active_kernel();

}  // namespace gemm_detail
}  // namespace pyengine
