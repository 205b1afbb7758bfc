#!/usr/bin/env bash
# The engine's own W4A16 decode table: W4A16 and FP16 through `roofline analyze` (choose_config as the engine
# runs it) at M = 1..16 on the five decode shapes. Usage: w4a16_engine_table.sh ROOFLINE DIR (writes
# DIR/w4a16_engine.csv and one JSON answer per point; prints the table).
set -uo pipefail
B=${1:?roofline binary}
L=${2:?output directory}
echo "M,N,K,fp16_us,w4a16_us,x_fp16,w4a16_pct_of_4.8TB/s,w4a16_status,w4a16_kernel" >"$L/w4a16_engine.csv"
for nk in 4096x4096 14336x4096 4096x14336 28672x8192 8192x28672; do
    for m in 1 2 4 8 16; do
        timeout 60 "$B" analyze --shape "${m}x$nk" -p fp16,w4a16 --format json >"$L/w4a16_${m}x$nk.json" 2>&1
        python3 - "$L/w4a16_${m}x$nk.json" "$m" "$nk" >>"$L/w4a16_engine.csv" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
pts = {p["precision"]: p for p in d["points"] if p.get("source") == "measured"}  # the CLI's JSON: "points"
f, w = pts.get("FP16", {}), pts.get("W4A16", {})
fu, wu = f.get("time_us") or 0, w.get("time_us") or 0
n, k = sys.argv[3].split("x")
m, n, k = int(sys.argv[2]), int(n), int(k)
bytes_ = n * k / 2 + 2 * n * (k // 128) + 2 * m * k + 2 * m * n
pct = 100 * bytes_ / (wu * 1e-6) / 4.8e12 if wu else 0
kern = ((w.get("measured") or {}).get("algorithm") or "").replace(",", ";")
print(f"{m},{n},{k},{fu:.2f},{wu:.2f},{(fu / wu if wu else 0):.2f},{pct:.1f},{w.get('disposition')},{kern}")
PY
    done
done
cut -c1-120 "$L/w4a16_engine.csv" # (no `column` on the GPU machine)
