#!/usr/bin/env bash
# The spreadsheet import end to end against a release server over HTTP: a ROWS-row CSV is
# uploaded (POST /api/target-users/upload), mapped (create-mapping, then GET mapping-job until
# Finished) and imported (…/{transactionId}/import, then GET /api/jobs/{id} until finished).
# Prints each phase's wall time, the total, and the server's peak RSS (VmHWM of
# /proc/PID/status, read after the run). Runs on SQLite and on a throwaway PostgreSQL
# (scripts/pg-throwaway), each on a fresh database.
#
# Env knobs: BACKENDS [sqlite postgres]  ROWS [100000]  BUILD [1]
#            BIN [target/release/latchkey] (another build, e.g. an older commit, to compare)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BACKENDS="${BACKENDS:-sqlite postgres}"
ROWS="${ROWS:-100000}"
BIN="${BIN:-$ROOT/target/release/latchkey}"
HOST=127.0.0.1

die() { echo "FAIL: $*" >&2; exit 1; }
[ "${BUILD:-1}" = 0 ] || cargo build --release --locked -p latchkey >&2
command -v jq >/dev/null || die "jq is needed"

TMP="$(mktemp -d -t latchkey-import.XXXXXX)"
SERVER_PID=""
PG_DIR=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  [ -n "$PG_DIR" ] && scripts/pg-throwaway stop "$PG_DIR" >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
since() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$(now)"; }

# The file: email, names, department, phone and priority, as a people export would have them.
CSV="$TMP/people.csv"
python3 - "$ROWS" "$CSV" <<'EOF'
import sys
rows, path = int(sys.argv[1]), sys.argv[2]
departments = ["Sales", "Research", "Finance", "Support", "Legal", "Operations"]
priorities = ["Low", "Medium", "High"]
with open(path, "w") as f:
    f.write("Email,First Name,Last Name,Department,Phone Number,Priority\n")
    for i in range(rows):
        f.write(f"user{i:06d}@example.com,First{i},Last{i},{departments[i % 6]},+1415555{i % 10000:04d},{priorities[i % 3]}\n")
EOF
echo "# $(wc -c <"$CSV") bytes, $ROWS rows" >&2

for backend in $BACKENDS; do
  data="$TMP/$backend"
  mkdir -p "$data"
  url=""
  if [ "$backend" = postgres ]; then
    PG_DIR="$(mktemp -d -t latchkey-pg.XXXXXX)"
    server_url="$(scripts/pg-throwaway start "$PG_DIR")"
    psql -q "$server_url" -c "CREATE DATABASE latchkey_bench" >/dev/null
    url="${server_url%/*}/latchkey_bench"
  fi
  port="$(free_port)"
  base="http://$HOST:$port"
  LATCHKEY_RATE_LIMIT_TOKEN_PER_SECOND=0 LATCHKEY_RATE_LIMIT_API_PER_SECOND=0 LATCHKEY_LOG=warn \
    "$BIN" serve --listen "$HOST:$port" --data-dir "$data" ${url:+--database-url "$url"} >>"$data/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 300); do curl -fsS -o /dev/null "$base/readyz" 2>/dev/null && break; sleep 0.1; done
  curl -fsS -o /dev/null "$base/readyz" || { cat "$data/server.log" >&2; die "server not ready"; }
  creds="$data/initial-credentials.json"
  token="$(curl -fsS "$base/connect/token" -d grant_type=client_credentials \
    -d client_id="$(jq -r .clientId "$creds")" -d client_secret="$(jq -r .clientSecret "$creds")" | jq -r .access_token)"
  # The bootstrap reseller's own licence is unlimited; the import goes to its own company.
  auth=(-H "Authorization: Bearer $token")

  start="$(now)"
  up="$(curl -fsS "${auth[@]}" -F "File=@$CSV;filename=people.csv" "$base/api/target-users/upload")"
  t_upload="$(since "$start")"
  tid="$(jq -r .data.transactionId <<<"$up")"
  [ "$(jq -r .data.rowCount <<<"$up")" = "$ROWS" ] || die "upload: $up"

  start_map="$(now)"
  job="$(curl -fsS "${auth[@]}" -H 'Content-Type: application/json' "$base/api/target-users/create-mapping" -d "{
    \"transactionId\": \"$tid\", \"fieldMappings\": [
      {\"excelColumnName\": \"Email\", \"fieldName\": \"email\"},
      {\"excelColumnName\": \"First Name\", \"fieldName\": \"firstName\"},
      {\"excelColumnName\": \"Last Name\", \"fieldName\": \"lastName\"},
      {\"excelColumnName\": \"Department\", \"fieldName\": \"department\"},
      {\"excelColumnName\": \"Phone Number\", \"fieldName\": \"phoneNumber\"},
      {\"excelColumnName\": \"Priority\", \"fieldName\": \"priority\"}]}" | jq -r .data.resourceId)"
  while :; do
    status="$(curl -fsS "${auth[@]}" "$base/api/target-users/mapping-job/$job")"
    case "$(jq -r .data.status <<<"$status")" in
      Finished) break ;;
      FinishedWithError) die "mapping: $status" ;;
    esac
    sleep 0.05
  done
  t_map="$(since "$start_map")"
  [ "$(jq -r .data.newUserCount <<<"$status")" = "$ROWS" ] || die "mapping: $status"

  start_import="$(now)"
  job="$(curl -fsS "${auth[@]}" -H 'Content-Type: application/json' "$base/api/target-users/$tid/import" \
    -d '{"importType": "All"}' | jq -r .data.resourceId)"
  while :; do
    detail="$(curl -fsS "${auth[@]}" "$base/api/jobs/$job")"
    [ "$(jq -r .data.isFinished <<<"$detail")" = true ] && break
    sleep 0.05
  done
  t_import="$(since "$start_import")"
  t_total="$(since "$start")"
  [ "$(jq -r .data.status <<<"$detail")" = 2 ] || die "import: $detail"
  [ "$(jq -r '.data.processResults[0].currentCount' <<<"$detail")" = "$ROWS" ] || die "import: $detail"
  rss="$(awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$SERVER_PID/status")"
  printf '%-8s rows=%s upload=%ss mapping=%ss import=%ss total=%ss peak_rss=%sMB\n' \
    "$backend" "$ROWS" "$t_upload" "$t_map" "$t_import" "$t_total" "$rss"

  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
  if [ -n "$PG_DIR" ]; then scripts/pg-throwaway stop "$PG_DIR" >/dev/null 2>&1 || true; PG_DIR=""; fi
done
