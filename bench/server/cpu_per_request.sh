#!/bin/bash
# One 8 s wrk run (32 connections, analyze.lua) against BIN on PORT: req/s, the server's CPU time and CPU per
# request, thread count. bench/server/README.md (run 3) used it to compare I/O thread counts:
#   ROOFLINE_IO_THREADS=8 bench/server/cpu_per_request.sh build/cpu/apps/roofline/roofline 18406
BIN=$1; PORT=$2; rm -f /tmp/c$PORT.db*
$BIN serve --predict-only --port $PORT --db /tmp/c$PORT.db > /dev/null 2>&1 & P=$!
sleep 1
t0=$(awk '{print $14+$15}' /proc/$P/stat)
wrk -t2 -c32 -d8s -s "$(dirname "$0")/analyze.lua" http://127.0.0.1:$PORT/ > /tmp/c$PORT.wrk 2>&1
t1=$(awk '{print $14+$15}' /proc/$P/stat)
n=$(grep "requests in" /tmp/c$PORT.wrk | awk '{print $1}')
rps=$(grep Requests/sec /tmp/c$PORT.wrk | awk '{print $2}')
thr=$(ls /proc/$P/task | wc -l)
kill $P; wait $P 2>/dev/null
python3 -c "print('$BIN', 'req', $n, 'rps', $rps, 'cpu_s', ($t1-$t0)/100, 'us/req', round(($t1-$t0)/100/$n*1e6,1), 'threads', $thr)"
