// The two loops around the micro-kernel (BLIS's loops 2 and 1). The A micro-panel loop is
// outside, so each MR x KC sliver of A is loaded into L1 once and reused against every B
// micro-panel of the block, which streams from L2 (the block sizes in ukernel_<isa>.cpp are
// chosen for this order).
#include "gemm/macrokernel.h"

namespace pyengine {
namespace gemm_detail {

template <class T>
void macrokernel(const KernelInfo<T>& kern, int64_t mc, int64_t nc, int64_t kc, T alpha,
                 const BlockOperand<T>& a, const BlockOperand<T>& b, T beta, T* c, int64_t rs_c,
                 int64_t cs_c) {
  const int64_t MR = kern.mr, NR = kern.nr;
  const UkernelFn<T> uk = kern.ukernel;
  for (int64_t ir = 0, ip = 0; ir < mc; ir += MR, ++ip) {
    const int64_t mr = mc - ir < MR ? mc - ir : MR;
    const bool a_edge = mr < MR && a.edge != nullptr;  // packed panels have step MR
    const T* ap = a_edge ? a.edge : a.p + ip * a.panel_stride;
    const int64_t as_a = a_edge ? MR : a.step;
    T* crow = c + ir * rs_c;
    for (int64_t jr = 0, jp = 0; jr < nc; jr += NR, ++jp) {
      const int64_t nr = nc - jr < NR ? nc - jr : NR;
      if (nr < NR && b.edge != nullptr)
        uk(kc, ap, as_a, b.edge, NR, crow + jr * cs_c, rs_c, cs_c, mr, nr, alpha, beta);
      else
        uk(kc, ap, as_a, b.p + jp * b.panel_stride, b.step, crow + jr * cs_c, rs_c, cs_c, mr, nr,
           alpha, beta);
    }
  }
}

template void macrokernel<float>(const KernelInfo<float>&, int64_t, int64_t, int64_t, float,
                                 const BlockOperand<float>&, const BlockOperand<float>&, float,
                                 float*, int64_t, int64_t);
template void macrokernel<double>(const KernelInfo<double>&, int64_t, int64_t, int64_t, double,
                                  const BlockOperand<double>&, const BlockOperand<double>&, double,
                                  double*, int64_t, int64_t);

}  // namespace gemm_detail
}  // namespace pyengine
