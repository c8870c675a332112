#!/usr/bin/env bash
# SCIM provisioning as identity providers drive it, on SQLite and on a throwaway PostgreSQL
# (scripts/pg-throwaway), in one run, against a release server and one integration's token:
#   1. CREATES users through POST /scim/v2/Users on one connection, one after the other, as
#      Entra ID provisions (bench/scim_create.py: wrk cannot stop after a number of requests);
#   2. the same on eight connections for DURATION: creates per second;
#   3. USERS target users written straight into the database by SQL (bench/people_seed.py,
#      then one INSERT ... SELECT linking them all to the integration as SCIM users
#      user<n>@bench.example), then GET /Users?filter=userName eq "user<k>@bench.example" for
#      random k on one connection (MODE=probe): the lookup every create and update begins with.
# Every created user goes through the whole write path: validation, the target user, its
# audit record, the SCIM link.
#
# Env knobs: BACKENDS [sqlite postgres]  USERS [1000000]  BATCH [100000]  CREATES [10000]
#            DURATION [10s]  BUILD [1]  BIN [target/release/latchkey]  KEEP [0]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BACKENDS="${BACKENDS:-sqlite postgres}"
USERS="${USERS:-1000000}"
BATCH="${BATCH:-100000}"
CREATES="${CREATES:-10000}"
DURATION="${DURATION:-10s}"
BIN="${BIN:-$ROOT/target/release/latchkey}"
HOST=127.0.0.1

. bench/lib.sh
[ "${BUILD:-1}" = 0 ] || cargo build --release --locked -p latchkey >&2
command -v sqlite3 >/dev/null || apt-get install -y sqlite3 >&2
bench_init scim

now() { date +%s.%N; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

for backend in $BACKENDS; do
  bench_backend "$backend" latchkey_scim
  sql() { if [ -n "$url" ]; then psql -qAt -v ON_ERROR_STOP=1 "$url"; else sqlite3 -bail "$data/latchkey.db"; fi; }
  admin() { "$BIN" admin --data-dir "$data" ${url:+--database-url "$url"} "$@"; }

  bench_customer "SCIM Bench"
  start_server
  token="$(curl -fsS "http://$HOST:$port/connect/token" -d grant_type=client_credentials \
    -d client_id="$client_id" -d client_secret="$client_secret" | json 'd["access_token"]')"
  scim_token="$(curl -fsS "http://$HOST:$port/api/scim" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -d '{"name":"Entra ID"}' | json 'd["data"]["token"]')"

  result="$(python3 bench/scim_create.py "$HOST" "$port" "$scim_token" "$CREATES" | grep '^RESULT')"
  echo "$backend-create-1conn $result conns=1"
  result="$(TOKEN="$scim_token" MODE=create \
    wrk -t2 -c8 -d"$DURATION" -s bench/scim_users.lua "http://$HOST:$port" | grep '^RESULT')"
  echo "$backend-create-8conns $result conns=8"
  made="$(curl -fsS "http://$HOST:$port/scim/v2/Users?count=1" -H "Authorization: Bearer $scim_token" | json 'd["totalResults"]')"
  echo "$backend-created users=$made"
  stop_server

  key="$(echo "SELECT id FROM companies WHERE resource_id = '$company';" | sql)"
  integration="$(echo "SELECT id FROM scim_integrations WHERE company_id = $key;" | sql)"
  base=$(( $(date +%s) * 1000 - USERS * 30000 ))
  echo "# $backend: seeding $USERS target users in batches of $BATCH (SQL, not the API)" >&2
  t0="$(now)"
  for ((first = 1; first <= USERS; first += BATCH)); do
    last=$(( first + BATCH - 1 < USERS ? first + BATCH - 1 : USERS ))
    python3 bench/people_seed.py "$key" "$first" "$last" "$base" | sql >/dev/null
  done
  echo "INSERT INTO scim_users (user_id, company_id, integration_id, user_name, user_name_folded,
          external_id, document, create_time, update_time)
        SELECT id, company_id, $integration, 'user' || substr(resource_id, 7) || '@bench.example',
          'user' || substr(resource_id, 7) || '@bench.example', substr(resource_id, 7), '{}',
          create_time, update_time
        FROM target_users WHERE company_id = $key AND resource_id LIKE 'bench-%';" | sql
  echo "UPDATE companies SET target_user_count = (SELECT COUNT(*) FROM target_users WHERE company_id = $key AND status_id <> 2) WHERE id = $key;" | sql
  if [ -n "$url" ]; then echo "VACUUM ANALYZE;" | sql; else echo "ANALYZE;" | sql; fi
  echo "$backend-seed users=$USERS seconds=$(python3 -c "print(round($(now) - $t0, 1))")"

  start_server
  probe="$(curl -fsS -G "http://$HOST:$port/scim/v2/Users" -H "Authorization: Bearer $scim_token" \
    --data-urlencode "filter=userName eq \"user$(( USERS / 2 + 1 ))@bench.example\"" | json 'd["totalResults"]')"
  [ "$probe" = 1 ] || die "the probe finds $probe users, not 1"
  TOKEN="$scim_token" MODE=probe USERS="$USERS" wrk -t1 -c1 -d2s -s bench/scim_users.lua "http://$HOST:$port" >/dev/null
  result="$(TOKEN="$scim_token" MODE=probe USERS="$USERS" \
    wrk -t1 -c1 -d"$DURATION" -s bench/scim_users.lua "http://$HOST:$port" | grep '^RESULT')"
  echo "$backend-probe-username $result conns=1 users=$USERS"
  stop_server
  bench_backend_done
done
