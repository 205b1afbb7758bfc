#!/usr/bin/env bash
# W4A16 after run 5's choose_config (one row tile per block at M ≤ 8), on the GPU machine, about 3 minutes:
# the GPU tests, the engine's own decode table (FP16 beside it, as `roofline analyze` measures them), then the
# bench with the engine's pick as "ours" (no tuning: the rule, not a sweep's best), tinygemm and FP16 in the
# same process, the read ceiling per shape, M ≥ 1024 included, and the check of every config first.
# Prepare here: `cmake --preset ci && cmake --build --preset ci`, `BUILD_DIR=build/ci bench/device/prepare_carry.sh`,
# `bench/w4a16/build.sh .devcarry/w4a16 90 && cp bench/w4a16/*.py .devcarry/w4a16/`; then
#   run(command="bash bench/device/w4a16_run5.sh", carry=[".devcarry"], timeout_s=600)
set -uo pipefail
source "$(dirname "$0")/w4a16_common.sh" run5
gpu_checks
stamp "bench: verify every config, then the engine's pick against FP16 and tinygemm (memset flush, the engine's)"
(cd .devcarry/w4a16 && timeout 300 python3 bench.py . --bulk 0 --samples 20 --json "$L/w4a16_run5_final.json" \
    >"$L/w4a16_run5_final.log" 2>&1)
echo "bench rc=$?"
grep -E "verify failures|FAIL|WRONG|read ceiling" "$L/w4a16_run5_final.log" | head -20
sed -n '/^| M | N | K | ours/,$p' "$L/w4a16_run5_final.log" | cut -c1-150
tar czf "$OUTDIR/w4a16_run5.tgz" -C "$L" .
cp "$L/w4a16_engine.csv" "$L/gpu_tests.txt" "$L/w4a16_run5_final.log" "$L/w4a16_run5_final.json" "$OUTDIR/"
stamp "done"
