#!/usr/bin/env bash
# roofline calibrate on the device machine's H200, then the fresh profile judged on shapes it was not fitted on.
#
# Run from the repository root on the device machine, the GPU build of the CLI at .devcarry/roofline:
#
#     bench/prediction/device_calibrate.sh            # results under $OUT
#
# What it does (about 3 minutes on the machine: measuring ~2, as the 2026-12-01 grid measured 605 points in 205 s
# and this is 290, bounded by CALIBRATE_TIMEOUT_S, 230 s; then under a minute of CPU for the fit's three chains
# and the two judgements; CALIBRATE_FLAGS=--quick skips the largest shapes):
#  1. `roofline calibrate` measures the fit share of benchmark_shapes() (calibration.cpp; the held-out
#     third is not measured) x FP16, BF16, FP8_E4M3, INT8, TF32, paced and cold, with its progress lines in
#     $OUT/calibrate.log and every measured answer in $OUT/calib_raw.jsonl, and writes $OUT/h200.json.
#  2. If the measuring ran out of time, the points measured so far are fitted instead (`--replay` of the raw
#     answers), so a profile always comes back, and the log says so.
#  3. `roofline calibrate --evaluate` judges that profile, with no fitting, on the held-out shapes of the committed
#     H200 grid (bench/prediction/data/h200_grid.jsonl, measured on an H200 on 2026-12-01): per precision the
#     median and p90 of |log(measured/predicted)| and the share predicted faster, calibrated and uncalibrated, in
#     $OUT/evaluate_heldout.txt; and on its own fresh points in $OUT/evaluate_fresh.txt (fit shapes: reference).
# The lead commits $OUT/h200.json to data/calibration/ (if its held-out figures are at least as good as the
# shipped profile's, bench/prediction/RESULTS.md) and the logs under bench/prediction/results/.
#
# ROOFLINE_BIN, OUT, CALIBRATE_TIMEOUT_S and CALIBRATE_FLAGS override the defaults (DRY_RUN=1 skips the GPU and
# replays the committed grid's fit shapes instead: the script's own check on a machine without one).
set -euo pipefail

BIN=${ROOFLINE_BIN:-.devcarry/roofline}
OUT=${OUT:?set OUT to the folder the results go to}
GRID=bench/prediction/data/h200_grid.jsonl
TIMEOUT_S=${CALIBRATE_TIMEOUT_S:-230}
FLAGS=${CALIBRATE_FLAGS-}
mkdir -p "$OUT"
log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" | tee -a "$OUT/calibrate.log" >&2; }

[ -x "$BIN" ] || { echo "device_calibrate: no executable roofline at $BIN (set ROOFLINE_BIN)" >&2; exit 2; }
[ -f "$GRID" ] || { echo "device_calibrate: $GRID missing (run from the repository root)" >&2; exit 2; }
: > "$OUT/calibrate.log"
"$BIN" --version >> "$OUT/calibrate.log" 2>&1 || true
if command -v nvidia-smi > /dev/null; then
    nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit --format=csv >> "$OUT/calibrate.log" 2>&1 || true
fi

started=$(date +%s)
status=0
if [ "${DRY_RUN:-0}" = 1 ]; then
    log "DRY_RUN: no GPU; the committed grid's answers stand in for the measurement"
    cp "$GRID" "$OUT/calib_raw.jsonl"
    status=124
else
    log "calibrate: measuring on the GPU (${FLAGS:-all fit shapes}, at most ${TIMEOUT_S} s)"
    # Progress lines (one per 10%; a bar on a terminal) go to the log as they come.
    # shellcheck disable=SC2086  # FLAGS is a list of options
    timeout --signal=INT "$TIMEOUT_S" "$BIN" calibrate --hardware h200 $FLAGS --raw-output "$OUT/calib_raw.jsonl" \
        -o "$OUT/h200.json" > "$OUT/calibrate_fit.txt" 2>> "$OUT/calibrate.log" || status=$?
fi
answers=0
[ -f "$OUT/calib_raw.jsonl" ] && answers=$(wc -l < "$OUT/calib_raw.jsonl")
log "calibrate: exit $status after $(( $(date +%s) - started )) s; $answers answers measured"

if [ "$status" -ne 0 ] || [ ! -s "$OUT/h200.json" ]; then
    # Out of time (124) or stopped: fit what was measured. --replay keeps only the split's fit shapes.
    [ -s "$OUT/calib_raw.jsonl" ] || { log "no measured answers: nothing to fit"; exit 1; }
    log "fitting the answers measured so far (calibrate --replay)"
    "$BIN" calibrate --replay "$OUT/calib_raw.jsonl" --hardware h200 -o "$OUT/h200.json" \
        > "$OUT/calibrate_fit.txt" 2>> "$OUT/calibrate.log"
fi
tee -a "$OUT/calibrate.log" < "$OUT/calibrate_fit.txt"

log "judging $OUT/h200.json on the held-out shapes of $GRID"
"$BIN" calibrate --evaluate "$OUT/h200.json" --replay "$GRID" > "$OUT/evaluate_heldout.txt"
"$BIN" calibrate --evaluate "$OUT/h200.json" --replay "$OUT/calib_raw.jsonl" > "$OUT/evaluate_fresh.txt"
cat "$OUT/evaluate_heldout.txt"
log "done in $(( $(date +%s) - started )) s: $OUT/h200.json, evaluate_heldout.txt, evaluate_fresh.txt, calibrate.log"
