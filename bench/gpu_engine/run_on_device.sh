#!/usr/bin/env bash
# One device call: use the carried build/engine binaries (built on the dev box for sm_90) or build here, run the
# GPU tests, then bench.py (ours against PyTorch, same shapes, same method). Logs and bench.json go to $OUT.
#   run with carry ["build/engine/carry"]
#   RUN_TESTS=0 skips the tests; BENCH=0 skips the bench; BENCH_ARGS=--quick skips 8192^3.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/gpu_engine_out}
mkdir -p "$OUT"
export LD_LIBRARY_PATH=/usr/local/cuda/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
# build/engine/carry/ holds the two binaries copied out of a build for sm_90 (what the device call carries).
BIN=${BIN:-build/engine/carry/roofline}
TESTS=${TESTS:-build/engine/carry/cuda_gpu_tests}
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,power.draw,power.limit,temperature.gpu \
  --format=csv
if ! "$BIN" --version >/dev/null 2>&1; then
  echo "carried binary missing or not runnable here; building for sm_90"
  ldd "$BIN" 2>&1 | tee "$OUT/ldd.txt"
  if cmake -S . -B build/engine-device -G Ninja -DCMAKE_CUDA_ARCHITECTURES=90 -DCMAKE_BUILD_TYPE=Release \
       -DROOFLINE_ENABLE_SERVER=OFF >"$OUT/build.log" 2>&1 &&
     ninja -C build/engine-device roofline cuda_gpu_tests >>"$OUT/build.log" 2>&1; then
    BIN=build/engine-device/apps/roofline/roofline
    TESTS=build/engine-device/libs/cuda/cuda_gpu_tests
  else
    tail -40 "$OUT/build.log"
    exit 1
  fi
fi
"$BIN" --version
if [ "${RUN_TESTS:-1}" = 1 ]; then
  timeout 200 "$TESTS" >"$OUT/gpu_tests.log" 2>&1
  echo "gpu tests exit code $?"
  grep -E "^\[ (device|sweep) |^\[  (FAILED|PASSED|SKIPPED) |Failure|Expected|Which is|Value of|rel err" \
    "$OUT/gpu_tests.log" | head -60
fi
# FP8 diagnosis: cuBLASLt's own log of one small FP8 GEMM (what it rejected, if anything).
CUBLASLT_LOG_LEVEL=5 CUBLASLT_LOG_FILE="$OUT/cublaslt_fp8.log" XDG_CACHE_HOME=/tmp/rc_diag \
  "$BIN" analyze --shape 256x256x256 -p fp8_e4m3 --format json --hardware h100-sxm |
  python3 -c 'import json,sys; [print("fp8 diag:", p["disposition"], p["message"][:300]) for p in json.load(sys.stdin)["points"]]'
if [ "${BENCH:-1}" = 1 ]; then
  PYTHONUNBUFFERED=1 timeout 340 python3 bench/gpu_engine/bench.py --bin "$BIN" --out "$OUT" ${BENCH_ARGS:-} \
    2>"$OUT/bench.log" | tee "$OUT/bench_table.txt"
  echo "bench exit code ${PIPESTATUS[0]}"
  tail -5 "$OUT/bench.log"
fi
nvidia-smi --query-gpu=clocks.sm,power.draw,temperature.gpu,clocks_event_reasons.active --format=csv >"$OUT/gpu_after.csv" 2>&1
