#!/usr/bin/env bash
# The original client's contract on a GPU server (issue 19): what the seed page sends, every field it reads,
# with real measurements. For the lead to run on the GPU machine with the carried binary:
#   bench/server/original_client_gpu.sh .devcarry/roofline
# Prints each answer's fields and exits non-zero when one the page reads is missing or not a number.
set -euo pipefail
bin=${1:-build/sm90/apps/roofline/roofline}
tmp=$(mktemp -d)
trap 'kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
"$bin" serve --original-client --port 0 --db "$tmp/runs.db" >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 600); do port=$(sed -n 's|^listening on http://127.0.0.1:||p' "$tmp/out"); [[ -n "$port" ]] && break; sleep 0.1; done
[[ -n "${port:-}" ]] || { cat "$tmp/err"; exit 1; }
base=http://127.0.0.1:$port
curl -s "$base/api/health" | python3 -c 'import json,sys; h=json.load(sys.stdin); print("backend", h["backend"], h["backend_reason"]); sys.exit(h["backend"]!="gpu")'
status=$(curl -s -o "$tmp/nvml" -w '%{http_code}' -H 'Origin: http://localhost:5173' "$base/api/nvml/status")
echo "nvml/status $status: $(cat "$tmp/nvml")"
python3 - "$tmp/nvml" "$status" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert sys.argv[2] == "200", s
for f in ["device_name", "gpu_clock_mhz", "power_draw_w", "power_limit_w", "temperature_c", "mem_used_mb",
          "mem_total_mb", "gpu_utilization_pct"]:
    assert f in s, f
assert s["device_name"], s
PY
for spec in "false FP16" "false FP8_E4M3" "false NVFP4" "false INT8" "false INT4" "true FP16"; do
    read -r all prec <<<"$spec"
    {
        curl -s -H 'Origin: http://localhost:5173' -H 'Content-Type: application/json' \
            -d "{\"M\":4096,\"N\":4096,\"K\":4096,\"precision\":\"$prec\"}" \
            "$base/api/analyze?hardware_key=h100&run_all_precisions=$all" > "$tmp/a.json"
        python3 - "$tmp/a.json" "$prec" "$all" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))
assert isinstance(a["hardware"], str), a.get("error", a)
def point(p, source):
    for f in ["ai", "tflops", "time_us"]:
        assert isinstance(p[f], (int, float)) and p[f] > 0, (f, p)
    assert p["source"] == source and p["shape"] == "4096x4096x4096", p
    if source == "simulated":
        assert p["bottleneck"] in ("memory", "compute"), p
    else:
        assert p["bandwidth_gb_s"] > 0, p
for p in a["simulated"]: point(p, "simulated")
for p in a["measured"]: point(p, "measured")
r = a["recommendation"]
for f in ["precision", "method", "reason", "predicted_speedup", "memory_bound", "memory_savings_pct"]:
    assert f in r, f
print(f'{sys.argv[2]:9s} all={sys.argv[3]:5s} hardware={a["hardware"]!r} measured=' +
      ",".join(f'{p["precision"]}:{p["tflops"]:.1f}TF' for p in a["measured"]) +
      f' not_measured={[p["precision"] + ":" + p["disposition"] for p in a["not_measured"]]}' +
      f' recommendation={r["precision"]} ({r["basis"]}, {r["predicted_speedup"]}x)')
PY
    }
done
echo "original client contract: OK on the GPU server"
