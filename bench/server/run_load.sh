#!/usr/bin/env bash
# Load benchmark of prediction-only analyses: POST /api/analyze (the seed's request) on keep-alive connections
# with wrk, every run stored in the database as in normal use. Prints throughput, latency percentiles, the
# server's RSS after warm-up and after the run (sampled every 5 s in between), and what was stored.
#
# Usage: bench/server/run_load.sh [path/to/roofline]
#   env: DURATION=60 (s)  CONNECTIONS=8  THREADS=2 (wrk)  WARMUP=5 (s)  BODY='{"M":...}'  QUERY='hardware_key=b10'
# Needs wrk (Debian: apt install wrk) and curl.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$here/../../build/default/apps/roofline/roofline}
duration=${DURATION:-60}
connections=${CONNECTIONS:-8}
threads=${THREADS:-2}
warmup=${WARMUP:-5}
query=${QUERY:-hardware_key=b10}
export ROOFLINE_BENCH_BODY=${BODY:-'{"M":4096,"N":4096,"K":4096,"precision":"FP16"}'}

command -v wrk >/dev/null || { echo "wrk not found: apt install wrk" >&2; exit 2; }
[[ -x "$bin" ]] || { echo "no roofline binary at $bin (build first, or pass its path)" >&2; exit 2; }

tmp=$(mktemp -d)
"$bin" serve --port 0 --predict-only --db "$tmp/runs.db" >"$tmp/out" 2>"$tmp/err" &
pid=$!
sampler=""
cleanup() {
    [[ -n "$sampler" ]] && kill "$sampler" 2>/dev/null || true
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
for _ in $(seq 100); do grep -q "listening on" "$tmp/out" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*listening on http:\/\/[^:]*:\([0-9]*\).*/\1/p' "$tmp/out")
[[ -n "$port" ]] || { echo "server did not start:" >&2; cat "$tmp/err" >&2; exit 1; }
url="http://127.0.0.1:$port/api/analyze?$query"
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }

echo "== roofline server load: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
echo "== $($bin --version), wrk -t$threads -c$connections -d${duration}s, body $ROOFLINE_BENCH_BODY"
wrk -t"$threads" -c"$connections" -d"${warmup}s" -s "$here/post_analyze.lua" "$url" >/dev/null
rss_before=$(rss_kib)
(while sleep 5; do echo "$(rss_kib)"; done) >"$tmp/rss" &
sampler=$!
wrk -t"$threads" -c"$connections" -d"${duration}s" --latency -s "$here/post_analyze.lua" "$url" | tee "$tmp/wrk"
kill "$sampler" 2>/dev/null || true
sampler=""
rss_after=$(rss_kib)
stored=$(curl -s "http://127.0.0.1:$port/api/runs?limit=1" | sed -n 's/.*"total":\([0-9]*\).*/\1/p')
echo "== RSS after warm-up ${rss_before} KiB, after ${duration} s ${rss_after} KiB; samples every 5 s (KiB): $(tr '\n' ' ' <"$tmp/rss")"
echo "== runs stored: $stored; database $(du -b "$tmp/runs.db" | cut -f1) bytes, WAL $(du -b "$tmp/runs.db-wal" 2>/dev/null | cut -f1) bytes"
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
