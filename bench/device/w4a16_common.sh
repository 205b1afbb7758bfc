#!/usr/bin/env bash
# Sourced by the W4A16 device runs (w4a16_run5.sh, w4a16_run6.sh, round2_final2.sh) with the run's name:
#   source bench/device/w4a16_common.sh run6
# Sets OUTDIR ($OUT), L (a fresh /tmp/w4a16_NAME), B (the carried roofline binary), the library path for
# .devcarry/lib, and stamp(); prints the binary's version and the GPU; gpu_checks runs the GPU tests, then the
# engine's own W4A16 decode table beside FP16 (w4a16_engine_table.sh).
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
OUTDIR=${OUT:-/tmp/out}
L=/tmp/w4a16_${1:?run name}
rm -rf "$L"
mkdir -p "$L"
export LD_LIBRARY_PATH="$PWD/.devcarry/lib:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}" PYTHONUNBUFFERED=1
export XDG_CACHE_HOME=/tmp/w4a16-$1-cache
B=.devcarry/roofline
t0=$(date +%s)
stamp() { echo "== ($(($(date +%s) - t0)) s) $*"; }
$B --version
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv,noheader
gpu_checks() {
    stamp "GPU tests"
    timeout 240 .devcarry/cuda_gpu_tests >"$L/gpu_tests.txt" 2>&1
    echo "gpu tests rc=$?"
    grep -E "^\[  (PASSED|FAILED) |FAILED  \]|tests ran|W4A16|w4a16" "$L/gpu_tests.txt" | head -20
    stamp "W4A16 through the engine (choose_config), FP16 beside it"
    bash bench/device/w4a16_engine_table.sh "$B" "$L"
}
