"""tf.strings' most used functions, for `import pyengine as tf` programs that standardize text
before TextVectorization (keras-io: ``tf.strings.regex_replace(tf.strings.lower(s), "[%s]" %
re.escape(strip_chars), "")``). pyengine has no string tensors: these take a str, a list or a
NumPy array of str (or bytes, decoded as UTF-8) and return the same shape as an array of str
(reduce_join and join: a StringArray); for a str, a str that also has TensorFlow's `.numpy()`,
which gives bytes (StringScalar). Patterns are Python `re` patterns (RE2's common syntax).
`split` and `to_number` parse records (keras-io's NER program reads tab-separated lines with
``tf.strings.split(line, sep="\t")`` and ``tf.strings.to_number(fields, out_type=tf.int64)``);
a batch of strings splits into a pe.RaggedTensor, which the other functions map row by row.
`as_string` formats numbers (printf's %d / %f / %e / %g, as TensorFlow's AsString);
`reduce_join` concatenates strings along axes (keras-io's multi-label tf-idf program rebuilds
each abstract from its first words with it).
`bytes_split` / `unicode_split` / `unicode_decode` take a string apart into its bytes (a bytes
array), its characters, or its code points (int32), a batch giving a RaggedTensor.
`name=` (a TensorFlow op name) cannot act: pyengine runs eagerly and has no op names."""
import re

import numpy as np

from .ragged import RaggedTensor


def _scalar(out):
    """A 0-d result as a str with tf.string's .numpy() (StringScalar), else the array."""
    from .string_dtype import StringScalar
    return StringScalar(out[()]) if out.ndim == 0 else out


def _map(fn, input, what):
    if isinstance(input, (str, bytes)):
        out = fn(_text(input, what))  # text, or a number (length, to_number)
        return _scalar(np.array(out, dtype=object)) if isinstance(out, str) else out
    if isinstance(input, RaggedTensor):  # the same rows over the mapped values
        flat = input._flat
        return input.with_flat_values(np.array([fn(_text(v, what)) for v in flat.tolist()],
                                               dtype=object).astype(np.str_)
                                      if flat.size else flat)
    a = np.asarray(input, dtype=object)
    out = np.empty(a.shape, dtype=object)
    for i, s in np.ndenumerate(a):
        out[i] = fn(_text(s, what))
    return out


def _text(s, what):
    if isinstance(s, bytes):
        return s.decode("utf-8")
    if not isinstance(s, str):
        raise TypeError(f"[strings.{what}] expects strings, received {s!r}")
    return s


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _case(encoding, unicode_fn, table, what):
    if encoding in ("", None):  # TensorFlow's default: ASCII letters only
        return lambda s: s.translate(table)
    if str(encoding).lower().replace("-", "") == "utf8":
        return unicode_fn
    raise ValueError(f"[strings.{what}] encoding must be '' or 'utf-8'. Received: {encoding!r}")


def lower(input, encoding="", name=None):
    """Lowercase: ASCII letters only with encoding='' (TensorFlow's default), every Unicode
    letter with encoding='utf-8'."""
    return _map(_case(encoding, str.lower, _ASCII_LOWER, "lower"), input, "lower")


def upper(input, encoding="", name=None):
    return _map(_case(encoding, str.upper, _ASCII_UPPER, "upper"), input, "upper")


def strip(input, name=None):
    """Leading and trailing whitespace removed."""
    return _map(str.strip, input, "strip")


def regex_replace(input, pattern, rewrite, replace_global=True, name=None):
    """Every match of `pattern` (the first only with replace_global=False) replaced by
    `rewrite` (\\1 ... refer to groups)."""
    rx = re.compile(pattern)
    count = 0 if replace_global else 1
    return _map(lambda s: rx.sub(rewrite, s, count=count), input, "regex_replace")


