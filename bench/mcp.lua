-- wrk script: one API operation, called either over REST or as an MCP tool, for bench/mcp.sh.
--   MODE=rest: REST_METHOD, REST_PATH, REST_BODY (JSON, optional), COMPANY_ID (optional,
--              sent as X-KEEPNET-Company-Id).
--   MODE=mcp:  POST /mcp, a JSON-RPC tools/call of TOOL with ARGUMENTS (a JSON object),
--              with the headers and per-request _meta the official Python SDK sends
--              (protocol 2026-07-28, no session).
-- Both modes read every answer and count those that are not a success (HTTP 200 with
-- "isSuccess":true, or "isError":false), so the load generator does the same work for each.
-- Prints the RESULT line of token.lua plus failed=N.
local token = os.getenv("ACCESS_TOKEN") or error("ACCESS_TOKEN is not set")
local mode = os.getenv("MODE") or error("MODE is not set")
local success

wrk.headers["Authorization"] = "Bearer " .. token
wrk.headers["Content-Type"] = "application/json"
if mode == "rest" then
  wrk.method = os.getenv("REST_METHOD") or error("REST_METHOD is not set")
  wrk.path = os.getenv("REST_PATH") or error("REST_PATH is not set")
  local body = os.getenv("REST_BODY")
  if body and body ~= "" then wrk.body = body end
  local company = os.getenv("COMPANY_ID")
  if company and company ~= "" then wrk.headers["X-KEEPNET-Company-Id"] = company end
  success = '"isSuccess":true'
elseif mode == "mcp" then
  local tool = os.getenv("TOOL") or error("TOOL is not set")
  local arguments = os.getenv("ARGUMENTS") or "{}"
  wrk.method = "POST"
  wrk.path = "/mcp"
  wrk.headers["Accept"] = "application/json, text/event-stream"
  wrk.headers["MCP-Protocol-Version"] = "2026-07-28"
  wrk.headers["Mcp-Method"] = "tools/call"
  wrk.headers["Mcp-Name"] = tool
  wrk.body = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"' .. tool
    .. '","arguments":' .. arguments .. ',"_meta":{'
    .. '"io.modelcontextprotocol/protocolVersion":"2026-07-28",'
    .. '"io.modelcontextprotocol/clientInfo":{"name":"bench","version":"0.1.0"},'
    .. '"io.modelcontextprotocol/clientCapabilities":{}}}}'
  success = '"isError":false'
else
  error("MODE must be rest or mcp")
end

local threads = {}
setup = function(thread) table.insert(threads, thread) end
failed = 0
response = function(status, headers, body)
  if status ~= 200 or not string.find(body, success, 1, true) then failed = failed + 1 end
end

done = function(summary, latency, requests)
  local failures = 0
  for _, thread in ipairs(threads) do failures = failures + thread:get("failed") end
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_s=%.2f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f non2xx=%d sock_connect=%d sock_read=%d sock_write=%d sock_timeout=%d failed=%d\n",
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    e.status, e.connect, e.read, e.write, e.timeout, failures))
end
