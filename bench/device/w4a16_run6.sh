#!/usr/bin/env bash
# W4A16 after run 6 (the dequantise in one LOP3 per pair, the activations fetched ahead where the blocks fit
# one wave, the new choose_config), on the GPU machine, about 2 minutes: the GPU tests, the engine's own decode
# table (FP16 beside it, as `roofline analyze` measures them), then the bench with the engine's pick as "ours"
# (no tuning) against FP16 and tinygemm in the same process under the engine's memset flush (M ≥ 1024 and the
# check of every config included) and under the clean flush (THEORY.md, "Run 5", says why both).
# Prepare here: `cmake --preset ci && cmake --build --preset ci`, `BUILD_DIR=build/ci bench/device/prepare_carry.sh`,
# `bench/w4a16/build.sh .devcarry/w4a16 90 && cp bench/w4a16/*.py .devcarry/w4a16/`; then
#   run(command="bash bench/device/w4a16_run6.sh", carry=[".devcarry"], timeout_s=600)
set -uo pipefail
source "$(dirname "$0")/w4a16_common.sh" run6
gpu_checks
for flush in memset clean; do
    stamp "bench, $flush flush: the engine's pick against FP16 and tinygemm"
    extra=$([ "$flush" = clean ] && echo "--no-verify --small-m-only")
    (cd .devcarry/w4a16 && timeout 300 python3 bench.py . --bulk 0 --samples 20 --flush "$flush" $extra \
        --json "$L/w4a16_run6_final_$flush.json" >"$L/w4a16_run6_final_$flush.log" 2>&1)
    echo "bench rc=$?"
    grep -E "verify failures|FAIL|WRONG|read ceiling" "$L/w4a16_run6_final_$flush.log" | head -12
    sed -n '/^| M | N | K | ours/,$p' "$L/w4a16_run6_final_$flush.log" | cut -d'|' -f1-12
done
tar czf "$OUTDIR/w4a16_run6.tgz" -C "$L" .
cp "$L/w4a16_engine.csv" "$L/gpu_tests.txt" "$L"/w4a16_run6_final_*.log "$L"/w4a16_run6_final_*.json "$OUTDIR/"
stamp "done"
