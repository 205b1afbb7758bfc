#!/usr/bin/env bash
# One device call: GPU tests, a measured FP16/FP8 analysis with telemetry, the default sweep (cold and cached
# algorithm cache), and the same sweep through the API server, timed against the CLI.
# Prepare here (a build of preset sm90), then run through the device tool with carry [".devcarry"]:
#   bench/device/prepare_carry.sh && run(command="bash bench/device/run_on_device.sh", carry=[".devcarry"])
set -uo pipefail
C=.devcarry
export LD_LIBRARY_PATH="$PWD/$C/lib:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}"
B=$C/roofline
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
export XDG_CACHE_HOME=/tmp/rc-cache; rm -rf "$XDG_CACHE_HOME"
echo "== device"; nvidia-smi --query-gpu=name,driver_version,power.limit,clocks.max.sm --format=csv,noheader
ldd $B | grep "not found" && exit 1
if [ -z "${SKIP_TESTS:-}" ]; then
  echo "== GPU tests"; $C/cuda_gpu_tests 2>&1 | tee $OUT/gpu_tests.log | grep -E "^\[  (PASSED|FAILED|  OK|SKIPPED)|tests ran"
fi
echo "== FP16 and FP8 4096^3 with telemetry"
$B analyze --shape 4096x4096x4096 -p fp16,fp8 2>&1 | tee $OUT/analyze_telemetry.txt
echo "== energy: 1 s of telemetry (paced, then continuous)"
$B analyze --shape 8192x8192x8192 -p bf16,fp8 --telemetry-seconds 1 2>&1 | tee $OUT/analyze_energy_paced.txt
$B analyze --shape 8192x8192x8192 -p bf16 --telemetry-seconds 1 --pacing continuous 2>&1 | tee $OUT/analyze_energy_continuous.txt
echo "== default sweep 4096^3: empty cache, then cached"
t0=$(date +%s.%N); $B analyze --shape 4096x4096x4096 --all-precisions --format json > $OUT/sweep_cold.json; t1=$(date +%s.%N)
$B analyze --shape 4096x4096x4096 --all-precisions --format json > $OUT/sweep_cached.json; t2=$(date +%s.%N)
echo "== the sweep through the API"
web_root=$C/web-dist; [ -d "$web_root" ] || web_root=$(mktemp -d)
rm -f /tmp/rc.db*; $B serve --port 0 --db /tmp/rc.db --web-root "$web_root" > $OUT/serve.log 2>&1 &
spid=$!
for i in $(seq 1 50); do grep -q "listening on" $OUT/serve.log && break; sleep 0.2; done
url=$(grep -o "http://127.0.0.1:[0-9]*" $OUT/serve.log | head -1)
curl -s "$url/api/health" > $OUT/health.json; cat $OUT/health.json; echo
body='{"M":4096,"N":4096,"K":4096,"precision":"FP16"}'
t3=$(date +%s.%N)
curl -s -X POST "$url/api/analyze?run_all_precisions=true" -H 'Content-Type: application/json' -d "$body" > $OUT/api_sweep.json
t4=$(date +%s.%N)
curl -s -X POST "$url/api/analyze?run_all_precisions=true" -H 'Content-Type: application/json' -d "$body" > $OUT/api_sweep2.json
t5=$(date +%s.%N)
# What the web app sends for "Run all precisions" (App.tsx: POST /api/analyze/stream, the form's defaults), at
# two shapes; the runs land in the store (/tmp/rc.db), which the app's History panel reloads onto the plot.
for s in 4096 8192; do
  body_app="{\"M\":$s,\"N\":$s,\"K\":$s,\"precision\":\"FP16\",\"precisions\":[\"FP16\",\"FP8_E4M3\",\"NVFP4\",\"INT8\",\"INT4\"],\"a_precision\":null,\"b_precision\":null,\"out_precision\":null,\"beta\":0,\"iterations\":30,\"mode\":\"cold\",\"roof\":\"datasheet\"}"
  curl -sN -X POST "$url/api/analyze/stream?run_all_precisions=true" -H 'Content-Type: application/json' \
    -H 'Accept: text/event-stream' -d "$body_app" > $OUT/app_stream_$s.txt
  echo "app stream $s^3: $(grep -c '^event' $OUT/app_stream_$s.txt) events, $(grep -o '"disposition":"[a-z_]*"' $OUT/app_stream_$s.txt | sort | uniq -c | tr '\n' ' ')"
done
# The app itself (its built bundle in jsdom under the carried Node; no browser here): tick "Run all precisions",
# press "Analyze GEMM", at 4096^3 then 8192^3. Its DOM comes back as app_dom.html (web/e2e/render_dom.mjs draws it).
if [ -f $C/node.xz ] && [ -d $C/web-dist ]; then
  xz -dc $C/node.xz > /tmp/node && chmod +x /tmp/node
  echo "== the web app's own sweep (jsdom, node $(/tmp/node --version))"
  JSDOM_DIR=$C/jsdom timeout 120 /tmp/node bench/device/app_sweep.mjs "$url" $OUT 2>&1 | tee $OUT/app_sweep.log
  echo "app sweep exit code ${PIPESTATUS[0]}"
fi
curl -s "$url/api/runs" > $OUT/runs.json
kill $spid; wait $spid 2>/dev/null
python3 - "$OUT" "$t0" "$t1" "$t2" "$t3" "$t4" "$t5" <<'PY'
import json, sys
out = sys.argv[1]
t = list(map(float, sys.argv[2:]))
cli_cold, cli_cached, api1, api2 = t[1] - t[0], t[2] - t[1], t[4] - t[3], t[5] - t[4]
def rows(points):
    for p in points:
        t = p.get("measured") or {}
        tel = (t.get("telemetry") or {})
        print(f"  {p['precision']:10s} {p['disposition']:14s} tflops={p['tflops']} time_us={p['time_us']} "
              f"err={((t.get('error') or {}).get('relative_error'))} layout={t.get('layout')} "
              f"sm_mhz={tel.get('sm_clock_mean_mhz')} W={tel.get('power_mean_w')} J/gemm={tel.get('energy_per_gemm_j')}")
print("CLI sweep (cached):"); rows(json.load(open(f"{out}/sweep_cached.json"))["points"])
api = json.load(open(f"{out}/api_sweep2.json"))
print("API sweep (second request):"); rows(api["measured"])
print(f"wall: CLI sweep empty cache {cli_cold:.2f} s, cached {cli_cached:.2f} s (process start included); "
      f"API sweep first {api1:.2f} s, second {api2:.2f} s (worker start included in the first)")
PY
