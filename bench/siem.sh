#!/usr/bin/env bash
# The audit log's cost, and SIEM forwarding to Debian's rsyslog over TCP, on SQLite and on a
# throwaway PostgreSQL (scripts/pg-throwaway), in one run.
#
# 1. Write throughput with auditing against without: wrk on POST /api/companies/clients and
#    POST /api/company-groups (bench/writes.lua: every request creates something new), CONNS
#    connections for DURATION each, against this server and against BASE_BIN, the same server
#    built from the commit before the audit log existed (BASE_REV), each on a fresh database.
# 2. A backlog of RECORDS audit records drains to rsyslog: the records are written straight
#    into the company's chain by SQL (like any seeded data, their hashes are not a valid
#    chain: the forwarder does not check them), then a TCP destination that forwards history
#    is created and the time until rsyslog has written every one is taken, while the server's
#    resident memory is sampled every 0.5 s.
# 3. Commit-to-receiver lag at a paced load: wrk with LAG_CONNS connections, each waiting
#    DELAY_MS before each request (about 1,000 changes/s), for LAG_DURATION; each record's lag
#    is rsyslog's receive time (%timegenerated, microseconds) minus the record's time (CEF
#    `rt`, taken in the transaction just before its commit).
#
# Env knobs: BACKENDS [sqlite postgres]  DURATION [10s]  CONNS [4]  RECORDS [1000000]
#            LAG_CONNS [8]  DELAY_MS [6]  LAG_DURATION [20s]  BUILD [1]
#            PARTS [writes forwarding] (forwarding: the backlog and the lag)
#            BIN [target/release/latchkey]  BASE_REV [88ba584]  BASE_BIN [built from BASE_REV]
#            KEEP [0]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BACKENDS="${BACKENDS:-sqlite postgres}"
DURATION="${DURATION:-10s}"
CONNS="${CONNS:-4}"
RECORDS="${RECORDS:-1000000}"
LAG_CONNS="${LAG_CONNS:-8}"
DELAY_MS="${DELAY_MS:-6}"
LAG_DURATION="${LAG_DURATION:-20s}"
BIN="${BIN:-$ROOT/target/release/latchkey}"
BASE_REV="${BASE_REV:-88ba584}"
HOST=127.0.0.1
CURRENT_BIN="$BIN"
PARTS="${PARTS:-writes forwarding}"
part() { case " $PARTS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

. bench/lib.sh
if [ "${BUILD:-1}" != 0 ]; then
  cargo build --release --locked -p latchkey >&2
  if [ -z "${BASE_BIN:-}" ]; then
    [ -d "$ROOT/../wt-preaudit" ] || git worktree add "$ROOT/../wt-preaudit" "$BASE_REV" >&2
    (cd "$ROOT/../wt-preaudit" && CARGO_TARGET_DIR="$ROOT/../target-preaudit" cargo build --release --locked -p latchkey >&2)
  fi
fi
BASE_BIN="${BASE_BIN:-$ROOT/../target-preaudit/release/latchkey}"
[ -x "$BASE_BIN" ] || die "no binary without the audit log at $BASE_BIN (BUILD=1 builds it)"
[ -x /usr/sbin/rsyslogd ] || apt-get install -y rsyslog >&2
command -v sqlite3 >/dev/null || apt-get install -y sqlite3 >&2
bench_init siem

now() { date +%s.%N; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
token() {
  curl -fsS "http://$HOST:$port/connect/token" -d grant_type=client_credentials \
    -d client_id="$(json 'd["clientId"]' <"$data/initial-credentials.json")" \
    -d client_secret="$(json 'd["clientSecret"]' <"$data/initial-credentials.json")" | json 'd["access_token"]'
}
rss_mb() { awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$SERVER_PID/status"; }
result() { grep '^RESULT' | sed 's/^RESULT //'; }

RSYSLOG_PID=""
stop_rsyslog() { [ -n "$RSYSLOG_PID" ] && kill "$RSYSLOG_PID" 2>/dev/null && wait "$RSYSLOG_PID" 2>/dev/null; RSYSLOG_PID=""; }
start_rsyslog() {
  rdir="$TMP/rsyslog-$1"
  mkdir -p "$rdir"
  rport="$(free_port)"
  cat >"$rdir/rsyslog.conf" <<EOF
global(workDirectory="$rdir" maxMessageSize="64k")
module(load="imtcp")
input(type="imtcp" port="$rport" address="127.0.0.1")
template(name="lag" type="string" string="%timegenerated:::date-rfc3339% %msg%\n")
action(type="omfile" file="$rdir/received.log" template="lag")
EOF
  /usr/sbin/rsyslogd -n -f "$rdir/rsyslog.conf" -i "$rdir/rsyslog.pid" >"$rdir/rsyslogd.out" 2>&1 &
  RSYSLOG_PID=$!
  for _ in $(seq 1 100); do (echo >"/dev/tcp/127.0.0.1/$rport") 2>/dev/null && break; sleep 0.1; done
}
received() { [ -f "$rdir/received.log" ] && wc -l <"$rdir/received.log" || echo 0; }

for backend in $BACKENDS; do
  # 1. Writes with auditing against without.
  part writes && for variant in without with; do
    BIN="$([ "$variant" = with ] && echo "$CURRENT_BIN" || echo "$BASE_BIN")"
    bench_backend "$backend" "latchkey_writes_$variant"
    data="$TMP/$backend-writes-$variant"
    mkdir -p "$data"
    start_server
    TOKEN="$(token)"
    for kind in client group; do
      line="$(TOKEN="$TOKEN" KIND="$kind" wrk -t2 -c"$CONNS" -d"$DURATION" -s bench/writes.lua "http://$HOST:$port" | result)"
      echo "writes $backend $kind audit=$variant $line"
    done
    stop_server
    bench_backend_done
  done
  BIN="$CURRENT_BIN"
  part forwarding || continue

  # 2. A backlog drains.
  bench_backend "$backend" latchkey_siem
  data="$TMP/$backend-siem"
  mkdir -p "$data"
  sql() { if [ -n "$url" ]; then psql -qAt -v ON_ERROR_STOP=1 "$url"; else sqlite3 -bail "$data/latchkey.db"; fi; }
  start_server
  stop_server
  company="$(json 'd["companyResourceId"]' <"$data/initial-credentials.json")"
  key="$(echo "SELECT id FROM companies WHERE resource_id = '$company';" | sql)"
  head="$(echo "SELECT COALESCE(MAX(seq), 0) FROM audit_logs WHERE company_id = $key;" | sql)"
  echo "# $backend: seeding $RECORDS audit records (SQL)" >&2
  t0="$(now)"
  batch=100000
  for ((first = 1; first <= RECORDS; first += batch)); do
    last=$(( first + batch - 1 < RECORDS ? first + batch - 1 : RECORDS ))
    if [ -n "$url" ]; then series="generate_series($first, $last) AS n(i)"; pad="lpad(i::text, 11, '0')"
    else series="(WITH RECURSIVE n(i) AS (SELECT $first UNION ALL SELECT i + 1 FROM n WHERE i < $last) SELECT i FROM n)"; pad="printf('%011d', i)"; fi
    sql >/dev/null <<EOF
INSERT INTO audit_logs (resource_id, company_id, seq, log_time, actor_kind, user_key, user_name,
  entity_name, entity_resource_id, operation, old_value, new_value, ip, user_agent, description,
  prev_hash, hash)
SELECT 'B' || $pad, $key, $head + i, $(date +%s)000, 'Client', 1, 'Bench client', 'CompanyGroup',
  'G' || $pad, 0, NULL, '{"name":"Group ' || i || '","companyResourceIdArray":[]}', '127.0.0.1',
  'wrk/4.2', 'Company group ''Group ' || i || ''' created',
  '0000000000000000000000000000000000000000000000000000000000000000',
  '1111111111111111111111111111111111111111111111111111111111111111'
FROM $series;
EOF
  done
  echo "UPDATE audit_chain_heads SET seq = $head + $RECORDS WHERE company_id = $key;" | sql
  echo "# $backend: seeded in $(python3 -c "print(round($(now) - $t0, 1))") s" >&2
  start_rsyslog "$backend"
  start_server
  TOKEN="$(token)"
  base_rss="$(rss_mb)"
  t0="$(now)"
  curl -fsS "http://$HOST:$port/api/companies/siem-settings" -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' \
    -d "{\"name\":\"rsyslog\",\"typeId\":2,\"statusId\":1,\"isForwardHistoricalAuditLog\":true,\"serverAddress\":\"127.0.0.1\",\"port\":\"$rport\",\"connectionType\":\"TCP\"}" >/dev/null
  want=$(( head + RECORDS + 1 ))
  peak=0; low=100000; samples=0
  while [ "$(received)" -lt "$want" ]; do
    sleep 0.5
    r="$(rss_mb)"; samples=$((samples + 1))
    [ "$r" -gt "$peak" ] && peak="$r"; [ "$r" -lt "$low" ] && low="$r"
    python3 -c "import sys; sys.exit(0 if $(now) - $t0 < 1800 else 1)" || die "the backlog did not drain in 30 minutes ($(received) of $want)"
  done
  secs="$(python3 -c "print($(now) - $t0)")"
  echo "drain $backend records=$want seconds=$(python3 -c "print(round($secs, 1))") rate=$(python3 -c "print(round($want / $secs))")/s rss_before_mb=$base_rss rss_during_min_mb=$low rss_during_max_mb=$peak samples=$samples"

  # 3. Lag at a paced load.
  before="$(received)"
  line="$(TOKEN="$TOKEN" KIND=group DELAY_MS="$DELAY_MS" wrk -t2 -c"$LAG_CONNS" -d"$LAG_DURATION" -s bench/writes.lua "http://$HOST:$port" | result)"
  sleep 3
  python3 - "$rdir/received.log" "$before" "$backend" "$line" <<'EOF'
import re, sys
from datetime import datetime
path, before, backend, line = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
lags = []
with open(path) as f:
    for n, text in enumerate(f):
        if n < before:
            continue
        stamp, _, msg = text.partition(" ")
        m = re.search(r"\brt=(\d+)", msg)
        if not m or "cs1=CompanyGroup" not in msg:
            continue
        got = datetime.fromisoformat(stamp).timestamp() * 1000
        lags.append(got - int(m.group(1)))
lags.sort()
def p(q):
    return lags[min(len(lags) - 1, int(q * len(lags)))]
print(f"lag {backend} records={len(lags)} p50_ms={p(0.5):.1f} p90_ms={p(0.9):.1f} p99_ms={p(0.99):.1f} max_ms={lags[-1]:.1f} load: {line}")
EOF
  stop_server
  stop_rsyslog
  bench_backend_done
done
