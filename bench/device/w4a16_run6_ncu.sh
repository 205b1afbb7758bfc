#!/usr/bin/env bash
# W4A16 run 6, on the GPU machine: ncu on the bare read and on the lean kernel where the sweep left it furthest
# from that read (28672×8192 M = 1 and 16, 8192×28672 M = 16), to see what limits a kernel that more register
# stages did not speed up. Prepare as w4a16_run6_sweep.sh; run(command="bash bench/device/w4a16_run6_ncu.sh",
# carry=[".devcarry6"]).
set -uo pipefail
cd "$(dirname "$0")/../.."
OUTDIR=${OUT:-/tmp/out}
export PYTHONUNBUFFERED=1
NCU=$(command -v ncu || ls /usr/local/cuda/bin/ncu 2>/dev/null || echo ncu)
M="dram__bytes_read.sum,dram__bytes_write.sum,dram__throughput.avg.pct_of_peak_sustained_elapsed,gpu__time_duration.sum"
M="$M,lts__t_bytes.sum,lts__t_sector_hit_rate.pct,l1tex__t_sector_hit_rate.pct,l1tex__t_bytes.sum"
M="$M,sm__warps_active.avg.pct_of_peak_sustained_active,smsp__issue_active.avg.pct_of_peak_sustained_active"
M="$M,smsp__inst_executed.sum,sm__cycles_elapsed.avg,launch__registers_per_thread,launch__occupancy_limit_registers"
for r in long_scoreboard wait math_pipe_throttle not_selected short_scoreboard barrier lg_throttle mio_throttle \
    dispatch_stall no_instruction selected drain branch_resolving; do
    M="$M,smsp__average_warps_issue_stalled_${r}_per_issue_active.ratio"
done
cd ".devcarry6/${LIB:-w4a16}"
prof() { # label, kernel regex, profile.py args
    local label=$1 kre=$2
    shift 2
    echo "=== $label"
    timeout 120 "$NCU" --clock-control none -k "regex:$kre" -c 1 --metrics "$M" python3 profile.py . "$@" 2>&1 |
        grep -E "^\s+(dram|gpu__|lts|l1tex|sm__|smsp__|launch)|config used|read probe|Error|error" |
        sed -E 's/smsp__average_warps_issue_stalled_(.*)_per_issue_active.ratio/stall_\1/' | awk '{print $1, $NF}'
}
if [ "${NCU_SET:-all}" = quick ]; then # the two engine kernels the sweep leans on, for a build's before/after
    prof "lean M=1 28672x8192 tiles 1 G2 B4 S2" lean_kernel 1 28672 8192 --cfg 1 0 1 0 0 24
    prof "lean M=16 28672x8192 tiles 4 G1 B2 S2" lean_kernel 16 28672 8192 --cfg 4 0 1 0 0 12
    exit 0
fi
prof "bare read 28672x8192, 4/SM depth 8" read_probe 1 28672 8192 --read-probe 4 8
prof "lean M=1 28672x8192 tiles 1 G2 B4 S2" lean_kernel 1 28672 8192 --cfg 1 0 1 0 0 24
prof "lean M=1 28672x8192 tiles 1 G2 B3 S4" lean_kernel 1 28672 8192 --cfg 1 0 1 0 0 423
prof "lean M=16 28672x8192 tiles 4 G1 B2 S2" lean_kernel 16 28672 8192 --cfg 4 0 1 0 0 12
prof "lean M=16 8192x28672 tiles 1 G2 B2 S4" lean_kernel 16 8192 28672 --cfg 1 0 1 0 0 422
prof "lean M=1 4096x4096 tiles 1 G2 B3 S2" lean_kernel 1 4096 4096 --cfg 1 0 1 0 0 23
prof "bare read 4096x4096, 4/SM depth 8" read_probe 1 4096 4096 --read-probe 4 8
