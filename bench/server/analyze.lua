-- wrk script: the seed's request, prediction-only (POST /api/analyze, 4096^3 FP16 on b10).
wrk.method = "POST"
wrk.path = "/api/analyze?hardware_key=b10&run_all_precisions=false"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"M":4096,"N":4096,"K":4096,"precision":"FP16"}'

done = function(summary, latency, requests)
  local statuses = 0
  io.write(string.format("non-2xx/3xx: %d\n", summary.errors.status))
end
