"""tf.strings' most used functions, for `import pyengine as tf` programs that standardize text
before TextVectorization (keras-io: ``tf.strings.regex_replace(tf.strings.lower(s), "[%s]" %
re.escape(strip_chars), "")``). pyengine has no string tensors: these take a str, a list or a
NumPy array of str (or bytes, decoded as UTF-8) and return the same shape as a NumPy object
array of str (a str for a str). Patterns are Python `re` patterns (RE2's common syntax).
`name=` (a TensorFlow op name) cannot act: pyengine runs eagerly and has no op names."""
import re

import numpy as np


def _map(fn, input, what):
    if isinstance(input, (str, bytes)):
        return fn(_text(input, what))
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
