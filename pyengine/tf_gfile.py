"""tf.io.gfile for `import pyengine as tf`: TensorFlow's file API on the local file system
(keras-io programs glob their image folders with `tf.io.gfile.glob`, test `exists`, make
directories and read label files through `GFile`). Paths are str, bytes or os.PathLike.
Missing files raise tf.errors.NotFoundError (a FileNotFoundError), files in the way
tf.errors.AlreadyExistsError (a FileExistsError). Remote schemes (gs://, s3://, hdfs://) are
refused by name: pyengine reaches no network file system."""
import glob as _glob
import os
import shutil

from .tf_debugging import AlreadyExistsError, NotFoundError

__all__ = ["GFile", "copy", "exists", "glob", "isdir", "listdir", "makedirs", "mkdir",
           "remove", "rename", "rmtree", "stat", "walk"]


def _path(op, path):
    p = getattr(path, "_data", path)
    if hasattr(p, "ndim") and p.ndim == 0:
        p = p.item()
    if isinstance(p, bytes):
        p = p.decode()
    if not isinstance(p, (str, os.PathLike)):
        raise TypeError(f"[tf.io.gfile.{op}] path must be a string, got {type(path).__name__}")
    p = os.fspath(p)
    if "://" in p and not p.startswith("file://"):
        raise NotImplementedError(f"[tf.io.gfile.{op}] {p!r}: only local paths are supported "
                                  f"(no {p.split('://')[0]}:// file system here)")
    return p[len("file://"):] if p.startswith("file://") else p


def _not_found(op, p):
    return NotFoundError(None, op, f"[tf.io.gfile.{op}] {p}: No such file or directory")


def glob(pattern):
    """The paths matching a pattern (or any of a list of patterns), as sorted strings; `*` and
    `?` stay within one path component, as in TensorFlow (and match names starting with '.')."""
    patterns = [pattern] if isinstance(pattern, (str, bytes, os.PathLike)) or \
        getattr(pattern, "ndim", 1) == 0 else list(pattern)
    found = set()
    for p in patterns:
        found.update(_glob.glob(_path("glob", p), include_hidden=True))
    return sorted(found)


def exists(path):
    return os.path.exists(_path("exists", path))


def isdir(path):
    return os.path.isdir(_path("isdir", path))


def listdir(path):
    """The names in a directory (not full paths), in no particular order."""
    p = _path("listdir", path)
    if not os.path.isdir(p):
        raise _not_found("listdir", p)
    return os.listdir(p)


def makedirs(path):
    """Creates the directory and its missing parents; an existing directory is fine."""
    os.makedirs(_path("makedirs", path), exist_ok=True)


def mkdir(path):
    p = _path("mkdir", path)
    if os.path.exists(p):
        raise AlreadyExistsError(None, "mkdir", f"[tf.io.gfile.mkdir] {p}: already exists")
    os.mkdir(p)


def remove(path):
    p = _path("remove", path)
    if not os.path.lexists(p):
        raise _not_found("remove", p)
    os.remove(p)


def rmtree(path):
    p = _path("rmtree", path)
    if not os.path.isdir(p):
        raise _not_found("rmtree", p)
    shutil.rmtree(p)


def _check_target(op, src, dst, overwrite):
    if not os.path.exists(src):
        raise _not_found(op, src)
    if os.path.exists(dst) and not overwrite:
        raise AlreadyExistsError(None, op, f"[tf.io.gfile.{op}] {dst}: already exists "
                                           f"(pass overwrite=True to replace it)")


def rename(src, dst, overwrite=False):
    src, dst = _path("rename", src), _path("rename", dst)
    _check_target("rename", src, dst, overwrite)
    os.replace(src, dst)


def copy(src, dst, overwrite=False):
    src, dst = _path("copy", src), _path("copy", dst)
    _check_target("copy", src, dst, overwrite)
    shutil.copyfile(src, dst)


def walk(top, topdown=True, onerror=None):
    """(directory, subdirectory names, file names) for each directory under top (os.walk's)."""
    yield from os.walk(_path("walk", top), topdown=topdown, onerror=onerror)


class FileStatistics:
    """tf.io.gfile.stat's result: length (bytes), mtime_nsec, is_directory."""

    def __init__(self, length, mtime_nsec, is_directory):
        self.length, self.mtime_nsec, self.is_directory = length, mtime_nsec, is_directory


def stat(path):
    p = _path("stat", path)
    if not os.path.exists(p):
        raise _not_found("stat", p)
    st = os.stat(p)
    return FileStatistics(st.st_size, st.st_mtime_ns, os.path.isdir(p))


class GFile:
    """tf.io.gfile.GFile(name, mode): a file object ('r' / 'w' / 'a' text, with 'b' bytes, '+'
    read and write) with read(n=-1), readline, readlines, iteration, write, seek, tell, size(),
    flush and close, usable in `with`. Reading a missing file raises NotFoundError."""

    def __init__(self, name, mode="r"):
        if not mode or mode[0] not in "rwa" or set(mode) - set("rwab+"):
            raise ValueError(f"[tf.io.gfile.GFile] mode must be 'r', 'w' or 'a' with optional "
                             f"'b' / '+', got {mode!r}")
        self.name, self.mode = _path("GFile", name), mode
        if mode[0] == "r" and not os.path.isfile(self.name):
            raise _not_found("GFile", self.name)
        self._f = open(self.name, mode)

    def read(self, n=-1):
        return self._f.read(n)

    def readline(self):
        return self._f.readline()

    def readlines(self):
        return self._f.readlines()

    def __iter__(self):
        return iter(self._f)

    def write(self, data):
        self._f.write(data)

    def seek(self, offset=None, whence=0, position=None):
        self._f.seek(position if offset is None else offset, whence)

    def tell(self):
        return self._f.tell()

    def size(self):
        self._f.flush()
        return os.path.getsize(self.name)

    def flush(self):
        self._f.flush()

    def close(self):
        self._f.close()

    @property
    def closed(self):
        return self._f.closed

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