def split(input, sep=None, maxsplit=-1, name=None):
    """One string split into a 1-D str array: on runs of whitespace when sep is None (ends
    stripped), else at every `sep` (empty pieces kept), at most `maxsplit` times (-1: all).
    A 1-D batch of strings gives a RaggedTensor, one row of pieces per string
    (`.to_tensor()` pads them, as TensorFlow); higher ranks raise."""
    a = np.asarray(input, dtype=object)
    if sep == "":
        sep = None  # TensorFlow: an empty sep splits on whitespace

    def one(s):
        pieces = _text(s, "split").split(sep, int(maxsplit))
        return np.array(pieces, dtype=np.str_) if pieces else np.zeros((0,), np.str_)
    if a.ndim == 0:
        return one(a[()])
    if a.ndim != 1:
        raise ValueError(f"[strings.split] expects a string or a 1-D batch of strings; "
                         f"received shape {a.shape} (its pieces would be ragged in more than "
                         "one dimension, which pe.RaggedTensor does not represent)")
    return RaggedTensor.from_rows([one(s) for s in a], dtype=np.str_)


_ENCODINGS = {"UTF-8": "utf-8", "UTF-16-BE": "utf-16-be", "UTF-32-BE": "utf-32-be"}


def unicode_split(input, input_encoding, errors="replace", replacement_char=65533, name=None):
    """Each string split into its characters (a 1-D str array; a 1-D batch gives a
    RaggedTensor, one row per string), decoded from input_encoding ('UTF-8', 'UTF-16-BE' or
    'UTF-32-BE'); errors 'replace' (by chr(replacement_char)), 'ignore' or 'strict' for bytes
    that do not decode. keras-io's OCR programs turn labels into character ids with it."""
    _check_decoding(input_encoding, errors, "unicode_split")

    def one(s):
        text = _characters(s, input_encoding, errors, replacement_char, "unicode_split")
        return np.array(list(text), dtype=np.str_) if text else np.zeros((0,), np.str_)
    return _per_string(input, one, np.str_, "unicode_split")


def _check_decoding(input_encoding, errors, what):
    if input_encoding not in _ENCODINGS:
        raise ValueError(f"[strings.{what}] input_encoding must be one of "
                         f"{sorted(_ENCODINGS)}. Received: input_encoding={input_encoding!r}")
    if errors not in ("replace", "ignore", "strict"):
        raise ValueError(f"[strings.{what}] errors must be 'replace', 'ignore' or "
                         f"'strict'. Received: errors={errors!r}")


def _characters(s, input_encoding, errors, replacement_char, what):
    """One string's text: bytes decoded from input_encoding by the errors rule, a str as is."""
    if not isinstance(s, bytes):
        return _text(s, what)
    try:
        text = s.decode(_ENCODINGS[input_encoding], errors=errors)
    except UnicodeDecodeError as e:  # (a ValueError) with the op named in its reason
        raise UnicodeDecodeError(e.encoding, e.object, e.start, e.end,
                                 f"[strings.{what}] {e.reason}") from None
    if errors == "replace" and replacement_char != 65533:
        text = text.replace("\ufffd", chr(replacement_char))
    return text


def _per_string(input, fn, dtype, what):
    """fn(one string) -> a 1-D array, for a scalar; a RaggedTensor of its rows for a 1-D batch."""
    a = np.asarray(getattr(input, "_data", input), dtype=object)
    if a.ndim == 0:
        return fn(a[()])
    if a.ndim != 1:
        raise ValueError(f"[strings.{what}] expects a string or a 1-D batch of strings; "
                         f"received shape {a.shape}")
    return RaggedTensor.from_rows([fn(s) for s in a], dtype=dtype)


_NUMBER_TYPES = {"float32": (float, np.float32), "float64": (float, np.float64),
                 "int32": (int, np.int32), "int64": (int, np.int64)}


