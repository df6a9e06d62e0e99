"""DESIGN.md's layering rule: only pyengine/backend/ touches the compiled extension _C.

Every module above the backend reaches kernels through backend functions, so a second backend
(CUDA) slots in by providing the same functions. This walks the package's source and fails on
any `_C` import or attribute use outside backend/.
"""
import ast
import pathlib

import pyengine

PKG = pathlib.Path(pyengine.__file__).parent


def _uses_of_C(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and any(a.name == "_C" for a in node.names):
            yield node.lineno
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[-1] == "_C":
            yield node.lineno
        elif isinstance(node, ast.Import) and any(a.name.split(".")[-1] == "_C" for a in node.names):
            yield node.lineno
        elif isinstance(node, ast.Name) and node.id == "_C":
            yield node.lineno


def test_only_backend_modules_use_the_extension():
    offenders = []
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG)
        if rel.parts[0] == "backend":
            continue
        offenders += [f"{rel}:{line}" for line in _uses_of_C(path)]
    assert not offenders, "modules above backend/ use _C: " + ", ".join(offenders)


def test_the_walk_finds_a_use_when_there_is_one(tmp_path):
    # the check itself must be able to fail
    bad = tmp_path / "bad.py"
    bad.write_text("from .. import _C\nx = _C.gemm\n")
    assert list(_uses_of_C(bad)) == [1, 2]
