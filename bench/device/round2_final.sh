#!/usr/bin/env bash
# The last GPU check of round 2 in one device call (about 6 minutes): the engine's GPU tests, the seed's sweep
# with W4A16 beside FP16 at decode shapes, `--gpus all` and the node check (node_gpus_check.sh), then
# `roofline calibrate` on the H200 and its held-out judgement (bench/prediction/device_calibrate.sh).
# Prepare here: a CUDA build for sm_90 (preset sm90 or ci), BUILD_DIR=<it> bench/device/prepare_carry.sh, then
#   run(command="bash bench/device/round2_final.sh", carry=[".devcarry"], timeout_s=600)
# Outputs under $OUT: gpu.txt, gpu_tests.txt, sweep_*.txt, node_gpus/, calibrate/.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUTDIR=${OUT:-/tmp/out}
mkdir -p "$OUTDIR"
export LD_LIBRARY_PATH="$PWD/.devcarry/lib:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}"
export XDG_CACHE_HOME=/tmp/rf-cache
B=.devcarry/roofline
t0=$(date +%s)
stamp() { echo "== ($(($(date +%s) - t0)) s) $*"; }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit --format=csv | tee "$OUTDIR/gpu.txt"
$B --version | tee -a "$OUTDIR/gpu.txt"
stamp "GPU tests"
timeout 200 .devcarry/cuda_gpu_tests >"$OUTDIR/gpu_tests.txt" 2>&1
echo "gpu tests rc=$?"
grep -E "^\[  (PASSED|FAILED) |FAILED  \]|tests ran" "$OUTDIR/gpu_tests.txt"
stamp "the seed's sweep at 4096^3; W4A16 beside FP16 at decode shapes"
timeout 60 $B analyze --shape 4096x4096x4096 --all-precisions 2>&1 | tee "$OUTDIR/sweep_4096.txt" | head -24
for s in 1x4096x4096 16x14336x4096 1x28672x8192; do
    timeout 60 $B analyze --shape $s -p fp16,w4a16 >"$OUTDIR/sweep_w4a16_$s.txt" 2>&1
    head -8 "$OUTDIR/sweep_w4a16_$s.txt"
done
stamp "--gpus all and the node check"
OUT=$OUTDIR timeout 150 bash bench/device/node_gpus_check.sh >"$OUTDIR/node_gpus.log" 2>&1
echo "node check rc=$?"
tail -30 "$OUTDIR/node_gpus/summary.txt"
stamp "roofline calibrate on the H200, judged on held-out shapes"
OUT=$OUTDIR/calibrate ROOFLINE_BIN=$B timeout 330 bash bench/prediction/device_calibrate.sh >"$OUTDIR/calibrate.log" 2>&1
echo "calibrate rc=$?"
tail -30 "$OUTDIR/calibrate.log"
stamp "done"