def to_number(string_tensor, out_type=None, name=None):
    """Each string parsed as a number of out_type (float32 by default; float64, int32 or
    int64), as a Tensor of the input's shape. A string that is not such a number raises."""
    from .creation import tensor
    from .dtypes import as_dtype, float32
    key = as_dtype(float32 if out_type is None else out_type).name
    if key not in _NUMBER_TYPES:
        raise ValueError(f"[strings.to_number] out_type must be float32, float64, int32 or "
                         f"int64. Received: out_type={out_type!r}")
    parse, np_type = _NUMBER_TYPES[key]
    info = np.iinfo(np_type) if parse is int else None

    def number(s):
        try:
            v = parse(s)
        except ValueError:
            raise ValueError(f"[strings.to_number] {s!r} is not a valid {key}") from None
        if info is not None and not info.min <= v <= info.max:
            raise ValueError(f"[strings.to_number] {s!r} is out of the range of {key}")
        return v
    if isinstance(string_tensor, RaggedTensor):  # the same rows, as numbers
        flat = string_tensor._flat.tolist()
        return string_tensor.with_flat_values(
            np.array([number(_text(v, "to_number")) for v in flat], dtype=np_type))
    values = _map(number, np.asarray(string_tensor, dtype=object), "to_number")
    return tensor(np.asarray(values, dtype=np_type), dtype=as_dtype(key))


def as_string(input, precision=-1, scientific=False, shortest=False, width=-1, fill="",
              name=None):
    """Each number formatted as TensorFlow's AsString does (printf): integers as %d, floats as
    %f (%e with scientific=True, %g with shortest=True) with `precision` digits when >= 0,
    right-aligned in `width` characters padded with spaces or (fill='0') zeros; booleans as
    'true' / 'false'. Returns a NumPy object array of str of the input's shape."""
    a = np.asarray(getattr(input, "_data", input))
    if a.dtype.kind not in "biuf":
        raise TypeError(f"[strings.as_string] expects numbers or booleans, received dtype "
                        f"{a.dtype}")
    if scientific and shortest:
        raise ValueError("[strings.as_string] scientific and shortest cannot both be True")
    if fill not in ("", " ", "0"):
        raise ValueError(f"[strings.as_string] fill must be '', ' ' or '0'. Received: "
                         f"fill={fill!r}")
    spec = "%" + ("0" if fill == "0" else "") + (str(int(width)) if width > -1 else "")
    if a.dtype.kind == "f":
        spec += (f".{int(precision)}" if precision > -1 else "") + \
            ("g" if shortest else "e" if scientific else "f")
    elif a.dtype.kind in "iu":
        spec += "d"
    out = np.empty(a.shape, dtype=object)
    for i, v in np.ndenumerate(a):
        out[i] = ("true" if v else "false") if a.dtype.kind == "b" else spec % v
    return _scalar(out)


def reduce_join(inputs, axis=None, keepdims=False, separator="", name=None):
    """The strings of `inputs` concatenated along `axis` with `separator` between them
    (TensorFlow's reduce_join): axis None joins every string in row-major order into one str;
    an int or a list of ints joins over those axes (negatives count from the end), and
    keepdims=True keeps them as axes of size 1. A RaggedTensor joins each row (axis -1 or 1).
    Returns a str (with tf.string's .numpy()) for a 0-d result, else a string array."""
    if not isinstance(separator, (str, bytes)):
        raise TypeError(f"[strings.reduce_join] separator must be a string. Received: "
                        f"{separator!r}")
    sep = _text(separator, "reduce_join")
    if isinstance(inputs, RaggedTensor):
        if axis not in (-1, 1) or keepdims:
            raise NotImplementedError(f"[strings.reduce_join] a RaggedTensor joins its rows "
                                      f"only (axis=-1 or 1, keepdims=False). Received: "
                                      f"axis={axis!r}, keepdims={keepdims!r}")
        rows = [sep.join(_text(v, "reduce_join") for v in row) for row in inputs.to_list()]
        return _strings(np.array(rows, dtype=object))
    a = _map(lambda s: s, getattr(inputs, "_data", inputs), "reduce_join")
    if isinstance(a, str):
        a = np.array(a, dtype=object)
    a = np.asarray(a, dtype=object)
    if axis is None:
        axes = tuple(range(a.ndim))
    else:
        raw = [int(v) for v in np.asarray(getattr(axis, "_data", axis)).reshape(-1)]
        if any(not -a.ndim <= v < a.ndim for v in raw) and a.ndim:
            raise ValueError(f"[strings.reduce_join] axis {axis!r} is out of range for an "
                             f"input of rank {a.ndim}")
        axes = tuple(sorted({v % a.ndim for v in raw})) if a.ndim else ()
    rest = tuple(d for d in range(a.ndim) if d not in axes)
    moved = np.transpose(a, rest + axes).reshape(tuple(a.shape[d] for d in rest) + (-1,))
    out = np.empty(moved.shape[:-1], dtype=object)
    for i in np.ndindex(out.shape):
        out[i] = sep.join(moved[i])
    if keepdims:
        out = out.reshape(tuple(1 if d in axes else a.shape[d] for d in range(a.ndim)))
    return _strings(out)


