#!/usr/bin/env bash
# The "done when" figures of issue 18 for the HTTP layer (bench/server/README.md says what each means).
# Usage: bench/server/run.sh OLD_BINARY NEW_BINARY [out-dir]
#   OLD_BINARY: a roofline built from main before the Beast layer (cpp-httplib); NEW_BINARY: this branch's.
# Needs wrk (apt install wrk) and python3. Writes the raw output of every step to out-dir (default
# bench/server/results).
set -uo pipefail
old=$1
new=$2
out=${3:-$(dirname "$0")/results}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

start() { # binary name -> sets port, pid (the defaults of each binary: the old one has no --max-connections)
    "$1" serve --predict-only --port 0 --db "$tmp/$2.db" >"$tmp/$2.out" 2>"$tmp/$2.err" &
    pid=$!
    for _ in $(seq 100); do
        port=$(sed -n 's|^listening on http://127.0.0.1:||p' "$tmp/$2.out")
        [[ -n "$port" ]] && return 0
        sleep 0.1
    done
    echo "$2 did not start"; cat "$tmp/$2.err"; exit 1
}

{
    echo "# $(date -u +%FT%TZ) on $(hostname): $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "# other processes using more than 10% CPU at the start:"
    ps -eo pcpu,comm --sort=-pcpu | awk 'NR>1 && $1>10'
} > "$out/machine.txt"

# 1. Prediction throughput at 32 connections, old and new binary side by side (same machine, same minute),
#    alternating, ROUNDS times each (default 2); the order flips every round so neither always goes first.
#    SLOW=0 skips part 2.
rounds=${ROUNDS:-2}
for round in $(seq "$rounds"); do
    order="old new"; (( round % 2 == 0 )) && order="new old"
    for which in $order; do
        bin=$old; [[ $which == new ]] && bin=$new
        start "$bin" "$which-$round"
        load=$(cut -d' ' -f1-3 /proc/loadavg)
        # The server's CPU time (user + system, clock ticks) over the run: CPU per request does not depend on
        # how much of the machine the others' builds leave to it, so it compares the two where req/s is noisy.
        cpu0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
        wrk -t2 -c32 -d10s --latency -s "$here/analyze.lua" "http://127.0.0.1:$port/" > "$out/wrk_${which}_$round.txt" 2>&1
        cpu1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
        n=$(awk '/requests in/ {print $1}' "$out/wrk_${which}_$round.txt")
        cpu=$(python3 -c "t = ($cpu1 - $cpu0) / $(getconf CLK_TCK); print(f'server CPU {t:.2f} s, {t / max($n, 1) * 1e6:.0f} us per request')")
        echo "# load average before: $load, after: $(cut -d' ' -f1-3 /proc/loadavg); $cpu" >> "$out/wrk_${which}_$round.txt"
        kill "$pid"; wait "$pid" 2>/dev/null
        echo "$which round $round: $(grep Requests/sec "$out/wrk_${which}_$round.txt") (load $load; $cpu)"
    done
done | tee "$out/throughput.txt"
[[ ${SLOW:-1} == 0 ]] && exit 0

# 2. 1,000 slowloris + 10,000 idle keep-alive connections, a normal client's p99 (new binary; the old one is
#    run with 64 slowloris connections only, which already starve it, for comparison).
start "$new" slow-new
python3 "$here/slow_clients.py" "$port" --slow 1000 --idle 10000 --requests 1000 > "$out/slow_clients_new.txt" 2>&1
echo "new: exit $?" >> "$out/slow_clients_new.txt"
kill "$pid"; wait "$pid" 2>/dev/null
start "$old" slow-old
timeout 120 python3 "$here/slow_clients.py" "$port" --slow 64 --idle 0 --requests 20 > "$out/slow_clients_old_64.txt" 2>&1
echo "old: exit $?" >> "$out/slow_clients_old_64.txt"
kill "$pid"; wait "$pid" 2>/dev/null
cat "$out/slow_clients_new.txt" "$out/slow_clients_old_64.txt"
