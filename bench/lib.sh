# Shared by the benchmarks that start their own servers (search.sh, people.sh); sourced, with
# the repository as the current directory and BIN, HOST set.
#
#   bench_init NAME              a temporary directory ($TMP) removed at exit (kept with KEEP=1),
#                                with the server and any PostgreSQL cluster stopped then
#   bench_backend BACKEND DB     sets $data (a data directory), $url (empty for SQLite, else a
#                                new database DB on a throwaway cluster) and $port
#   start_server / stop_server   the server on them ($SERVER_PID), without rate limits
#   bench_backend_done           stops the cluster of the backend
#   bench_customer NAME          the server's first start (its database, initial credentials),
#                                then a customer NAME under the default reseller with a Company
#                                Admin client ($company, $client_id, $client_secret); the server
#                                is stopped again, as `latchkey admin` writes offline. Uses the
#                                caller's `admin` and `json`.

die() { echo "FAIL: $*" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

SERVER_PID=""
PG_DIR=""

bench_cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  if [ "${KEEP:-0}" = 1 ]; then
    echo "# kept: $TMP${PG_DIR:+ and the PostgreSQL cluster in $PG_DIR ($url)}" >&2
  else
    [ -n "$PG_DIR" ] && scripts/pg-throwaway stop "$PG_DIR" >/dev/null 2>&1 || true
    rm -rf "$TMP"
  fi
}

bench_init() {
  command -v wrk >/dev/null || apt-get install -y wrk >&2 || { apt-get update >&2 && apt-get install -y wrk >&2; }
  TMP="$(mktemp -d -t "latchkey-$1.XXXXXX")"
  trap bench_cleanup EXIT
}

bench_backend() {
  data="$TMP/$1"
  mkdir -p "$data"
  url=""
  if [ "$1" = postgres ]; then
    PG_DIR="$(mktemp -d -t latchkey-pg.XXXXXX)"
    local server_url
    server_url="$(scripts/pg-throwaway start "$PG_DIR")"
    psql -q "$server_url" -c "CREATE DATABASE $2" >/dev/null
    url="${server_url%/*}/$2"
  fi
  port="$(free_port)"
}

start_server() {
  LATCHKEY_RATE_LIMIT_TOKEN_PER_SECOND=0 LATCHKEY_RATE_LIMIT_API_PER_SECOND=0 LATCHKEY_LOG=warn \
    "$BIN" serve --listen "$HOST:$port" --data-dir "$data" ${url:+--database-url "$url"} >>"$data/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 600); do curl -fsS -o /dev/null "http://$HOST:$port/readyz" 2>/dev/null && break; sleep 0.1; done
  curl -fsS -o /dev/null "http://$HOST:$port/readyz" || { cat "$data/server.log" >&2; die "server not ready"; }
}

stop_server() {
  kill "$SERVER_PID"
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

bench_backend_done() {
  if [ -n "$PG_DIR" ] && [ "${KEEP:-0}" != 1 ]; then
    scripts/pg-throwaway stop "$PG_DIR" >/dev/null
    PG_DIR=""
  fi
}

bench_customer() {
  start_server
  local reseller client
  reseller="$(json 'd["companyResourceId"]' <"$data/initial-credentials.json")"
  company="$(admin company create --name "$1" --parent "$reseller" | json 'd["resourceId"]')"
  client="$(admin client create --company "$company" --role "Company Admin" --name bench)"
  client_id="$(echo "$client" | json 'd["clientId"]')"
  client_secret="$(echo "$client" | json 'd["clientSecret"]')"
  stop_server
}