def bytes_split(input, name=None):
    """The bytes of each string, one per element (UTF-8 of a str): "Duck" -> [b'D', b'u',
    b'c', b'k'], a bytes array as TensorFlow's tf.string values print; a 1-D batch gives a
    RaggedTensor."""
    def one(s):
        b = s if isinstance(s, bytes) else _text(s, "bytes_split").encode("utf-8")
        return np.array([b[i:i + 1] for i in range(len(b))], dtype="S1").astype(object)
    return _per_string(input, one, object, "bytes_split")


def unicode_decode(input, input_encoding, errors="replace", replacement_char=65533,
                   replace_control_characters=False, name=None):
    """The code points of each string as int32 (a Tensor; a RaggedTensor for a 1-D batch),
    decoded as unicode_split decodes."""
    from .tensor import Tensor
    if replace_control_characters:
        raise ValueError("[strings.unicode_decode] replace_control_characters is not supported")
    _check_decoding(input_encoding, errors, "unicode_decode")

    def one(s):
        text = _characters(s, input_encoding, errors, replacement_char, "unicode_decode")
        return np.array([ord(c) for c in text], dtype=np.int32)
    out = _per_string(input, one, np.int32, "unicode_decode")
    return Tensor._wrap(out) if isinstance(out, np.ndarray) else out


def _strings(out):
    """An object array of str as tf.string's results: a StringArray (`.numpy()`), or a
    StringScalar (a str with `.numpy()`) for a 0-d result."""
    from .string_dtype import StringScalar, as_string_array
    if out.ndim == 0:
        return StringScalar(out[()])
    return as_string_array(out.astype(np.str_) if out.size else np.zeros(out.shape, np.str_))


def length(input, unit="BYTE", name=None):
    """tf.strings.length: the length of each string as int32, in UTF-8 bytes (unit="BYTE", the
    default) or in characters (unit="UTF8_CHAR"); a Tensor of the input's shape (word2vec's
    `filter(lambda x: tf.cast(tf.strings.length(x), bool))` drops empty lines)."""
    from .creation import tensor
    from .dtypes import int32
    if unit not in ("BYTE", "UTF8_CHAR"):
        raise ValueError(f"[strings.length] unit must be 'BYTE' or 'UTF8_CHAR'. Received: "
                         f"unit={unit!r}")
    count = (lambda s: len(s.encode("utf-8"))) if unit == "BYTE" else len
    if isinstance(input, RaggedTensor):
        return input.with_flat_values(np.array([count(_text(v, "length"))
                                                for v in input._flat.tolist()], np.int32))
    values = _map(count, input, "length")
    return tensor(np.asarray(values, dtype=np.int32), dtype=int32)


def join(inputs, separator="", name=None):
    """tf.strings.join: the strings of the tensors in `inputs` joined elementwise (shapes
    broadcast), `separator` between them, e.g. the characters generated step by step in TF's
    text_generation tutorial: tf.strings.join([['RO'], ['M'], ['E']]) -> ['ROME']."""
    if not isinstance(inputs, (list, tuple)) or not inputs:
        raise ValueError("[strings.join] inputs must be a non-empty list of string tensors")
    sep = _text(separator, "join")
    parts = [np.asarray(_map(lambda s: s, getattr(t, "_data", t), "join"), dtype=object)
             for t in inputs]
    try:
        parts = np.broadcast_arrays(*parts)
    except ValueError:
        raise ValueError(f"[strings.join] the inputs' shapes do not broadcast: "
                         f"{[p.shape for p in parts]}") from None
    out = np.empty(parts[0].shape, dtype=object)
    for i in np.ndindex(out.shape):
        out[i] = sep.join(p[i] for p in parts)
    return _strings(out)
