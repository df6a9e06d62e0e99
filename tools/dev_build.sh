#!/usr/bin/env bash
# Developer build: compiles pyengine._C into build/dev and links it into pyengine/, so that
# `PYTHONPATH=. python -m pytest` runs against the source tree without reinstalling.
# Users install with `pip install .` instead (see README).
set -euo pipefail
cd "$(dirname "$0")/.."
CUDA="${PYENGINE_CUDA:-OFF}"   # dev default: skip nvcc, it is slow and only CUDA work needs it
cmake -S . -B build/dev -G Ninja -DCMAKE_BUILD_TYPE=Release -DPYENGINE_CUDA="$CUDA" \
  -Dpybind11_DIR="$(python3 -m pybind11 --cmakedir)" -DPython_EXECUTABLE="$(command -v python3)" >/dev/null
cmake --build build/dev -j "${JOBS:-2}"
so=$(ls build/dev/_C*.so)
ln -sf "../$so" "pyengine/$(basename "$so")"
echo "built $so"
