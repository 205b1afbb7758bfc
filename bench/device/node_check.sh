#!/usr/bin/env bash
# The node check in one call, for a machine with one or more GPUs (issue 16): the same GEMMs on every GPU one
# at a time, then on all of them at once (a shared power or cooling budget shows only under load), each GPU in
# its own process pinned with CUDA_VISIBLE_DEVICES, every run stored with its GPU's index, UUID and PCI bus id in
# one SQLite store; then the per-GPU comparison (TFLOP/s against the node's median, 5% below flagged) of each
# phase, and nvidia-smi's clocks, power, temperature, throttle reasons and PCIe link per GPU, before and under
# load, and the NVLink/PCIe topology.
#   bench/device/node_check.sh [ROOFLINE_BIN] [OUT_DIR]      (defaults: build/ci/apps/roofline/roofline, $OUT or .)
# Environment: SHAPES (default "4096x4096x4096 8192x8192x8192"), PRECISIONS (default: the five-precision sweep).
set -uo pipefail
bin="${1:-build/ci/apps/roofline/roofline}"
out="${2:-${OUT:-.}}/node_check"
mkdir -p "$out"
db="$out/node_check.db"
shapes="${SHAPES:-4096x4096x4096 8192x8192x8192}"
if [[ -n "${PRECISIONS:-}" ]]; then prec=(--precision "$PRECISIONS"); else prec=(--all-precisions); fi
n="$(nvidia-smi -L | grep -c '^GPU ')"
echo "node $(hostname): $n GPU(s); $("$bin" --version)" | tee "$out/summary.txt"
nvidia-smi -L | tee -a "$out/summary.txt"
nvidia-smi topo -m >"$out/topology.txt" 2>&1
query=index,uuid,pci.bus_id,serial,clocks.sm,clocks.max.sm,power.draw,power.limit,temperature.gpu,clocks_throttle_reasons.active,pcie.link.gen.current,pcie.link.width.current
nvidia-smi --query-gpu=$query --format=csv >"$out/gpus_idle.csv"

one_gpu() { # index phase
    local i="$1" phase="$2"
    for s in $shapes; do
        CUDA_VISIBLE_DEVICES="$i" SLURM_ARRAY_JOB_ID="node-check-$phase" SLURM_ARRAY_TASK_ID="$i" \
            "$bin" analyze --shape "$s" "${prec[@]}" --gpu-index "$i" --db "$db" --format table \
            >"$out/${phase}_gpu$i.txt" 2>&1 || echo "GPU $i ($phase, $s): exit $?" | tee -a "$out/summary.txt"
    done
}

t0=$(date +%s.%N)
for i in $(seq 0 $((n - 1))); do one_gpu "$i" alone; done
t1=$(date +%s.%N)
nvidia-smi --query-gpu=$query --format=csv -lms 500 >"$out/gpus_under_load.csv" &
smi=$!
for i in $(seq 0 $((n - 1))); do one_gpu "$i" together & done
wait $(jobs -p | grep -v "^$smi$")
t2=$(date +%s.%N)
kill "$smi" 2>/dev/null
echo "one GPU at a time: $(echo "$t1 - $t0" | bc) s; all $n at once: $(echo "$t2 - $t1" | bc) s" | tee -a "$out/summary.txt"
for phase in alone together; do
    echo "== $phase" | tee -a "$out/summary.txt"
    "$bin" fleet report "node-check-$phase" --db "$db" | tee -a "$out/summary.txt"
    "$bin" fleet report "node-check-$phase" --db "$db" --format json >"$out/report_$phase.json"
done
"$bin" runs list --db "$db" --limit 1000 >"$out/runs.txt"
echo "outputs in $out"
