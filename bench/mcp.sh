#!/usr/bin/env bash
# An MCP tool call against the same REST call, same operation, same run: wrk on the REST
# request, then on the JSON-RPC tools/call of its tool at /mcp (bench/mcp.lua), alternately,
# RUNS times, on a release build. Two operations:
#   companies-my:  GET /api/companies/my                  <-> get_companies_my {}
#   users-search:  POST /api/target-users/search, a 20-row filtered page in a customer named by
#                  X-KEEPNET-Company-Id, among TARGET_USERS users
#                                                         <-> post_target_users_search {companyId, body}
# Prints one line per wrk run (label, mode, RESULT fields), then the medians and the ratios of
# MCP to REST.
#
# Env knobs: BACKEND [sqlite|postgres]  TARGET_USERS [1000]  DURATION [10s]  CONNS_LIST ["1 4"]
#            (connections; one wrk thread per connection, at most 2)  RUNS [3]  BUILD [1]
#            BIN [target/release/latchkey]. On a machine shared with other work,
#            `nice -n -10 bench/mcp.sh` keeps that work from setting the tail.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BACKEND="${BACKEND:-sqlite}"
TARGET_USERS="${TARGET_USERS:-1000}"
DURATION="${DURATION:-10s}"
CONNS_LIST="${CONNS_LIST:-1 4}"
RUNS="${RUNS:-3}"
BIN="${BIN:-$ROOT/target/release/latchkey}"
HOST=127.0.0.1
# shellcheck source=bench/lib.sh
. bench/lib.sh

[ "${BUILD:-1}" = 0 ] || cargo build --release --locked -p latchkey >&2
bench_init mcp
bench_backend "$BACKEND" latchkey_bench
start_server

# One customer company (bench/seed.py), then its target users, a fifth of them in Sales.
seeded="$(COMPANIES=1 CLIENTS=0 python3 bench/seed.py "http://$HOST:$port" "$data/initial-credentials.json")"
token="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["token"])' "$seeded")"
customer="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["clientsCompany"])' "$seeded")"
python3 - "http://$HOST:$port" "$token" "$customer" "$TARGET_USERS" <<'PY'
import http.client, json, sys, urllib.parse
base, token, customer, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
url = urllib.parse.urlsplit(base)
conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
           "X-KEEPNET-Company-Id": customer}
for i in range(count):
    body = {"email": f"user{i:05d}@customer.example", "firstName": f"First{i}",
            "lastName": f"Last{i}", "department": ["Sales", "Finance", "IT", "Legal", "Ops"][i % 5]}
    conn.request("POST", "/api/target-users", json.dumps(body), headers)
    response = conn.getresponse()
    answer = response.read()
    if response.status != 200:
        raise SystemExit(f"target user {i}: {response.status} {answer[:300]!r}")
PY
echo "# $BACKEND: customer $customer with $TARGET_USERS target users; load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2

SEARCH_BODY='{"pageNumber":1,"pageSize":20,"orderBy":"Email","ascending":true,"filter":{"condition":"AND","filterGroups":[{"condition":"AND","filterItems":[{"fieldName":"Department","operator":"=","value":"Sales"}]}]}}'

# label | REST method | REST path | REST body | company header | tool | tool arguments
OPERATIONS=(
  "companies-my|GET|/api/companies/my|||get_companies_my|{}"
  "users-search|POST|/api/target-users/search|$SEARCH_BODY|$customer|post_target_users_search|{\"companyId\":\"$customer\",\"body\":$SEARCH_BODY}"
)

META='"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"bench","version":"0.1.0"},"io.modelcontextprotocol/clientCapabilities":{}}'
# The REST answer's data and the tool's structured content must be the same, or the
# comparison is of two different things.
for op in "${OPERATIONS[@]}"; do
  IFS='|' read -r label method path body company tool arguments <<<"$op"
  rest="$(curl -fsS -X "$method" "http://$HOST:$port$path" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' ${company:+-H "X-KEEPNET-Company-Id: $company"} ${body:+-d "$body"})"
  mcp="$(curl -fsS "http://$HOST:$port/mcp" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -H 'Accept: application/json, text/event-stream' -H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: tools/call' -H "Mcp-Name: $tool" \
    -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"$tool\",\"arguments\":$arguments,$META}}")"
  python3 - "$label" "$rest" "$mcp" <<'PY' || die "the tool and the REST call answer differently"
import json, sys
label, rest, mcp = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
assert rest["isSuccess"], rest
assert mcp["result"]["structuredContent"] == rest["data"], (rest, mcp)
rows = rest["data"]["results"] if isinstance(rest["data"], dict) else rest["data"]
print(f"# {label}: the tool answers the REST call's data ({len(rows)} rows)", file=sys.stderr)
PY
done

results="$TMP/results"
for conns in $CONNS_LIST; do
  threads=$((conns < 2 ? conns : 2))
  for run in $(seq 1 "$RUNS"); do
    for op in "${OPERATIONS[@]}"; do
      IFS='|' read -r label method path body company tool arguments <<<"$op"
      for mode in rest mcp; do
        env_args=(ACCESS_TOKEN="$token" MODE="$mode" REST_METHOD="$method" REST_PATH="$path"
          REST_BODY="$body" COMPANY_ID="$company" TOOL="$tool" ARGUMENTS="$arguments")
        env "${env_args[@]}" wrk -t"$threads" -c"$conns" -d2s -s bench/mcp.lua "http://$HOST:$port" >/dev/null
        line="$(env "${env_args[@]}" wrk -t"$threads" -c"$conns" -d"$DURATION" -s bench/mcp.lua "http://$HOST:$port" | grep '^RESULT')"
        echo "$BACKEND $label $mode conns=$conns run=$run $line" | tee -a "$results"
      done
    done
  done
done
hwm="$(awk '/^VmHWM:/{print $2}' "/proc/$SERVER_PID/status")"
echo "# peak RSS $((hwm / 1024)) MB" >&2

python3 - "$results" <<'PY'
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    backend, label, mode, conns = line.split()[:4]
    fields = dict(re.findall(r"(\w+)=([\d.]+)", line))
    if int(fields["failed"]) or int(fields["non2xx"]):
        raise SystemExit(f"failed requests: {line}")
    rows.setdefault((backend, label, conns), {}).setdefault(mode, []).append(fields)
print("\nmedians:")
for (backend, label, conns), modes in rows.items():
    med = {m: {k: statistics.median(float(r[k]) for r in rs) for k in ("rps", "p50_ms", "p99_ms")}
           for m, rs in modes.items()}
    rest, mcp = med["rest"], med["mcp"]
    print(f"{backend} {label} {conns}: REST {rest['rps']:.0f} rps p50 {rest['p50_ms']:.3f} ms "
          f"p99 {rest['p99_ms']:.3f} ms | MCP {mcp['rps']:.0f} rps p50 {mcp['p50_ms']:.3f} ms "
          f"p99 {mcp['p99_ms']:.3f} ms | MCP/REST p99 {mcp['p99_ms'] / rest['p99_ms']:.2f}x "
          f"p50 {mcp['p50_ms'] / rest['p50_ms']:.2f}x")
PY
