#!/usr/bin/env bash
# Round 2's GPU check in one device call (about 7 minutes): the GPU tests of the split engine (W4A16 and the
# block-scaled packing included), the seed's sweep with W4A16 beside it, the node check on however many GPUs
# the machine has, the workloads' Llama-3.1-8B table and a 20-case batch through the API, the original client's
# contract on a GPU server, the W4A16 bench against FP16 and tinygemm, and the web app's own sweep in jsdom.
# Prepare here: preset sm90 built, bench/device/prepare_carry.sh, bench/w4a16/build.sh .devcarry/w4a16; then
#   run(command="bash bench/device/round2_check.sh", carry=[".devcarry"])
# Logs: $OUT/logs.tgz (the device tool returns at most 8 files) and the short tables below.
set -uo pipefail
cd "$(dirname "$0")/../.."
FINAL=${OUT:-/tmp/out}
L=/tmp/round2; rm -rf "$L"; mkdir -p "$L"
export LD_LIBRARY_PATH="$PWD/.devcarry/lib:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}" PYTHONUNBUFFERED=1
export XDG_CACHE_HOME=/tmp/r2-cache
B=.devcarry/roofline
t0=$(date +%s)
stamp() { echo "== ($(( $(date +%s) - t0 )) s) $*"; }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit --format=csv | tee "$L/gpu.txt"
$B --version | tee -a "$L/gpu.txt"
stamp "GPU tests"
timeout 200 .devcarry/cuda_gpu_tests > "$L/gpu_tests.txt" 2>&1; echo "gpu tests rc=$?"; grep -E "^\[  (PASSED|FAILED) |FAILED  \]|tests ran" "$L/gpu_tests.txt"
stamp "doctor"
timeout 30 $B doctor --port 0 --db /tmp/r2-doctor.db > "$L/doctor.txt" 2>&1; echo "doctor rc=$?"; tail -25 "$L/doctor.txt"
stamp "the seed's sweep at 4096^3, and W4A16 beside FP16 at decode shapes"
timeout 60 $B analyze --shape 4096x4096x4096 --all-precisions > "$L/sweep_4096.txt" 2>&1; cat "$L/sweep_4096.txt" | head -20
timeout 60 $B analyze --shape 4096x4096x4096 --all-precisions --format json > "$L/sweep_4096.json" 2>&1
for s in 1x4096x4096 16x14336x4096 1x28672x8192; do
  timeout 60 $B analyze --shape $s -p fp16,w4a16 > "$L/w4a16_$s.txt" 2>&1; head -8 "$L/w4a16_$s.txt"
done
stamp "node check (every GPU of this machine)"
SHAPES="4096x4096x4096" timeout 120 bash bench/device/node_check.sh $B "$L" > "$L/node_check.log" 2>&1; echo "node check rc=$?"; tail -15 "$L/node_check.log"
stamp "workloads: Llama-3.1-8B table, 20-case batch through the API"
OUT=$L/workloads ROOFLINE_BIN=$B timeout 150 bash bench/workloads/run_on_device.sh > "$L/workloads.log" 2>&1; echo "workloads rc=$?"; tail -32 "$L/workloads.log"
stamp "the original client's contract on a GPU server"
timeout 90 bash bench/server/original_client_gpu.sh $B > "$L/original_client.log" 2>&1; echo "original client rc=$?"; tail -12 "$L/original_client.log"
if [[ -d .devcarry/w4a16 ]]; then
  stamp "W4A16 bench (ours vs FP16 vs tinygemm)"
  (cd .devcarry/w4a16 && timeout 120 python3 bench.py . --samples 15 --json "$L/w4a16_run2.json" > "$L/w4a16_run2.log" 2>&1); echo "w4a16 rc=$?"; tail -40 "$L/w4a16_run2.log"
fi
if [[ -f .devcarry/node.xz ]]; then
  stamp "the web app's own sweep (jsdom under a carried Node)"
  xz -dc .devcarry/node.xz > /tmp/node && chmod +x /tmp/node
  [[ -f .devcarry/jsdom.tar.xz ]] && tar xJf .devcarry/jsdom.tar.xz -C /tmp && jsdom_dir=/tmp/jsdom || jsdom_dir=.devcarry/jsdom
  rm -f /tmp/r2-app.db*; $B serve --port 0 --db /tmp/r2-app.db --web-root .devcarry/web-dist > "$L/app_serve.log" 2>&1 &
  spid=$!
  for i in $(seq 1 100); do grep -q "listening on" "$L/app_serve.log" && break; sleep 0.2; done
  url=$(grep -o "http://127.0.0.1:[0-9]*" "$L/app_serve.log" | head -1)
  mkdir -p "$L/app"; JSDOM_DIR=$jsdom_dir timeout 120 /tmp/node bench/device/app_sweep.mjs "$url" "$L/app" > "$L/app_sweep.log" 2>&1
  echo "app sweep rc=$?"; tail -15 "$L/app_sweep.log"
  kill $spid; cp /tmp/r2-app.db* "$L/" 2>/dev/null
fi
tar czf "$FINAL/logs.tgz" -C "$L" .
stamp "done"
