-- wrk reporter: one machine-readable line with requests/s and p50/p95/p99 latency (ms),
-- and the count of non-2xx/3xx answers and of socket errors. wrk's own `--latency`
-- table has no p95.
done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local errors = summary.errors
  io.write(string.format("RESULT %.0f %.3f %.3f %.3f %d %d\n",
    summary.requests / seconds,
    latency:percentile(50) / 1000,
    latency:percentile(95) / 1000,
    latency:percentile(99) / 1000,
    errors.status,
    errors.connect + errors.read + errors.write + errors.timeout))
end
