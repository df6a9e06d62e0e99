"""pe.string (tf.string): the dtype of text in pe.data pipelines. Text stays in NumPy str (or
bytes) arrays; only what user code sees changes: a text leaf handed to a map function or met
while iterating is a StringArray, a view of that NumPy array whose `.dtype` reads as
`pe.string`, so the TensorFlow idiom `features[name].dtype == "string"` (or `== tf.string`)
holds, while every NumPy operation still works on the str data underneath.

>>> ds = pe.data.Dataset.from_tensor_slices({"city": np.array(["Oslo", "Lima"])})
>>> ds.element_spec["city"].dtype == "string", next(iter(ds))["city"].dtype == pe.string
(True, True)
"""
import numpy as np


class StringDType:
    """pe.string / tf.string. Equal to "string", to any StringDType and to NumPy str / bytes
    dtypes; `.dtype` is the NumPy dtype of the data (so np.dtype(x) and NumPy functions given
    it as a dtype receive the str dtype), other attributes (kind, itemsize, char) are that
    dtype's."""

    name = "string"
    is_floating_point = False
    _is_numeric = False  # what numpy.testing asks of an array's dtype class

    def __init__(self, np_dtype=np.str_):
        self.__dict__["dtype"] = np.dtype(np_dtype)
        if self.dtype.kind not in "SU":
            raise TypeError(f"[string] a string dtype wraps a NumPy str or bytes dtype, not "
                            f"{self.dtype}")

    def __getattr__(self, name):
        if name.startswith("__") or name == "dtype":
            raise AttributeError(name)
        return getattr(self.__dict__["dtype"], name)

    def __eq__(self, other):
        if isinstance(other, StringDType):
            return True
        if isinstance(other, str):
            return other == "string"
        try:
            return np.dtype(other).kind in "SU"
        except TypeError:
            return NotImplemented

    def __hash__(self):
        return hash("string")

    def __repr__(self):
        return "pyengine.string"

    __str__ = __repr__


string = StringDType()


class StringArray(np.ndarray):
    """A view of a NumPy str / bytes array whose `.dtype` is pe.string (results of other kinds,
    such as `x == "a"`, report their own dtype)."""

    @property
    def dtype(self):
        real = np.ndarray.dtype.__get__(self)
        return StringDType(real) if real.kind in "SU" else real

    def numpy(self):
        """The plain NumPy array (tf.string's `.numpy()`; TensorFlow gives bytes, this str)."""
        return self.view(np.ndarray)

    def __getitem__(self, index):
        # one element is a StringScalar: a str (every str method works on it) that also
        # answers .numpy() as TensorFlow's 0-d string tensor does (`example[n].numpy()`)
        out = super().__getitem__(index)
        return StringScalar(out) if isinstance(out, np.str_) else out


class StringScalar(str):
    """One element of a StringArray, or a scalar tf.strings result: a Python str with
    tf.string's `.numpy()` (its UTF-8 bytes, as TensorFlow gives: keras-io's OCR programs
    decode predictions with `tf.strings.reduce_join(...).numpy().decode("utf-8")`) and
    `.dtype` (pe.string)."""
    __slots__ = ()

    def numpy(self):
        return self.encode("utf-8")

    @property
    def dtype(self):
        return string


def as_string_array(a):
    """`a` (a NumPy str / bytes array or scalar) as a StringArray view (no copy)."""
    return np.asarray(a).view(StringArray)


def is_string(dtype):
    """True for pe.string, "string" and NumPy str / bytes dtypes."""
    if isinstance(dtype, StringDType) or (isinstance(dtype, str) and dtype == "string"):
        return True
    try:
        return np.dtype(dtype).kind in "SU"
    except TypeError:
        return False
