-- wrk script: GET /api/companies/my with a bearer access token (from
-- ACCESS_TOKEN). Measures the cost of token validation plus a small read on
-- the REST API. Prints the same RESULT line as token.lua.
local token = os.getenv("ACCESS_TOKEN") or error("ACCESS_TOKEN is not set")

wrk.method = "GET"
wrk.path = "/api/companies/my"
wrk.headers["Authorization"] = "Bearer " .. token
wrk.headers["Accept"] = "application/json"

done = function(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_s=%.2f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f non2xx=%d sock_connect=%d sock_read=%d sock_write=%d sock_timeout=%d\n",
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    e.status, e.connect, e.read, e.write, e.timeout))
end
