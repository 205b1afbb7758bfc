#!/usr/bin/env bash
# Second GPU call of the round's end (about 4 minutes): the GPU tests with the lean W4A16 kernel, the engine's own
# W4A16 decode table (the choose_config rule as the engine runs it, FP16 beside it), and the shipped H200
# calibration judged on held-out shapes measured today (collect_grid.py with HELD_OUT_ONLY=1).
#   run(command="bash bench/device/round2_final2.sh", carry=[".devcarry"], timeout_s=600)
set -uo pipefail
source "$(dirname "$0")/w4a16_common.sh" final2
gpu_checks
stamp "held-out shapes measured today; the shipped calibration judged on them"
HELD_OUT_ONLY=1 timeout 200 python3 bench/prediction/collect_grid.py $B "$L/heldout_today.jsonl" 170 >"$L/collect.log" 2>&1
echo "collect rc=$?; $(wc -l <"$L/heldout_today.jsonl") answers"
tail -3 "$L/collect.log"
$B calibrate --evaluate data/calibration/h200.json --replay "$L/heldout_today.jsonl" >"$L/evaluate_today.txt" 2>&1
cat "$L/evaluate_today.txt"
tar czf "$OUTDIR/final2.tgz" -C "$L" .
cp "$L/w4a16_engine.csv" "$L/evaluate_today.txt" "$L/gpu_tests.txt" "$OUTDIR/"
stamp "done"
