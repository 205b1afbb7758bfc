#!/usr/bin/env bash
# The workloads' GPU table (issue 13): Llama-3.1-8B decode (batch 1 and 16) and prefill (2048 tokens) at BF16 and
# FP8, predicted beside measured, and a 20-case batch through the API with its wall time.
# Prepare here (a build of preset sm90 carried as .devcarry, as bench/device/prepare_carry.sh makes it), then:
#   bench/device/prepare_carry.sh && run(command="bash bench/workloads/run_on_device.sh", carry=[".devcarry"])
# Raw output goes to $OUT (commit it under bench/workloads/results/).
set -uo pipefail
C=.devcarry
export LD_LIBRARY_PATH="$PWD/$C/lib:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}"
B=${ROOFLINE_BIN:-$C/roofline}
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
export XDG_CACHE_HOME=/tmp/wl-cache
echo "== device"; nvidia-smi --query-gpu=name,driver_version,power.limit,clocks.max.sm --format=csv,noheader
$B doctor --require-gpu --port 0 --db /tmp/wl-doctor.db 2>&1 | tee $OUT/doctor.txt
for step in "decode 1" "decode 16" "prefill 1"; do
  set -- $step
  name=llama8b_${1}_b${2}
  echo "== Llama-3.1-8B $1 batch $2, 2048 tokens, BF16 and FP8"
  t0=$(date +%s.%N)
  $B model llama-3.1-8b --phase $1 --batch $2 --tokens 2048 --precision BF16,FP8 --hardware h200 --format json \
    > $OUT/$name.json 2> $OUT/$name.err
  t1=$(date +%s.%N)
  $B model llama-3.1-8b --phase $1 --batch $2 --tokens 2048 --precision BF16,FP8 --hardware h200 2>&1 | tee $OUT/$name.txt
  echo "wall (json run): $(echo "$t1 - $t0" | bc) s" | tee -a $OUT/$name.txt
done
echo "== 20-case batch through the API"
rm -f /tmp/wl.db*; $B serve --port 0 --db /tmp/wl.db > $OUT/serve.log 2>&1 &
spid=$!
for i in $(seq 1 100); do grep -q "listening on" $OUT/serve.log && break; sleep 0.2; done
url=$(grep -o "http://127.0.0.1:[0-9]*" $OUT/serve.log | head -1)
curl -s "$url/api/health" > $OUT/health.json
# Llama-3.1-8B's weight GEMMs at decode batch 1, 16 and prefill 2048 (q/o, k/v, gate/up, down, lm_head at 16),
# at BF16 and FP8: 10 shapes x 2 precisions.
cases=""
for shape in 1x4096x4096 1x1024x4096 1x14336x4096 1x4096x14336 16x4096x4096 16x14336x4096 16x4096x14336 \
             2048x4096x4096 2048x14336x4096 16x128256x4096; do
  for p in BF16 FP8; do cases="$cases{\"shape\":\"$shape\",\"precision\":\"$p\"},"; done
done
body="{\"cases\":[${cases%,}]}"
t0=$(date +%s.%N)
curl -s -X POST "$url/api/batch" -H 'Content-Type: application/json' -d "$body" > $OUT/batch20.json
t1=$(date +%s.%N)
echo "batch of 20 cases through POST /api/batch: $(echo "$t1 - $t0" | bc) s wall" | tee $OUT/batch20_wall.txt
curl -s -X POST "$url/api/batch/stream" -H 'Content-Type: application/json' -d "$body" > $OUT/batch20_stream.txt
python3 - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
b = json.load(open(f"{out}/batch20.json"))
print(f"run {b['run_id']}, backend {b['backend']}, {len(b['measured'])} measured, {len(b['errors'])} errors")
for p, m in zip(b["predicted"], b["measured"] or [None] * len(b["predicted"])):
    mt = f"{m['time_s'] * 1e6:9.2f}" if m and m.get("time_s") else "        -"
    print(f"{p['label']:40s} predicted {p['time_s'] * 1e6:9.2f} us  measured {mt} us  {m['disposition'] if m else ''}")
for name in ["llama8b_decode_b1", "llama8b_decode_b16", "llama8b_prefill_b1"]:
    d = json.load(open(f"{out}/{name}.json"))
    for e in d["precisions"]:
        t = e["totals"]
        meas = t["forward"]["measured_s"]
        print(f"{name:20s} {e['scheme']['name']:5s} forward predicted {t['forward']['predicted_s'] * 1e3:8.3f} ms"
              f"  measured {meas * 1e3 if meas else float('nan'):8.3f} ms (weight GEMMs measured"
              f" {t['weight_gemms']['measured_s'] * 1e3 if t['weight_gemms']['measured_s'] else float('nan'):8.3f}"
              f" vs predicted {t['weight_gemms']['predicted_s'] * 1e3:8.3f} ms)  dominant {e['dominant']['name']}")
PY
kill $spid; wait $spid 2>/dev/null
