#!/usr/bin/env bash
# One device call for issue 5: telemetry tests, the telemetry bench (NVML identity, energy sources, sampling
# overhead), bandwidth against PyTorch's copy, BF16/FP8 ceilings against a PyTorch shape search (torch before and
# after ours), FP16/FP8 measurements with telemetry, and a timed full `roofline ceilings`.
#   run(command="bash bench/telemetry/run_on_device.sh", carry=["build/telemetry/carry"], kind=nvidia-h100-x1)
# build/telemetry/carry holds roofline, telemetry_bench, telemetry_tests, ceilings_tests built for sm_90.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/telemetry_out}
mkdir -p "$OUT"
export LD_LIBRARY_PATH=/usr/local/cuda/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export ROOFLINE_PROFILE_DIR="$OUT/profiles" XDG_CACHE_HOME=/tmp/rl_cache PYTHONUNBUFFERED=1
C=${C:-build/telemetry/carry}
J="$OUT/bench.jsonl"
: >"$J"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,power.draw,power.limit,temperature.gpu \
  --format=csv
ldd "$C/roofline" | grep "not found" && echo "missing libraries above"
wrap() { python3 -c 'import json,sys; d=json.load(sys.stdin); d["bench"]=sys.argv[1]; print(json.dumps(d))' "$1"; }

echo "== tests"
"$C/telemetry_tests" --gtest_brief=1 >"$OUT/tests.log" 2>&1; echo "telemetry_tests exit $?"
"$C/ceilings_tests" >>"$OUT/tests.log" 2>&1; echo "ceilings_tests exit $?"
grep -E "NVML here|SKIPPED|FAILED|Failure" "$OUT/tests.log" | head -20

echo "== telemetry bench (copy load)"
timeout 120 "$C/telemetry_bench" identity energy overhead | tee -a "$J" | grep '^#'

echo "== bandwidth: ours, then torch's copy of the same 2 GiB"
timeout 60 "$C/roofline" ceilings --bandwidth-only --format json --no-save | wrap ours_bandwidth >>"$J"
timeout 60 python3 bench/telemetry/torch_ref.py copy --bytes $((2 << 30)) >>"$J"

echo "== BF16 / FP8 ceilings: torch search, ours, torch search again"
timeout 120 python3 bench/telemetry/torch_ref.py gemm --tag before >>"$J"
timeout 120 "$C/roofline" ceilings --precisions bf16,fp8_e4m3 --sustain-seconds 0 --format json --no-save |
  wrap ours_compute >>"$J"
timeout 120 python3 bench/telemetry/torch_ref.py gemm --tag after >>"$J"

echo "== FP16 and FP8 with telemetry through the engine; sampling overhead on a GEMM"
timeout 120 "$C/telemetry_bench" gemm overhead_gemm | tee -a "$J" | grep '^#'

echo "== full roofline ceilings, timed"
s=$(date +%s.%N)
XDG_CACHE_HOME=/tmp/rl_cache_full timeout 200 "$C/roofline" ceilings >"$OUT/ceilings_full.txt" 2>"$OUT/ceilings_full.err"
rc=$?
e=$(date +%s.%N)
python3 -c "import json,sys; print(json.dumps({\"bench\": \"ceilings_wall\", \"seconds\": float(sys.argv[2]) - float(sys.argv[1]), \"rc\": int(sys.argv[3])}))" "$s" "$e" "$rc" >>"$J"
cat "$OUT/ceilings_full.txt"
tail -5 "$OUT/ceilings_full.err"

echo "== checks"
python3 bench/telemetry/report.py "$J" | tee "$OUT/report.txt"
