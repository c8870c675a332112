-- wrk script: POST a search body to a Latchkey /api search endpoint.
-- Env: SEARCH_PATH, SEARCH_BODY (JSON), ACCESS_TOKEN, COMPANY_ID (optional,
-- sent as X-KEEPNET-Company-Id). Prints the same RESULT line as token.lua.
local token = os.getenv("ACCESS_TOKEN") or error("ACCESS_TOKEN is not set")

wrk.method = "POST"
wrk.path = os.getenv("SEARCH_PATH") or error("SEARCH_PATH is not set")
wrk.body = os.getenv("SEARCH_BODY") or error("SEARCH_BODY is not set")
wrk.headers["Authorization"] = "Bearer " .. token
wrk.headers["Content-Type"] = "application/json"
local company = os.getenv("COMPANY_ID")
if company and company ~= "" then
  wrk.headers["X-KEEPNET-Company-Id"] = company
end

done = function(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_s=%.2f rps=%.1f p50_ms=%.3f p90_ms=%.3f p95_ms=%.3f p99_ms=%.3f max_ms=%.3f non2xx=%d sock_connect=%d sock_read=%d sock_write=%d sock_timeout=%d\n",
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.status, e.connect, e.read, e.write, e.timeout))
end
