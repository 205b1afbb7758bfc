#!/usr/bin/env bash
# GPU check of the server (run on the GPU machine): start `roofline serve`, run the seed's 5-precision sweep at
# 4096^3 through the API (progress stream, then the plain form), and time it against the CLI's
# `roofline analyze --all-precisions` in the same session. Each side gets its own algorithm cache, cold first,
# then warm, so neither profits from the other's autotuning.
# Usage: bench/server/gpu_check.sh [carry-dir]   (carry-dir holds roofline and lib/ with what ldd misses)
set -uo pipefail
carry=${1:-build/server-gpu-carry}
out=${OUT:-/tmp/gpu_check}
mkdir -p "$out"
export LD_LIBRARY_PATH="$PWD/$carry/lib:${LD_LIBRARY_PATH:-}"
bin="$PWD/$carry/roofline"
body='{"M":4096,"N":4096,"K":4096,"precision":"FP16"}'
tmp=$(mktemp -d)

echo "== $(nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader)"
echo "== missing libraries: $(ldd "$bin" | grep 'not found' || echo none)"
"$bin" --version

elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

cli() { # $1: cache dir, $2: tag
    local t0 t1
    t0=$(date +%s.%N)
    XDG_CACHE_HOME="$1" timeout 300 "$bin" analyze --shape 4096x4096x4096 --all-precisions --format json \
        >"$out/cli_$2.json" 2>"$out/cli_$2.err"
    local rc=$?
    t1=$(date +%s.%N)
    echo "cli $2: rc=$rc wall $(elapsed "$t0" "$t1") s"
}

mkdir -p "$tmp/cache_cli" "$tmp/cache_api"
cli "$tmp/cache_cli" cold

XDG_CACHE_HOME="$tmp/cache_api" "$bin" serve --port 0 --db "$tmp/runs.db" >"$tmp/serve.out" 2>"$out/serve.log" &
pid=$!
for _ in $(seq 300); do grep -q "listening on" "$tmp/serve.out" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*:\([0-9]*\)$/\1/p' "$tmp/serve.out")
base="http://127.0.0.1:$port"
echo "== server on $base"
curl -s "$base/api/health" | tee "$out/health.json"; echo
curl -s -o "$out/telemetry.json" -w "telemetry: HTTP %{http_code}\n" "$base/api/telemetry"; cat "$out/telemetry.json"; echo
timeout 3 curl -s -N "$base/api/telemetry/stream?interval_ms=500" | head -c 600; echo

t0=$(date +%s.%N)
curl -s -N -X POST -H 'Content-Type: application/json' -d "$body" \
    "$base/api/analyze/stream?run_all_precisions=true" >"$out/api_cold.sse"
t1=$(date +%s.%N)
echo "api cold (stream): wall $(elapsed "$t0" "$t1") s; events: $(grep -c '^event:' "$out/api_cold.sse")"
grep '^event:' "$out/api_cold.sse" | tr '\n' ' '; echo

cli "$tmp/cache_cli" warm
t0=$(date +%s.%N)
curl -s -X POST -H 'Content-Type: application/json' -d "$body" \
    "$base/api/analyze?run_all_precisions=true" >"$out/api_warm.json"
t1=$(date +%s.%N)
echo "api warm: wall $(elapsed "$t0" "$t1") s"
curl -s "$base/api/runs" | head -c 400; echo
curl -s "$base/api/health" | head -c 300; echo
kill "$pid"; wait "$pid"

python3 - "$out" <<'PY'
import json, sys, re
out = sys.argv[1]
def api(path):
    if path.endswith(".sse"):
        done = None
        for block in open(path).read().split("\n\n"):
            if block.startswith("event: done"):
                done = json.loads(block.split("data: ", 1)[1])
        return done["measured"] if done else []
    return json.load(open(path))["measured"]
def cli(path):
    return [p for p in json.load(open(path))["points"] if p["source"] == "measured"]
rows = {"cli cold": cli(f"{out}/cli_cold.json"), "api cold": api(f"{out}/api_cold.sse"),
        "cli warm": cli(f"{out}/cli_warm.json"), "api warm": api(f"{out}/api_warm.json")}
print("precision   " + "".join(f"{k:>22}" for k in rows))
for i, p in enumerate(rows["cli cold"]):
    cells = []
    for k, pts in rows.items():
        q = pts[i] if i < len(pts) else None
        cells.append("-" if q is None else (f"{q['tflops']:.1f} TF/s {q['time_us']:.0f} us" if q["tflops"] else q["disposition"]))
    print(f"{p['precision']:<12}" + "".join(f"{c:>22}" for c in cells))
PY
rm -rf "$tmp"
