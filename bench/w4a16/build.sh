#!/usr/bin/env bash
# Builds libw4a16_bench.so (our kernels behind capi.cu) for bench.py. Usage: build.sh OUT_DIR [ARCH=90]
# ROOFLINE_W4A16_SWEEP compiles the lean configurations only a sweep tries (w4a16.cu, launch_lean).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:?output directory}
arch=${2:-90}
mkdir -p "$out"
g++ -std=c++20 -O2 -fPIC -I"$root/libs/core/include" -c "$root/libs/core/src/w4a16.cpp" -o "$out/w4a16_core.o"
nvcc -std=c++17 -O3 -shared -Xcompiler -fPIC --expt-relaxed-constexpr -DROOFLINE_W4A16_SWEEP -gencode arch=compute_${arch},code=sm_${arch} \
  -I"$root/libs/core/include" -I"$root/libs/cuda/include" -I"$root/libs/cuda/src" \
  "$root/bench/w4a16/capi.cu" "$root/libs/cuda/src/kernels/w4a16.cu" "$root/libs/cuda/src/kernels/int4_mma.cu" \
  "$out/w4a16_core.o" -o "$out/libw4a16_bench.so"
