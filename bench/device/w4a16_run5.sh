#!/usr/bin/env bash
# W4A16 after run 5's choose_config (one row tile per block at M ≤ 8), on the GPU machine, about 3 minutes:
# the GPU tests, the engine's own decode table (FP16 beside it, as `roofline analyze` measures them), then the
# bench with the engine's pick as "ours" (no tuning: the rule, not a sweep's best), tinygemm and FP16 in the
# same process, the read ceiling per shape, M ≥ 1024 included, and the check of every config first.
# Prepare here: `cmake --preset ci && cmake --build --preset ci`, `BUILD_DIR=build/ci bench/device/prepare_carry.sh`,
# `bench/w4a16/build.sh .devcarry/w4a16 90 && cp bench/w4a16/*.py .devcarry/w4a16/`; then
#   run(command="bash bench/device/w4a16_run5.sh", carry=[".devcarry"], timeout_s=600)
set -uo pipefail
cd "$(dirname "$0")/../.."
OUTDIR=${OUT:-/tmp/out}
L=/tmp/w4a16_run5
rm -rf "$L"
mkdir -p "$L"
export LD_LIBRARY_PATH="$PWD/.devcarry/lib:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}" PYTHONUNBUFFERED=1
export XDG_CACHE_HOME=/tmp/w4a16-run5-cache
B=.devcarry/roofline
t0=$(date +%s)
stamp() { echo "== ($(($(date +%s) - t0)) s) $*"; }
$B --version
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv,noheader
stamp "GPU tests"
timeout 200 .devcarry/cuda_gpu_tests >"$L/gpu_tests.txt" 2>&1
echo "gpu tests rc=$?"
grep -E "^\[  (PASSED|FAILED) |FAILED  \]|tests ran" "$L/gpu_tests.txt" | head -20
stamp "W4A16 through the engine (choose_config), FP16 beside it"
bash bench/device/w4a16_engine_table.sh "$B" "$L"
stamp "bench: verify every config, then the engine's pick against FP16 and tinygemm (memset flush, the engine's)"
(cd .devcarry/w4a16 && timeout 300 python3 bench.py . --bulk 0 --samples 20 --json "$L/w4a16_run5_final.json" \
    >"$L/w4a16_run5_final.log" 2>&1)
echo "bench rc=$?"
grep -E "verify failures|FAIL|WRONG|read ceiling" "$L/w4a16_run5_final.log" | head -20
sed -n '/^| M | N | K | ours/,$p' "$L/w4a16_run5_final.log" | cut -c1-150
tar czf "$OUTDIR/w4a16_run5.tgz" -C "$L" .
cp "$L/w4a16_engine.csv" "$L/gpu_tests.txt" "$L/w4a16_run5_final.log" "$L/w4a16_run5_final.json" "$OUTDIR/"
stamp "done"
