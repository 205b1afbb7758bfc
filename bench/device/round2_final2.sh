#!/usr/bin/env bash
# Second GPU call of the round's end (about 4 minutes): the GPU tests with the lean W4A16 kernel, the engine's own
# W4A16 decode table (the choose_config rule as the engine runs it, FP16 beside it), and the shipped H200
# calibration judged on held-out shapes measured today (collect_grid.py with HELD_OUT_ONLY=1).
#   run(command="bash bench/device/round2_final2.sh", carry=[".devcarry"], timeout_s=600)
set -uo pipefail
cd "$(dirname "$0")/../.."
OUTDIR=${OUT:-/tmp/out}
L=/tmp/final2; rm -rf "$L"; mkdir -p "$L"
export LD_LIBRARY_PATH="$PWD/.devcarry/lib:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}" PYTHONUNBUFFERED=1
export XDG_CACHE_HOME=/tmp/rf2-cache
B=.devcarry/roofline
t0=$(date +%s)
stamp() { echo "== ($(($(date +%s) - t0)) s) $*"; }
$B --version
stamp "GPU tests"
timeout 200 .devcarry/cuda_gpu_tests >"$L/gpu_tests.txt" 2>&1
echo "gpu tests rc=$?"
grep -E "^\[  (PASSED|FAILED) |FAILED  \]|tests ran|W4A16|w4a16" "$L/gpu_tests.txt" | head -20
stamp "W4A16 through the engine (choose_config), FP16 beside it"
bash bench/device/w4a16_engine_table.sh "$B" "$L"
stamp "held-out shapes measured today; the shipped calibration judged on them"
HELD_OUT_ONLY=1 timeout 200 python3 bench/prediction/collect_grid.py $B "$L/heldout_today.jsonl" 170 >"$L/collect.log" 2>&1
echo "collect rc=$?; $(wc -l <"$L/heldout_today.jsonl") answers"
tail -3 "$L/collect.log"
$B calibrate --evaluate data/calibration/h200.json --replay "$L/heldout_today.jsonl" >"$L/evaluate_today.txt" 2>&1
cat "$L/evaluate_today.txt"
tar czf "$OUTDIR/final2.tgz" -C "$L" .
cp "$L/w4a16_engine.csv" "$L/evaluate_today.txt" "$L/gpu_tests.txt" "$OUTDIR/"
stamp "done"
