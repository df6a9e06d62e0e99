"""_C keeps the C++ runtime it may carry private, so that its C++ argument errors stay ValueErrors
next to the libstdc++.so.6 that NumPy loads.

Seen on Ubuntu 24.04: a _C linked with -static-libstdc++ (GCC 13) exported its locale facet ids
as STB_GNU_UNIQUE symbols; the dynamic loader bound them to those of the libstdc++.so.6 (GCC 14)
that NumPy had loaded, every `ostringstream << int` in _C then crashed in another facet's code
(gdb), so every argument error thrown in C++ segfaulted the interpreter. CMakeLists.txt links
with --exclude-libs,ALL; docs/hardening.md ("Seen on other machines") has the investigation.
"""
import ctypes
import os
import struct
import subprocess
import sys
import textwrap

import pytest

from hardening_battery import package_path
from pyengine import _C

STB_GNU_UNIQUE = 10
SHT_DYNSYM = 11
SHN_UNDEF = 0
SHF_WRITE = 0x1


def elf_dynamic_definitions(path):
    """[(name, binding, writable)] of the symbols an ELF64 little-endian shared object defines in
    its dynamic symbol table (what the loader can bind other objects to); writable: the symbol
    lies in a section with SHF_WRITE (state, not a constant table)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        pytest.skip(f"{path} is not an ELF64 little-endian object")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
                for i in range(shnum)]
    out = []
    for _, sh_type, _, _, offset, size, link, _, _, entsize in sections:
        if sh_type != SHT_DYNSYM:
            continue
        str_offset = sections[link][4]
        for at in range(offset, offset + size, entsize):
            st_name, st_info, _, st_shndx, _, _ = struct.unpack_from("<IBBHQQ", data, at)
            if st_shndx == SHN_UNDEF or st_name == 0:
                continue
            end = data.index(b"\0", str_offset + st_name)
            writable = st_shndx < shnum and bool(sections[st_shndx][2] & SHF_WRITE)
            out.append((data[str_offset + st_name:end].decode(), st_info >> 4, writable))
    return out


def loaded_path(soname):
    """Path of a shared library this process has mapped, from /proc/self/maps."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f
                     if os.path.basename(line.split()[-1]).startswith(soname)}
    except OSError:
        return None
    return sorted(paths)[0] if paths else None


def libstdcxx_path():
    try:
        ctypes.CDLL("libstdc++.so.6")
    except OSError:
        return None
    return loaded_path("libstdc++.so.6")


def test_module_defines_no_process_wide_unique_state():
    # GCC 12 headers make a few constant tables unique (std::__detail::__to_chars_10_impl's
    # digits, in .rodata): identical in every copy, harmless. Unique *writable* objects (facet ids,
    # their guards) are state that another library's copy would take over.
    unique = [n for n, b, w in elf_dynamic_definitions(_C.__file__) if b == STB_GNU_UNIQUE and w]
    assert not unique, f"{_C.__file__} exports {len(unique)} unique writable symbols: {unique[:5]}"


def test_module_exports_no_copy_of_the_cxx_runtime():
    # std::locale / std::ios_base members defined in _C mean a static libstdc++ that other
    # objects in the process can bind to; a dynamically linked _C only references them.
    runtime = [n for n, _, _ in elf_dynamic_definitions(_C.__file__)
               if n.startswith(("_ZNSt6locale", "_ZNKSt6locale", "_ZNSt8ios_base", "__cxa_throw"))]
    assert not runtime, f"{_C.__file__} exports C++ runtime symbols: {runtime[:5]}"


def test_the_symbol_reader_finds_unique_symbols_where_there_are_some():
    # the checks above must be able to fail: libstdc++ itself defines its facet ids as unique
    path = libstdcxx_path()
    if path is None:
        pytest.skip("no libstdc++.so.6 in this process")
    defs = elf_dynamic_definitions(path)
    assert any(b == STB_GNU_UNIQUE and w for _, b, w in defs)
    assert any(n.startswith("_ZNSt6locale") for n, _, _ in defs)


def test_cxx_argument_errors_are_value_errors_after_libstdcxx_is_loaded(tmp_path):
    """A fresh process that maps libstdc++.so.6 first (as NumPy's C++ modules do; a GCC >= 13
    libstdc++ builds its locale when loaded) gets C++-thrown errors with numbers in their message
    as ValueErrors and exits normally; the crashing build segfaulted here (rc -11)."""
    code = textwrap.dedent("""
        import ctypes
        try:
            ctypes.CDLL("libstdc++.so.6")
        except OSError:
            pass
        import numpy as np
        import pyengine as pe
        from pyengine import _C
        f32 = lambda *s: np.zeros(s, np.float32)
        for call in (lambda: pe.ones(2, 3).log_softmax(-3),
                     lambda: _C.conv2d_forward(f32(1, 1, 3, 3), f32(1, 1, 3, 3), None,
                                               f32(1, 1, 1, 1), 1, 1, 2**62, 2**62, 1, 1, 1)):
            try:
                call()
            except ValueError as e:
                print(e)
        print("done")
    """)
    env = dict(os.environ, PYTHONPATH=package_path())
    p = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 0, f"rc {p.returncode}: {p.stderr[-2000:]}"
    lines = p.stdout.splitlines()
    assert lines[0] == "[log_softmax] axis -3 out of range for 2-d input"
    assert lines[1].startswith("[conv2d]") and "overflows" in lines[1]
    assert lines[2] == "done"
