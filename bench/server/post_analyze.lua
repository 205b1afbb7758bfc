-- wrk script: the seed's analyze request, as the web app sends it, on keep-alive connections.
-- Usage: wrk -t2 -c32 -d60s --latency -s post_analyze.lua 'http://127.0.0.1:PORT/api/analyze?hardware_key=b10'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = os.getenv("ROOFLINE_BENCH_BODY") or '{"M":4096,"N":4096,"K":4096,"precision":"FP16"}'

done = function(summary, latency, requests)
  io.write(string.format("summary: requests=%d duration_s=%.2f req_per_s=%.0f errors_status=%d errors_other=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6), summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  io.write(string.format("latency_ms: p50=%.3f p90=%.3f p99=%.3f p99.9=%.3f max=%.3f\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, latency.max / 1000))
end
