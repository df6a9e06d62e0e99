// Bindings of the image resampling kernels (csrc/image): resize and projective warp. Python
// resolves modes and scales; every shape, size and dtype is checked here before memory is touched.
#include <pybind11/numpy.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "bindings/array_args.h"
#include "bindings/bindings.h"
#include "image/image.h"

namespace pyengine {
namespace py = pybind11;

namespace {

void check_4d(const py::array& a, const char* op, const char* name) {
  check(a.ndim() == 4, op, name, " must be 4-D (planes, H, W, C), got shape ",
        shape_text(shape_of(a)));
}

// Inputs and outputs of one call must not share memory: the kernels read while they write.
void check_disjoint(const py::array& a, const py::array& b, const char* op, const char* na,
                    const char* nb) {
  const char* a0 = static_cast<const char*>(a.data());
  const char* b0 = static_cast<const char*>(b.data());
  const bool overlap = a.nbytes() > 0 && b.nbytes() > 0 && a0 < b0 + b.nbytes() &&
                       b0 < a0 + a.nbytes();
  check(!overlap, op, na, " and ", nb, " overlap in memory");
}

ResizeGeom resize_geom(const py::array& x, const py::array& y, double sh, double sw, int mode,
                       const char* op) {
  check_4d(x, op, "input");
  check_4d(y, op, "out");
  check(mode >= 0 && mode <= 3, op, "mode must be 0..3, got ", mode);
  check(y.shape(0) == x.shape(0) && y.shape(3) == x.shape(3), op, "out ",
        shape_text(shape_of(y)), " does not match input ", shape_text(shape_of(x)),
        " in planes or channels");
  check(sh > 0 && sw > 0 && std::isfinite(sh) && std::isfinite(sw), op,
        "scales must be positive and finite, got (", sh, ", ", sw, ")");
  // The kernels turn (o + 1) * scale into an int64 source index before clamping it to the input:
  // past 2**62 that conversion is undefined (on x86 it gives INT64_MIN, a read far outside).
  check(double(y.shape(1) + 1) * sh < 4.6e18 && double(y.shape(2) + 1) * sw < 4.6e18, op,
        "scales (", sh, ", ", sw, ") are too large for an output of ", y.shape(1), " x ",
        y.shape(2), ": source coordinates would pass 2**62");
  ResizeGeom g{x.shape(0), x.shape(1), x.shape(2), x.shape(3), y.shape(1), y.shape(2),
               sh, sw, static_cast<ResizeMode>(mode)};
  check(g.oh == 0 || g.ow == 0 || g.planes == 0 || g.c == 0 || (g.h >= 1 && g.w >= 1), op,
        "cannot resize an empty image ", shape_text(shape_of(x)), " to ", shape_text(shape_of(y)));
  check_disjoint(x, y, op, "input", "out");
  return g;
}

template <class T>
void resize_t(const py::array& x, const py::array& y, double sh, double sw, int mode,
              bool backward) {
  const char* op = backward ? "resize_backward" : "resize";
  // backward: x is dy (output-sized), y is dx (input-sized); the geometry is the forward one.
  const ResizeGeom g = backward ? resize_geom(y, x, sh, sw, mode, op)
                                : resize_geom(x, y, sh, sw, mode, op);
  const T* px = array_ptr<T>(x, op, backward ? "grad" : "input");
  T* py_ = array_ptr<T>(y, op, "out", true);
  if (g.planes == 0 || g.c == 0) return;
  if (g.oh == 0 || g.ow == 0) {
    if (backward) std::fill(py_, py_ + y.size(), T(0));
    return;
  }
  py::gil_scoped_release nogil;
  if (backward)
    resize_backward<T>(g, px, py_);
  else
    resize_forward<T>(g, px, py_);
}

WarpGeom warp_geom(const py::array& x, const py::array& t, const py::array& y, bool bilinear,
                   int fill, double fill_value, const char* op) {
  check_4d(x, op, "images");
  check_4d(y, op, "out");
  check(fill >= 0 && fill <= 3, op, "fill mode must be 0..3, got ", fill);
  check(t.ndim() == 2 && t.shape(1) == 8 && t.shape(0) == x.shape(0), op,
        "transforms must have shape (", x.shape(0), ", 8), got ", shape_text(shape_of(t)));
  check(y.shape(0) == x.shape(0) && y.shape(3) == x.shape(3), op, "out ",
        shape_text(shape_of(y)), " does not match images ", shape_text(shape_of(x)),
        " in batch or channels");
  WarpGeom g{x.shape(0), x.shape(1), x.shape(2), x.shape(3), y.shape(1), y.shape(2),
             bilinear, static_cast<FillMode>(fill), fill_value};
  check_disjoint(x, y, op, "images", "out");
  check_disjoint(t, y, op, "transforms", "out");  // read per pixel while out is written
  return g;
}

template <class T>
void warp_t(const py::array& x, const py::array& t, const py::array& y, bool bilinear, int fill,
            double fill_value, bool backward) {
  const char* op = backward ? "affine_warp_backward" : "affine_warp";
  const WarpGeom g = backward ? warp_geom(y, t, x, bilinear, fill, fill_value, op)
                              : warp_geom(x, t, y, bilinear, fill, fill_value, op);
  const T* px = array_ptr<T>(x, op, backward ? "grad" : "images");
  const float* pt = array_ptr<float>(t, op, "transforms");
  T* py_ = array_ptr<T>(y, op, "out", true);
  if (y.size() == 0) return;
  if (x.size() == 0) {  // forward: an empty input image fills; backward: no gradient flows
    if (backward) std::fill(py_, py_ + y.size(), T(0));
    else std::fill(py_, py_ + y.size(), static_cast<T>(fill_value));
    return;
  }
  py::gil_scoped_release nogil;
  if (backward)
    warp_backward<T>(g, px, pt, py_);
  else
    warp_forward<T>(g, px, pt, py_);
}

}  // namespace

void init_image(py::module_& m) {
  m.def("resize_forward",
        [](const py::array& x, const py::array& y, double sh, double sw, int mode) {
          if (is_double(x, "resize")) resize_t<double>(x, y, sh, sw, mode, false);
          else resize_t<float>(x, y, sh, sw, mode, false);
        },
        py::arg("x"), py::arg("out"), py::arg("scale_h"), py::arg("scale_w"), py::arg("mode"),
        "y (P, OH, OW, C) = resize of x (P, H, W, C); mode 0 nearest, 1 nearest-exact, "
        "2 bilinear, 3 bilinear with align_corners.");
  m.def("resize_backward",
        [](const py::array& dy, const py::array& dx, double sh, double sw, int mode) {
          if (is_double(dy, "resize_backward")) resize_t<double>(dy, dx, sh, sw, mode, true);
          else resize_t<float>(dy, dx, sh, sw, mode, true);
        },
        py::arg("grad"), py::arg("out"), py::arg("scale_h"), py::arg("scale_w"), py::arg("mode"),
        "dx (P, H, W, C) = adjoint of resize_forward applied to dy (P, OH, OW, C).");
  m.def("affine_warp_forward",
        [](const py::array& x, const py::array& t, const py::array& y, bool bilinear, int fill,
           double fill_value) {
          if (is_double(x, "affine_warp")) warp_t<double>(x, t, y, bilinear, fill, fill_value, false);
          else warp_t<float>(x, t, y, bilinear, fill, fill_value, false);
        },
        py::arg("images"), py::arg("transforms"), py::arg("out"), py::arg("bilinear"),
        py::arg("fill_mode"), py::arg("fill_value"),
        "Projective warp of NHWC images by per-image 8-parameter transforms (output -> input); "
        "fill_mode 0 reflect, 1 wrap, 2 constant, 3 nearest.");
  m.def("affine_warp_backward",
        [](const py::array& dy, const py::array& t, const py::array& dx, bool bilinear, int fill,
           double fill_value) {
          if (is_double(dy, "affine_warp_backward"))
            warp_t<double>(dy, t, dx, bilinear, fill, fill_value, true);
          else warp_t<float>(dy, t, dx, bilinear, fill, fill_value, true);
        },
        py::arg("grad"), py::arg("transforms"), py::arg("out"), py::arg("bilinear"),
        py::arg("fill_mode"), py::arg("fill_value"),
        "dx = adjoint of affine_warp_forward in the images.");
}

}  // namespace pyengine
