-- wrk script: one write per request, each creating something new, so that every request
-- commits a change (and, where auditing is on, its record).
--   KIND=group   POST /api/company-groups {name}
--   KIND=client  POST /api/companies/clients {name, clientId, clientSecret, Company Admin}
--   KIND=group DELAY_MS=n  each connection waits n ms before each request (a paced load)
-- TOKEN is the bearer token. The RESULT line matches the other scripts'.
local token = os.getenv("TOKEN") or error("TOKEN is not set")
local kind = os.getenv("KIND") or "group"
local pause = tonumber(os.getenv("DELAY_MS") or "0")
local threads = {}
local counter = 0
-- A global, so that setup() can give each thread its own (thread:set sets globals).
prefix = "t"

function setup(thread)
  thread:set("prefix", string.format("t%d", #threads))
  table.insert(threads, thread)
end

function init(args)
  prefix = prefix .. "-" .. tostring(os.time())
end

if pause > 0 then
  function delay() return pause end
end

request = function()
  counter = counter + 1
  local name = string.format("%s-%d", prefix, counter)
  local headers = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
  if kind == "client" then
    local body = string.format(
      '{"name":"Bench %s","clientId":"b%s","clientSecret":"%s-0123456789abcdefghijklmnopqrstuvwxyz","statusId":1,"roleResourceIdList":["RoleCompAdmn"]}',
      name, name, name)
    return wrk.format("POST", "/api/companies/clients", headers, body)
  end
  return wrk.format("POST", "/api/company-groups", headers,
    string.format('{"name":"Group %s","companyResourceIdArray":[]}', name))
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
