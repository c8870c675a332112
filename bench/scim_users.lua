-- wrk script: SCIM provisioning as an identity provider does it.
--   MODE=create  POST /scim/v2/Users, each a new user (an Entra ID-shaped body)
--   MODE=probe   GET /scim/v2/Users?filter=userName eq "user<k>@bench.example", k random in
--                1..USERS (the lookup Entra ID and Okta make before every create)
-- TOKEN is the integration's bearer token. The RESULT line matches the other scripts'.
local token = os.getenv("TOKEN") or error("TOKEN is not set")
local mode = os.getenv("MODE") or "create"
local users = tonumber(os.getenv("USERS") or "1")
local threads = {}
local counter = 0
prefix = "t"

function setup(thread)
  thread:set("prefix", string.format("t%d", #threads))
  table.insert(threads, thread)
end

function init(args)
  prefix = prefix .. "-" .. tostring(os.time())
  math.randomseed(os.time() + #prefix)
end

local headers = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/scim+json" }

request = function()
  counter = counter + 1
  if mode == "probe" then
    local k = math.random(1, users)
    local filter = string.format('userName%%20eq%%20%%22user%d%%40bench.example%%22', k)
    return wrk.format("GET", "/scim/v2/Users?filter=" .. filter, headers)
  end
  local name = string.format("%s-%d", prefix, counter)
  local body = string.format([[{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"externalId":"%s","userName":"%s@idp.example","active":true,"displayName":"User %s","emails":[{"primary":true,"type":"work","value":"%s@idp.example"}],"name":{"formatted":"User %s","familyName":"%s","givenName":"User"},"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Engineering"}}]],
    name, name, name, name, name, name)
  return wrk.format("POST", "/scim/v2/Users", headers, body)
end

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
