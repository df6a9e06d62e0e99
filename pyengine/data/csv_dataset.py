"""tf.data.experimental.make_csv_dataset: batches of (features dict, label) read from CSV files.

    ds = tf.data.experimental.make_csv_dataset("train.csv", batch_size=32,
                                               label_name="target", num_epochs=1)
    for features, label in ds: ...        # features: {column: (batch,) array}

Column types come from `column_defaults` (one per column: a value in a list or alone, whose
type gives the column's: int -> int32, float -> float32, str -> string; or a dtype, which makes
the column required), else are inferred from the first `num_rows_for_inference` rows as
TensorFlow does (int32, int64, float32, float64, then string; inferred numeric columns are
required, inferred string ones default to ""). A field equal to `na_value` (or empty) takes
the column's default; a required column without one raises, naming the file and row (the row
is skipped with ignore_errors=True). Files are read in order (shuffled with
shuffle=True), `num_parallel_reads` at a time in tf.data's interleave order; rows are shuffled
with a buffer of `shuffle_buffer_size`; num_epochs=None repeats forever, as in TensorFlow."""
import csv
import glob
import io

import numpy as np

from .. import random as _random
from .dataset import Dataset, _positive
from .text_line import _interleave, _open

_INFER = ((np.int32, int), (np.int64, int), (np.float32, float), (np.float64, float))


def _compression(op, compression_type):
    """compression_type as 'GZIP', 'ZLIB' or '' (none), checked."""
    kind = (compression_type or "").upper()
    if kind not in ("", "GZIP", "ZLIB"):
        raise ValueError(f"[{op}] compression_type must be None, '', 'GZIP' or 'ZLIB'. "
                         f"Received: {compression_type!r}")
    return kind


def make_csv_dataset(file_pattern, batch_size, column_names=None, column_defaults=None,
                     label_name=None, select_columns=None, field_delim=",",
                     use_quote_delim=True, na_value="", header=True, num_epochs=None,
                     shuffle=True, shuffle_buffer_size=10000, shuffle_seed=None,
                     prefetch_buffer_size=None, num_parallel_reads=None, sloppy=False,
                     num_rows_for_inference=100, compression_type=None, ignore_errors=False,
                     encoding="utf-8"):
    """`sloppy=True` allows any order of rows; the deterministic order given is one of them."""
    op = "make_csv_dataset"
    files = _files(file_pattern)
    kind = _compression(op, compression_type)
    batch_size = _positive(batch_size, "batch_size", op)
    fmt = dict(delimiter=field_delim, quoting=csv.QUOTE_MINIMAL if use_quote_delim
               else csv.QUOTE_NONE)

    def rows(path):
        with _open(path, kind, -1) if kind else open(path, encoding=encoding, newline="") as f:
            reader = csv.reader(f, **fmt)
            for k, row in enumerate(reader):
                if k == 0 and header:
                    continue
                yield path, k + 1, row

    names = list(column_names) if column_names is not None else _header(files[0], kind, fmt,
                                                                        encoding, header, op)
    keep = _selected(names, select_columns, op)
    if label_name is not None and label_name not in [names[i] for i in keep]:
        raise ValueError(f"[{op}] label_name {label_name!r} is not among the columns "
                         f"{[names[i] for i in keep]}")
    if column_defaults is not None:
        if len(column_defaults) != len(keep):
            raise ValueError(f"[{op}] column_defaults has {len(column_defaults)} entries for "
                             f"{len(keep)} columns")
        kinds = [_default_kind(d, op) for d in column_defaults]
    else:
        sample = []
        for item in rows(files[0]):
            sample.append(item[2])
            if len(sample) >= num_rows_for_inference:
                break
        kinds = [_infer(sample, i, na_value) for i in keep]

    def parse(item):
        path, line, row = item
        if len(row) != len(names):
            raise ValueError(f"[{op}] {path} row {line} has {len(row)} fields, expected "
                             f"{len(names)} ({names})")
        out = {}
        for (dtype, default), i in zip(kinds, keep):
            field = row[i]
            if field == na_value or field == "":
                if default is None:
                    raise ValueError(f"[{op}] {path} row {line}: column {names[i]!r} is empty "
                                     "and has no default")
                value = default
            elif dtype.kind in "U":
                value = field
            else:
                try:
                    value = (int if dtype.kind == "i" else float)(field)
                except ValueError:
                    raise ValueError(f"[{op}] {path} row {line}: column {names[i]!r} value "
                                     f"{field!r} is not a {dtype.name}") from None
            out[names[i]] = np.asarray(value, dtype=dtype)
        if label_name is None:
            return out
        label = out.pop(label_name)
        return out, label

    order_seed = int(_random.get_generator().integers(0, 2 ** 62)) if shuffle_seed is None \
        else int(shuffle_seed)
    cycle = 1 if num_parallel_reads is None else _positive(
        num_parallel_reads, "num_parallel_reads", op, allow_autotune=True)

    def elements():
        paths = list(files)
        if shuffle:
            np.random.default_rng(order_seed).shuffle(paths)
        for item in _interleave([rows(p) for p in paths], cycle):
            try:
                yield parse(item)
            except ValueError:
                if not ignore_errors:
                    raise

    ds = Dataset(elements)
    if shuffle:
        ds = ds.shuffle(shuffle_buffer_size, seed=shuffle_seed)
    if num_epochs is None or num_epochs == -1:
        ds = ds.repeat()
    elif int(num_epochs) != 1:
        ds = ds.repeat(int(num_epochs))
    ds = ds.batch(batch_size)
    return ds if prefetch_buffer_size is None else ds.prefetch(prefetch_buffer_size)


