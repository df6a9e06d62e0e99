// Output arrays on a cache-line boundary.
//
// Why: glibc returns NumPy's large blocks 16 bytes past a 64-byte boundary (its chunk header),
// so in an AVX-512 kernel every 64-byte load and store of such an array spans two cache lines.
// Measured on the depthwise 3x3 channels-last forward (8x56x56x64, 2 threads, Zen 4): 0.148 ms
// with input and output 64-byte aligned, 0.163 with the output 16 bytes off, 0.185 with the
// input off, 0.223 with both (docs/conv.md, eleventh session). PyTorch's CPU allocator aligns
// to 64 bytes. Each layer's input is the previous layer's output, so aligning what the engine
// allocates aligns the whole network.
//
// How: NumPy still allocates (its allocator, its huge-page advice, its memory accounting): a
// uint8 block 63 bytes longer, and the output is a C-contiguous view of it from its first
// aligned byte, with the block as its base. Small outputs (below kAlignFromBytes) stay plain
// np.empty: their split lines cost less than the extra object.
#include "bindings/output_array.h"

#include <cstdint>

#include "bindings/bindings.h"

namespace pyengine {
namespace py = pybind11;

PyObject* new_output_array(PyObject* descr, int nd, const Py_intptr_t* dims) {
  auto& api = py::detail::npy_api::get();
  const auto dt = py::reinterpret_borrow<py::dtype>(descr);
  Py_ssize_t bytes = dt.itemsize();  // NumPy 1 and 2
  // Only plain numbers: object and other types NumPy must initialise take its own path.
  const char kind = dt.kind();
  bool plain = !(kind == 'b' || kind == 'i' || kind == 'u' || kind == 'f' || kind == 'c');
  for (int i = 0; i < nd && !plain; ++i)
    plain = dims[i] < 0 || __builtin_mul_overflow(bytes, static_cast<Py_ssize_t>(dims[i]), &bytes);
  // Negative or overflowing shapes: NumPy's own call words the error.
  auto numpys_own = [&] {
    Py_INCREF(descr);  // PyArray_NewFromDescr steals it
    return api.PyArray_NewFromDescr_(api.PyArray_Type_, descr, nd, const_cast<Py_intptr_t*>(dims),
                                     nullptr, nullptr, 0, nullptr);
  };
  if (plain || bytes < kAlignFromBytes || bytes > PY_SSIZE_T_MAX - kOutputAlign)
    return numpys_own();
  const Py_intptr_t block_len = bytes + kOutputAlign - 1;
  PyObject* block = api.PyArray_NewFromDescr_(api.PyArray_Type_,
                                              api.PyArray_DescrFromType_(py::detail::npy_api::NPY_UBYTE_),
                                              1, const_cast<Py_intptr_t*>(&block_len), nullptr,
                                              nullptr, 0, nullptr);
  if (block == nullptr) {  // out of memory: NumPy's own attempt words the error (shape, dtype)
    PyErr_Clear();
    return numpys_own();
  }
  char* base = py::detail::array_proxy(block)->data;
  char* data = base + ((kOutputAlign - reinterpret_cast<std::uintptr_t>(base) % kOutputAlign) %
                       kOutputAlign);
  Py_INCREF(descr);
  PyObject* out = api.PyArray_NewFromDescr_(
      api.PyArray_Type_, descr, nd, const_cast<Py_intptr_t*>(dims), nullptr, data,
      py::detail::npy_api::NPY_ARRAY_C_CONTIGUOUS_ | py::detail::npy_api::NPY_ARRAY_ALIGNED_ |
          py::detail::npy_api::NPY_ARRAY_WRITEABLE_,
      nullptr);
  if (out == nullptr) {
    Py_DECREF(block);
    return nullptr;
  }
  if (api.PyArray_SetBaseObject_(out, block) != 0) {  // steals block, also on failure
    Py_DECREF(out);
    return nullptr;
  }
  return out;
}

py::array new_output_array(bool dbl, const std::vector<py::ssize_t>& shape) {
  const py::dtype dt = dbl ? py::dtype::of<double>() : py::dtype::of<float>();
  PyObject* out = new_output_array(dt.ptr(), static_cast<int>(shape.size()),
                                   reinterpret_cast<const Py_intptr_t*>(shape.data()));
  if (out == nullptr) throw py::error_already_set();
  return py::reinterpret_steal<py::array>(out);
}

namespace {

// empty(shape, dtype): np.empty(shape, dtype) for the backend's outputs (C order), aligned as
// above. A raw METH_FASTCALL function: it replaces np.empty on per-op paths, so it costs no more.
PyObject* empty(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 2) {
    PyErr_SetString(PyExc_TypeError, "empty(shape, dtype) takes a shape and a dtype");
    return nullptr;
  }
  auto& api = py::detail::npy_api::get();
  PyObject* descr = nullptr;  // a new reference
  if (!api.PyArray_DescrConverter_(args[1], &descr)) return nullptr;
  PyObject* seq = PySequence_Fast(args[0], "empty: shape must be a tuple or list of ints");
  if (seq == nullptr) {
    Py_DECREF(descr);
    return nullptr;
  }
  const Py_ssize_t nd = PySequence_Fast_GET_SIZE(seq);
  PyObject* out = nullptr;
  if (nd > 64) {  // NumPy 2's NPY_MAXDIMS (NumPy itself refuses more than its own)
    PyErr_Format(PyExc_ValueError, "empty: %zd dimensions is too many", nd);
  } else {
    Py_intptr_t dims[64];
    bool ok = true;
    for (Py_ssize_t i = 0; i < nd && ok; ++i) {
      dims[i] = PyNumber_AsSsize_t(PySequence_Fast_GET_ITEM(seq, i), PyExc_ValueError);
      ok = !(dims[i] == -1 && PyErr_Occurred());
    }
    if (ok) out = new_output_array(descr, static_cast<int>(nd), dims);
  }
  Py_DECREF(seq);
  Py_DECREF(descr);
  return out;
}

PyMethodDef kEmptyDef = {
    "empty", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(&empty)), METH_FASTCALL,
    "empty(shape, dtype): a new uninitialised C-contiguous array, as np.empty(shape, dtype), "
    "whose data starts on a 64-byte boundary from 64 KiB up (the engine's output arrays)."};

}  // namespace

void init_output_arrays(py::module_& m) {
  m.add_object("empty", py::reinterpret_steal<py::object>(PyCFunction_NewEx(&kEmptyDef, nullptr,
                                                                            nullptr)));
  m.attr("OUTPUT_ALIGN_FROM_BYTES") = kAlignFromBytes;
}

}  // namespace pyengine
