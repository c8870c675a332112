#!/usr/bin/env bash
# Search latency with realistic volumes: COMPANIES companies under one reseller and CLIENTS REST
# API clients in one company, seeded through the public API (bench/seed.py), then wrk on a
# 20-row filtered page of POST /api/companies/search and POST /api/companies/clients/search.
# Runs on SQLite and on a throwaway PostgreSQL (scripts/pg-throwaway) in the same run.
#
# Env knobs: BACKENDS [sqlite postgres]  COMPANIES [10000]  CLIENTS [1000]
#            DURATION [10s]  CONNS_LIST ["1 4"] (connections; one wrk thread per connection, at most 2)
#            BUILD [1]  BIN [target/release/latchkey] (another build, e.g. an older commit, to compare)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BACKENDS="${BACKENDS:-sqlite postgres}"
DURATION="${DURATION:-10s}"
CONNS_LIST="${CONNS_LIST:-1 4}"
BIN="${BIN:-$ROOT/target/release/latchkey}"
HOST=127.0.0.1
export COMPANIES="${COMPANIES:-10000}" CLIENTS="${CLIENTS:-1000}"

. bench/lib.sh
[ "${BUILD:-1}" = 0 ] || cargo build --release --locked -p latchkey >&2
bench_init search

COMPANY_BODY='{"pageNumber":1,"pageSize":20,"orderBy":"Name","ascending":true,"filter":{"condition":"AND","filterGroups":[{"condition":"AND","filterItems":[{"fieldName":"Name","operator":"Contains","value":"12"},{"fieldName":"NumberOfUsers","operator":">=","value":"100"}]}]}}'
CLIENT_BODY='{"pageNumber":1,"pageSize":20,"orderBy":"CreateTime","ascending":false,"filter":{"condition":"AND","filterGroups":[{"condition":"AND","filterItems":[{"fieldName":"StatusId","operator":"=","value":"1"},{"fieldName":"Name","operator":"StartsWith","value":"Client"}]}]}}'

for backend in $BACKENDS; do
  bench_backend "$backend" latchkey_bench
  start_server

  echo "# $backend: seeding $COMPANIES companies and $CLIENTS clients through the API" >&2
  seeded="$(python3 bench/seed.py "http://$HOST:$port" "$data/initial-credentials.json")"
  token="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["token"])' "$seeded")"
  company="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["clientsCompany"])' "$seeded")"
  echo "# $backend: seeded: $seeded" | sed 's/"token": "[^"]*"/"token": "…"/' >&2

  if [ -n "$url" ]; then
    # What autovacuum does shortly after a bulk load; without it the planner has no statistics
    # and every scan wades through the dead row versions the seeding's updates left.
    psql -q "$url" -c "VACUUM ANALYZE" >/dev/null
  else
    # The server refreshes SQLite's statistics at start and every minute; a restart applies
    # them to the seeded tables now instead of within the minute.
    stop_server
    start_server
  fi

  # One request by hand: the page must have 20 rows of a filtered, non-trivial result.
  rows="$(curl -fsS "http://$HOST:$port/api/companies/search" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d "$COMPANY_BODY" \
    | python3 -c 'import json,sys; d=json.load(sys.stdin)["data"]; print(len(d["results"]), d["totalNumberOfRecords"])')"
  echo "# $backend: companies/search page rows/total = $rows" >&2
  crows="$(curl -fsS "http://$HOST:$port/api/companies/clients/search" -H "Authorization: Bearer $token" -H "X-KEEPNET-Company-Id: $company" -H 'Content-Type: application/json' -d "$CLIENT_BODY" \
    | python3 -c 'import json,sys; d=json.load(sys.stdin)["data"]; print(len(d["results"]), d["totalNumberOfRecords"])')"
  echo "# $backend: clients/search page rows/total = $crows" >&2

  for target in companies clients; do
    if [ "$target" = companies ]; then path=/api/companies/search; body="$COMPANY_BODY"; cid=""; else path=/api/companies/clients/search; body="$CLIENT_BODY"; cid="$company"; fi
    for conns in $CONNS_LIST; do
      threads=$((conns < 2 ? conns : 2))
      ACCESS_TOKEN="$token" SEARCH_PATH="$path" SEARCH_BODY="$body" COMPANY_ID="$cid" \
        wrk -t"$threads" -c"$conns" -d2s -s bench/search.lua "http://$HOST:$port" >/dev/null
      result="$(ACCESS_TOKEN="$token" SEARCH_PATH="$path" SEARCH_BODY="$body" COMPANY_ID="$cid" \
        wrk -t"$threads" -c"$conns" -d"$DURATION" -s bench/search.lua "http://$HOST:$port" | grep '^RESULT')"
      hwm="$(awk '/^VmHWM:/{print $2}' "/proc/$SERVER_PID/status")"
      echo "$backend-$target-search $result peak_rss_mb=$((hwm / 1024)) companies=$COMPANIES clients=$CLIENTS threads=$threads conns=$conns"
    done
  done
  stop_server
  bench_backend_done
done