def _files(file_pattern):
    patterns = [file_pattern] if isinstance(file_pattern, str) or hasattr(
        file_pattern, "__fspath__") else list(file_pattern)
    files = []
    for p in patterns:
        found = sorted(glob.glob(str(p)))
        if not found:
            raise ValueError(f"[make_csv_dataset] no file matches {str(p)!r}")
        files.extend(found)
    return files


def _header(path, kind, fmt, encoding, header, op):
    if not header:
        raise ValueError(f"[{op}] column_names is required when header=False")
    with _open(path, kind, -1) if kind else open(path, encoding=encoding, newline="") as f:
        first = next(csv.reader(io.StringIO(f.readline()), **fmt), None)
    if not first:
        raise ValueError(f"[{op}] {path} is empty: no header to name the columns")
    return first


def _selected(names, select_columns, op):
    if select_columns is None:
        return list(range(len(names)))
    keep = []
    for c in select_columns:
        if isinstance(c, (int, np.integer)) and not isinstance(c, bool):
            if not 0 <= c < len(names):
                raise ValueError(f"[{op}] select_columns index {c} is out of range")
            keep.append(int(c))
        elif c in names:
            keep.append(names.index(c))
        else:
            raise ValueError(f"[{op}] select_columns names {c!r}, not among {names}")
    return sorted(keep)


def _default_kind(d, op):
    """(NumPy dtype, default value or None for a required column)."""
    from .. import dtypes as _dt
    from .. import string_dtype as _sd
    if isinstance(d, (list, tuple)):
        if len(d) > 1:
            raise ValueError(f"[{op}] a column default holds at most one value, got {d!r}")
        if not d:
            raise ValueError(f"[{op}] an empty column default is not supported; give a "
                             "value or a dtype")
        d = d[0]
    if isinstance(d, str):
        return np.dtype(np.str_), d
    if isinstance(d, bool):
        raise ValueError(f"[{op}] boolean column defaults are not supported")
    if isinstance(d, (int, np.integer)):
        return np.dtype(np.int32), int(d)
    if isinstance(d, (float, np.floating)):
        return np.dtype(np.float32), float(d)
    if _sd.is_string(d):
        return np.dtype(np.str_), None
    try:
        return np.dtype(_dt.as_dtype(d).np), None
    except (TypeError, ValueError, AttributeError):
        raise ValueError(f"[{op}] column default {d!r} is not a value or a dtype") from None


def _infer(sample, i, na_value):
    """TensorFlow's inference: the first of int32, int64, float32, float64 holding every
    non-missing value of column i, else string. As in TensorFlow, an inferred numeric column
    is required (no default) and an inferred string column defaults to ''."""
    values = [r[i] for r in sample if i < len(r) and r[i] not in (na_value, "")]
    for dtype, parse in _INFER:
        try:
            parsed = [parse(v) for v in values]
        except ValueError:
            continue
        if dtype in (np.int32, np.int64):
            info = np.iinfo(dtype)
            if any(not info.min <= v <= info.max for v in parsed):
                continue
        if dtype is np.float32 and any(abs(v) > np.finfo(np.float32).max for v in parsed
                                       if np.isfinite(v)):
            continue
        return np.dtype(dtype), None
    return np.dtype(np.str_), ""


