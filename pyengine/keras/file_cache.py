"""keras.utils.get_file (also keras.utils.data_utils.get_file): a file by name from the cache
folder, downloaded from `origin` only when missing, optionally checked against a hash and
unpacked. The cache root is `cache_dir`, else $PYENGINE_HOME (default ~/.pyengine), where
Keras uses ~/.keras; the file lives in `<root>/<cache_subdir>/<fname>`, so the files the Keras
dataset loaders read ($PYENGINE_HOME/datasets) are found by the same name. An offline machine
gets an OSError naming the path to copy the file to."""
import hashlib
import os
import tarfile
import urllib.request
import zipfile

from .datasets._fetch import download

OP = "get_file"


def _cache_root(cache_dir):
    if cache_dir is not None:
        return os.fspath(cache_dir)
    return os.environ.get("PYENGINE_HOME") or os.path.join(os.path.expanduser("~"), ".pyengine")


def _hash_file(path, algorithm, file_hash):
    if algorithm == "auto":
        algorithm = "sha256" if len(file_hash) == 64 else "md5"
    if algorithm not in ("sha256", "md5"):
        raise ValueError(f"[{OP}] hash_algorithm must be 'auto', 'sha256' or 'md5'. "
                         f"Received: hash_algorithm={algorithm!r}")
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _extract(path, dest, archive_format):
    """Unpack a tar / zip archive into `dest`; members that would land outside it are refused.
    True when `path` was an archive of an allowed format."""
    formats = {"auto": ("tar", "zip"), "tar": ("tar",), "zip": ("zip",)}
    if archive_format is None:
        return False
    if archive_format not in formats:
        raise ValueError(f"[{OP}] archive_format must be 'auto', 'tar', 'zip' or None. "
                         f"Received: archive_format={archive_format!r}")
    allowed = formats[archive_format]
    root = os.path.realpath(dest)

    def check(name):
        target = os.path.realpath(os.path.join(dest, name))
        if os.path.commonpath([root, target]) != root:
            raise ValueError(f"[{OP}] archive member {name!r} of {path} would be written outside "
                             f"{dest}")
    if "tar" in allowed and tarfile.is_tarfile(path):
        with tarfile.open(path) as t:
            for m in t.getmembers():
                check(m.name)
            t.extractall(dest, filter="data")
        return True
    if "zip" in allowed and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                check(name)
            z.extractall(dest)
        return True
    return False


def _download(origin, dest):
    try:
        download(origin, dest)
    except (OSError, ValueError) as e:
        raise OSError(f"[{OP}] {dest} is missing and downloading it from {origin} failed "
                      f"({e}). If this machine is offline, copy the file to {dest} (or set "
                      "PYENGINE_HOME / cache_dir)") from None


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None,
             cache_subdir="datasets", hash_algorithm="auto", extract=False,
             archive_format="auto", cache_dir=None, force_download=False):
    """Path of `<cache root>/<cache_subdir>/<fname>`, downloading `origin` there when it is
    missing (or when `force_download`). `file_hash` (or Keras 2's `md5_hash`) is checked on the
    cached or downloaded file. `untar=True` (Keras 2) reads `<fname>.tar.gz`, unpacks it into
    `<fname>` and returns that folder; `extract=True` unpacks the archive next to it and returns
    the archive's path (Keras 2 behaviour).

    >>> path = get_file("nietzsche.txt", origin="https://.../nietzsche.txt")  # doctest: +SKIP
    """
    if origin is None:
        raise ValueError(f'[{OP}] Please specify the "origin" argument (URL of the file to '
                         'download).')
    if fname is None:
        fname = os.path.basename(urllib.request.urlparse(origin).path)
        if not fname:
            raise ValueError(f"[{OP}] Can't parse the file name from the origin provided: "
                             f"'{origin}'. Please specify the `fname` argument.")
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    folder = os.path.join(_cache_root(cache_dir), cache_subdir)
    os.makedirs(folder, exist_ok=True)
    fname = os.fspath(fname)
    untar_dir = os.path.join(folder, fname)
    path = untar_dir + ".tar.gz" if untar else untar_dir
    if force_download or not os.path.exists(path):
        _download(origin, path)
    if file_hash is not None:
        got = _hash_file(path, hash_algorithm, file_hash)
        if got != file_hash:
            raise ValueError(f"[{OP}] {path} does not match the expected hash {file_hash} "
                             f"(got {got}); delete it to download it again")
    if untar:
        if not os.path.exists(untar_dir):
            if not _extract(path, folder, "tar"):
                raise ValueError(f"[{OP}] untar=True but {path} is not a tar archive")
        return untar_dir
    if extract:
        if not _extract(path, folder, archive_format):
            raise ValueError(f"[{OP}] extract=True but {path} is not a "
                             f"{'tar or zip' if archive_format == 'auto' else archive_format} "
                             "archive")
    return path
