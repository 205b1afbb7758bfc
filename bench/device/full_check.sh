#!/usr/bin/env bash
# The whole GPU check in one device call (about 8 minutes): the GPU tests, the engine against PyTorch
# (bench/gpu_engine), then telemetry, the default sweep through the CLI and through the API server
# (bench/device/run_on_device.sh). Every log goes into one archive, $OUT/logs.tgz (the device tool returns at
# most 8 files), the server's SQLite store (rc.db*) among them: the web app's History panel reloads its runs.
# Prepare here (preset sm90 built), then:
#   bench/device/prepare_carry.sh && run(command="bash bench/device/full_check.sh", carry=[".devcarry"])
set -uo pipefail
cd "$(dirname "$0")/../.."
FINAL=${OUT:-/tmp/out}
LOGS=/tmp/full_check; rm -rf "$LOGS"; mkdir -p "$LOGS"
export LD_LIBRARY_PATH="$PWD/.devcarry/lib:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}"
start=$(date +%s)
echo "== engine: GPU tests and the bench against PyTorch"
OUT=$LOGS BIN=.devcarry/roofline TESTS=.devcarry/cuda_gpu_tests bash bench/gpu_engine/run_on_device.sh
echo "== ($(( $(date +%s) - start )) s) telemetry, sweep through the CLI and the API"
OUT=$LOGS SKIP_TESTS=1 KEEP_DB=1 timeout 150 bash bench/device/run_on_device.sh
cp /tmp/rc.db* "$LOGS/" 2>/dev/null
tar czf "$FINAL/logs.tgz" -C "$LOGS" .
cp "$LOGS/bench_table.txt" "$FINAL/" 2>/dev/null
echo "== done in $(( $(date +%s) - start )) s"
