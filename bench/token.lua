-- wrk script: POST /connect/token, client_credentials with client_secret_post.
-- Same RESULT line as the oidc-provider peer's post.lua, so the two can be
-- compared field by field. Credentials come from CLIENT_ID / CLIENT_SECRET.
local function urlencode(s)
  return (string.gsub(s, "[^%w%-%._~]", function(c)
    return string.format("%%%02X", string.byte(c))
  end))
end

local id = os.getenv("CLIENT_ID") or error("CLIENT_ID is not set")
local secret = os.getenv("CLIENT_SECRET") or error("CLIENT_SECRET is not set")

wrk.method = "POST"
wrk.path = "/connect/token"
wrk.body = "grant_type=client_credentials&scope=api1&client_id=" .. urlencode(id)
  .. "&client_secret=" .. urlencode(secret)
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"

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