def CsvDataset(filenames, record_defaults, compression_type=None, buffer_size=None,
               header=False, field_delim=",", use_quote_delim=True, na_value="",
               select_cols=None, exclude_cols=None, name=None):
    """tf.data.experimental.CsvDataset: the records of CSV files as tuples of 0-d arrays, one
    per selected column. `record_defaults` holds one entry per selected column: a value (in a
    list or alone; its type gives the column's: int -> int32, float -> float32, str -> string)
    used where the field is empty or equal to `na_value`, or a dtype, which makes the column
    required. `select_cols` / `exclude_cols` (column indices, one of them) pick the columns.
    With header=True the first line of each file is skipped. buffer_size is a read buffer
    (bytes): it does not change the records.

        ds = tf.data.experimental.CsvDataset("higgs.csv.gz", [float()] * 29,
                                             compression_type="GZIP")
        ds.batch(10000).map(lambda *row: (tf.stack(row[1:], 1), row[0]))
    """
    op = "CsvDataset"
    from .text_line import _paths
    paths = _paths(filenames)
    kind = _compression(op, compression_type)
    if select_cols is not None and exclude_cols is not None:
        raise ValueError(f"[{op}] select_cols and exclude_cols cannot both be given")
    kinds = [_default_kind(d, op) for d in record_defaults]
    if not kinds:
        raise ValueError(f"[{op}] record_defaults is empty")
    cols = None if select_cols is None else [int(c) for c in select_cols]
    if cols is not None and (sorted(set(cols)) != cols or any(c < 0 for c in cols)):
        raise ValueError(f"[{op}] select_cols must be distinct non-negative indices in "
                         f"increasing order. Received: {list(select_cols)}")
    if cols is not None and len(cols) != len(kinds):
        raise ValueError(f"[{op}] select_cols names {len(cols)} columns but record_defaults "
                         f"has {len(kinds)} entries")
    excluded = set() if exclude_cols is None else {int(c) for c in exclude_cols}
    buffering = -1 if buffer_size is None else _positive(buffer_size, "buffer_size", op)
    fmt = dict(delimiter=field_delim, quoting=csv.QUOTE_MINIMAL if use_quote_delim
               else csv.QUOTE_NONE)

    def records(path):
        with _open(path, kind, buffering) as f:
            for k, row in enumerate(csv.reader(f, **fmt)):
                if k == 0 and header:
                    continue
                keep = cols if cols is not None else [i for i in range(len(row))
                                                      if i not in excluded]
                if len(keep) != len(kinds) or keep[-1] >= len(row):
                    raise ValueError(f"[{op}] {path} line {k + 1} has {len(row)} fields, "
                                     f"which does not give the {len(kinds)} columns of "
                                     "record_defaults (select_cols / exclude_cols: "
                                     f"{cols or sorted(excluded)})")
                yield tuple(_field(row[i], dtype, default, na_value, op,
                                   f"{path} line {k + 1} field {i}")
                            for i, (dtype, default) in zip(keep, kinds))

    def elements():
        for p in paths:
            yield from records(p)
    return Dataset(elements)


def _field(field, dtype, default, na_value, op, where):
    if field == "" or field == na_value:
        if default is None:
            raise ValueError(f"[{op}] {where} is empty and its column has no default")
        return np.asarray(default, dtype=dtype)
    if dtype.kind == "U":
        return np.asarray(field, dtype=dtype)
    try:
        return np.asarray((int if dtype.kind == "i" else float)(field), dtype=dtype)
    except ValueError:
        raise ValueError(f"[{op}] {where} is not a valid {dtype.name}: {field!r}") from None


def decode_csv(records, record_defaults, field_delim=",", use_quote_delim=True, na_value="",
               select_cols=None, name=None):
    """tf.io.decode_csv: CSV lines (a string tensor of any shape, or a list of str) parsed
    into a list of tensors, one per column (or per `select_cols` index), each of the records'
    shape. `record_defaults` as in CsvDataset: a value (its type gives the column's dtype,
    used for empty / na_value fields) or a dtype (a required column).

        tf.io.decode_csv(["1,a,2.5", "2,b,"], record_defaults=[int(), str(), [0.0]])
        # [int32 [1, 2], string ['a', 'b'], float32 [2.5, 0.0]]
    """
    from ..creation import tensor
    from ..string_dtype import as_string_array
    op = "decode_csv"
    lines = as_string_array(getattr(records, "_data", records))
    kinds = [_default_kind(d, op) for d in record_defaults]
    cols = None if select_cols is None else [int(c) for c in select_cols]
    if cols is not None and len(cols) != len(kinds):
        raise ValueError(f"[{op}] select_cols names {len(cols)} columns but record_defaults "
                         f"has {len(kinds)} entries")
    fmt = dict(delimiter=field_delim, quoting=csv.QUOTE_MINIMAL if use_quote_delim
               else csv.QUOTE_NONE)
    flat = lines.reshape(-1)
    out = [[] for _ in kinds]
    for r, line in enumerate(flat):
        line = line.decode("utf-8") if isinstance(line, bytes) else str(line)
        row = next(csv.reader([line], **fmt), [""])
        keep = cols if cols is not None else list(range(len(row)))
        if (cols is None and len(row) != len(kinds)) or (cols and cols[-1] >= len(row)):
            raise ValueError(f"[{op}] record {r} has {len(row)} fields, expected "
                             f"{len(kinds) if cols is None else 'at least ' + str(cols[-1] + 1)}:"
                             f" {line!r}")
        for k, (i, (dtype, default)) in enumerate(zip(keep, kinds)):
            out[k].append(_field(row[i], dtype, default, na_value, op, f"record {r} field {i}"))
    cols_out = [np.asarray(vals, dtype=dtype).reshape(lines.shape)
                for vals, (dtype, _) in zip(out, kinds)]
    return [as_string_array(a) if a.dtype.kind == "U" else tensor(a) for a in cols_out]
