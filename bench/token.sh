#!/usr/bin/env bash
# Side-by-side load test: Latchkey's token endpoint against a well-known peer,
# panva/oidc-provider (../shared/bench/peers/oidc-provider), on the same
# machine with the same wrk settings, so throughput, latency and memory can be
# compared as ratios rather than as absolute numbers.
#
# One cycle:
#   latchkey: fresh data dir, start `latchkey serve` on 127.0.0.1:<free port>
#   (rate limits off) -> curl checks (both client auth methods, JWT alg/typ,
#   signature against the JWKS) -> warm-up -> wrk POST /connect/token
#   (bench/token.lua) -> warm-up -> wrk GET /api/companies/my with a bearer
#   token (bench/get.lua) -> CPU seconds, VmRSS and VmHWM after each load ->
#   stop. Then the peer's own run.sh with the same knobs.
# With RUNS > 1 the cycle repeats and medians are printed. The results block
# is also saved under bench/results/.
#
# Env knobs (defaults in brackets):
#   ALG=ES256|RS256|EdDSA [ES256]  our signing algorithm; the peer has no EdDSA,
#                                  so EdDSA is compared against peer ES256
#   DURATION [10s]  THREADS [2]  CONNS [32]  WARMUP [2s] (0 = none)
#   WRK_TIMEOUT [5s]  RUNS [1]
#   PEER_DIR [<repo>/../shared/bench/peers/oidc-provider]
#   BUILD [1] (0 = use the existing binary)
#   LATCHKEY_BIN [<repo>/target/release/latchkey]  binary to benchmark
#   PEER [1] (0 = skip the peer)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

ALG="${ALG:-ES256}"
DURATION="${DURATION:-10s}"
THREADS="${THREADS:-2}"
CONNS="${CONNS:-32}"
WARMUP="${WARMUP:-2s}"
WRK_TIMEOUT="${WRK_TIMEOUT:-5s}"
RUNS="${RUNS:-1}"
PEER_DIR="${PEER_DIR:-$ROOT/../shared/bench/peers/oidc-provider}"
BUILD="${BUILD:-1}"
PEER="${PEER:-1}"
HOST=127.0.0.1 # loopback only, not configurable
BIN="${LATCHKEY_BIN:-$ROOT/target/release/latchkey}"

die() {
  echo "FAIL: $*" >&2
  exit 1
}
note() {
  echo "# $*" >&2
}

case "$ALG" in
  ES256 | RS256) PEER_ALG="$ALG" ;;
  EdDSA) PEER_ALG=ES256 ;;
  *) die "ALG must be ES256, RS256 or EdDSA (got $ALG)" ;;
esac
case "$RUNS" in '' | *[!0-9]* | 0) die "RUNS must be a positive integer (got $RUNS)" ;; esac

TMP="$(mktemp -d -t latchkey-bench.XXXXXX)"
SERVER_PID=""
stop_server() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do # bounded: <= 5 s
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}
cleanup() {
  stop_server
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- dependencies -----------------------------------------------------------
for tool in curl python3 node; do
  command -v "$tool" >/dev/null || die "$tool not found"
done
if ! command -v wrk >/dev/null; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  note "installing wrk (apt-get)"
  $SUDO apt-get install -y --no-install-recommends wrk >&2 \
    || { $SUDO apt-get update >&2 && $SUDO apt-get install -y --no-install-recommends wrk >&2; } \
    || die "could not install wrk"
fi

if [ "$BUILD" = 1 ]; then
  note "building latchkey (cargo build --release -p latchkey)"
  cargo build --release -p latchkey >&2 || die "cargo build failed"
fi
[ -x "$BIN" ] || die "$BIN not found (build it, or run with BUILD=1)"

# The peer's run.sh installs its node_modules (npm ci) in its own directory.
# The peer directory is shared and meant to be read-only (root could write to
# it anyway), so unless its node_modules is already installed, run a copy from
# a temp dir instead; npm's cache keeps the repeated install quick.
PEER_RUN_DIR=""
if [ "$PEER" = 1 ]; then
  [ -f "$PEER_DIR/run.sh" ] || die "peer not found at $PEER_DIR (set PEER_DIR, or PEER=0 to skip it)"
  PEER_DIR="$(cd "$PEER_DIR" && pwd)"
  want_ver="$(cd "$PEER_DIR" && node -p "require('./package.json').dependencies['oidc-provider']")"
  have_ver="$(cd "$PEER_DIR" && node -p "try{require('./node_modules/oidc-provider/package.json').version}catch(e){''}")"
  if [ "$have_ver" = "$want_ver" ]; then
    PEER_RUN_DIR="$PEER_DIR"
  else
    PEER_RUN_DIR="$TMP/peer"
    note "$PEER_DIR has no node_modules for oidc-provider@$want_ver; running a copy in $PEER_RUN_DIR"
    mkdir -p "$PEER_RUN_DIR"
    (cd "$PEER_DIR" && tar --exclude=./node_modules -cf - .) | (cd "$PEER_RUN_DIR" && tar -xf -)
    chmod -R u+w "$PEER_RUN_DIR"
  fi
fi

free_port() {
  python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# json_field FILE KEY: print a top-level string field of a JSON file.
json_field() {
  python3 -c 'import json, sys
v = json.load(open(sys.argv[1])).get(sys.argv[2])
if not isinstance(v, str) or not v:
    sys.exit("missing %s in %s" % (sys.argv[2], sys.argv[1]))
print(v)' "$1" "$2"
}

# check_token LABEL CURL_ARGS...: request a token, require 200 and a JWT signed
# with $ALG, typ at+jwt, scope api1, whose signature verifies against the JWKS.
check_token() {
  local label="$1" code
  shift
  code="$(curl -sS --max-time 5 -o "$RUN/resp.json" -w '%{http_code}' -X POST "$BASE/connect/token" "$@")" \
    || die "$label: curl failed"
  [ "$code" = 200 ] || {
    cat "$RUN/resp.json" >&2
    echo >&2
    die "$label: HTTP $code (want 200)"
  }
  curl -sS --max-time 5 -o "$RUN/discovery.json" "$BASE/.well-known/openid-configuration" \
    || die "could not fetch the discovery document"
  curl -sS --max-time 5 -o "$RUN/jwks.json" "$(json_field "$RUN/discovery.json" jwks_uri)" \
    || die "could not fetch the JWKS"
  RESP="$RUN/resp.json" JWKS="$RUN/jwks.json" WANT_ALG="$ALG" LABEL="$label" node --input-type=module -e '
    import * as crypto from "node:crypto";
    import * as fs from "node:fs";
    const fail = (m) => { console.error(`FAIL: ${process.env.LABEL}: ${m}`); process.exit(1); };
    const r = JSON.parse(fs.readFileSync(process.env.RESP, "utf8"));
    const at = r.access_token;
    if (typeof at !== "string") fail("no access_token in " + JSON.stringify(r));
    const parts = at.split(".");
    if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p))) fail("access_token is not a 3-part JWS: " + at);
    const h = JSON.parse(Buffer.from(parts[0], "base64url"));
    if (h.alg !== process.env.WANT_ALG) fail(`alg ${h.alg} != ${process.env.WANT_ALG} (is LATCHKEY_SIGNING_ALGORITHM honoured?)`);
    if (h.typ !== "at+jwt") fail(`typ ${h.typ} != at+jwt`);
    if (r.token_type !== "Bearer" || r.scope !== "api1") fail("unexpected token_type/scope: " + JSON.stringify(r));
    const jwk = JSON.parse(fs.readFileSync(process.env.JWKS, "utf8")).keys.find((k) => k.kid === h.kid);
    if (!jwk) fail(`kid ${h.kid} not in the JWKS`);
    const key = crypto.createPublicKey({ key: jwk, format: "jwk" });
    const data = Buffer.from(parts[0] + "." + parts[1]);
    const sig = Buffer.from(parts[2], "base64url");
    const ok = h.alg === "EdDSA" ? crypto.verify(null, data, key, sig)
      : crypto.verify("sha256", data, h.alg === "ES256" ? { key, dsaEncoding: "ieee-p1363" } : key, sig);
    if (!ok) fail("JWT signature does not verify against the JWKS");
    console.error(`# ok ${process.env.LABEL}: 200, ${h.alg} ${h.typ} kid=${h.kid} len=${at.length}`);
  ' || die "$label: token check failed"
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; } # utime+stime, all threads
status_kb() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$SERVER_PID/status"; }

# load LUA URL OUT: warm-up, then the measured wrk run; prints the RESULT line
# extended with server CPU seconds and memory.
load() {
  local lua="$1" url="$2" out="$3" t0 t1 cpu rss hwm result
  if [ "$WARMUP" != 0 ]; then
    wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" --timeout "$WRK_TIMEOUT" -s "$lua" "$url" >/dev/null
  fi
  t0="$(cpu_ticks)"
  wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --timeout "$WRK_TIMEOUT" -s "$lua" "$url" >"$out"
  t1="$(cpu_ticks)"
  rss="$(status_kb VmRSS)"
  hwm="$(status_kb VmHWM)"
  grep -v '^RESULT' "$out" >&2 || true
  result="$(grep '^RESULT' "$out")" || die "no RESULT line from wrk ($lua)"
  cpu="$(awk -v a="$t0" -v b="$t1" -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.2f", (b-a)/hz}')"
  echo "$result alg=$ALG server_cpu_s=$cpu rss_mb=$((rss / 1024)) peak_rss_mb=$((hwm / 1024)) rss_kb=$rss peak_rss_kb=$hwm"
}

# run_latchkey I: one cycle against our server; appends to $TMP/ours-*.txt.
run_latchkey() {
  local i="$1" port cid secret company token_url token code
  RUN="$TMP/run-$i"
  mkdir -p "$RUN"
  port="$(free_port)"
  BASE="http://$HOST:$port"
  LATCHKEY_RATE_LIMIT_TOKEN_PER_SECOND=0 LATCHKEY_RATE_LIMIT_API_PER_SECOND=0 LATCHKEY_LOG=warn \
    LATCHKEY_SIGNING_ALGORITHM="$ALG" \
    env -u LATCHKEY_BIN "$BIN" serve --listen "$HOST:$port" --data-dir "$RUN/data" >"$RUN/server.log" 2>&1 &
  SERVER_PID=$!

  for _ in $(seq 1 300); do # bounded: <= 30 s
    if curl -fsS -o /dev/null --max-time 1 "$BASE/healthz" 2>/dev/null; then break; fi
    kill -0 "$SERVER_PID" 2>/dev/null || {
      cat "$RUN/server.log" >&2
      die "latchkey exited during startup"
    }
    sleep 0.1
  done
  curl -fsS -o /dev/null --max-time 1 "$BASE/healthz" || {
    tail -n 30 "$RUN/server.log" >&2
    die "latchkey not healthy on $BASE after 30 s"
  }
  for _ in $(seq 1 100); do # bounded: <= 10 s
    [ -s "$RUN/data/initial-credentials.json" ] && break
    sleep 0.1
  done
  [ -s "$RUN/data/initial-credentials.json" ] || die "no $RUN/data/initial-credentials.json after start"
  cid="$(json_field "$RUN/data/initial-credentials.json" clientId)"
  secret="$(json_field "$RUN/data/initial-credentials.json" clientSecret)"
  company="$(json_field "$RUN/data/initial-credentials.json" companyResourceId)"
  token_url="$(json_field "$RUN/data/initial-credentials.json" tokenUrl)"
  note "latchkey pid=$SERVER_PID base=$BASE alg=$ALG client=$cid company=$company tokenUrl=$token_url"

  check_token client_secret_post \
    --data-urlencode grant_type=client_credentials --data-urlencode scope=api1 \
    --data-urlencode "client_id=$cid" --data-urlencode "client_secret=$secret"
  check_token client_secret_basic -u "$cid:$secret" \
    --data-urlencode grant_type=client_credentials --data-urlencode scope=api1

  CLIENT_ID="$cid" CLIENT_SECRET="$secret" \
    load "$ROOT/bench/token.lua" "$BASE/connect/token" "$RUN/wrk-token.out" >>"$TMP/ours-token.txt"

  token="$(curl -sS --max-time 5 -X POST "$BASE/connect/token" \
    --data-urlencode grant_type=client_credentials --data-urlencode scope=api1 \
    --data-urlencode "client_id=$cid" --data-urlencode "client_secret=$secret" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')" \
    || die "could not get an access token for the GET benchmark"
  code="$(curl -sS --max-time 5 -o "$RUN/my.json" -w '%{http_code}' -H "Authorization: Bearer $token" "$BASE/api/companies/my")"
  [ "$code" = 200 ] || {
    cat "$RUN/my.json" >&2
    die "GET /api/companies/my: HTTP $code (want 200)"
  }
  ACCESS_TOKEN="$token" \
    load "$ROOT/bench/get.lua" "$BASE/api/companies/my" "$RUN/wrk-get.out" >>"$TMP/ours-get.txt"

  stop_server
  if [ -s "$RUN/server.log" ]; then
    note "latchkey log (warn and above), last lines:"
    tail -n 20 "$RUN/server.log" >&2
  fi
}

run_peer() {
  env -u CLIENT_ID -u CLIENT_SECRET ALG="$PEER_ALG" DURATION="$DURATION" THREADS="$THREADS" \
    CONNS="$CONNS" WARMUP="$WARMUP" WRK_TIMEOUT="$WRK_TIMEOUT" \
    bash "$PEER_RUN_DIR/run.sh" >"$TMP/peer.out" 2>"$TMP/peer.log" || {
    cat "$TMP/peer.log" "$TMP/peer.out" >&2
    die "peer run.sh failed"
  }
  grep '^# ok' "$TMP/peer.log" >&2 || true
  grep '^# peer=' "$TMP/peer.out" >&2 || true
  grep '^RESULT' "$TMP/peer.out" >>"$TMP/peer-token.txt" || die "no RESULT line from the peer's run.sh"
}

# ---- the cycles -------------------------------------------------------------
: >"$TMP/ours-token.txt"
: >"$TMP/ours-get.txt"
: >"$TMP/peer-token.txt"
for i in $(seq 1 "$RUNS"); do
  note "cycle $i/$RUNS: latchkey alg=$ALG"
  run_latchkey "$i"
  if [ "$PEER" = 1 ]; then
    note "cycle $i/$RUNS: peer oidc-provider alg=$PEER_ALG"
    run_peer
  fi
done

# ---- results ----------------------------------------------------------------
med() { # med FILE FIELD: median of FIELD across the RESULT lines in FILE
  grep -o " $2=[^ ]*" "$1" | cut -d= -f2 | sort -g | awk '{a[NR]=$1} END{if (NR) print a[int((NR+1)/2)]; else print "n/a"}'
}
summary() { # summary LABEL FILE
  if [ "$RUNS" -eq 1 ]; then
    echo "$1 $(cat "$2")"
  else
    sed "s/^/$1 run /" "$2"
    echo "$1 MEDIAN runs=$RUNS rps=$(med "$2" rps) p50_ms=$(med "$2" p50_ms) p99_ms=$(med "$2" p99_ms) non2xx=$(med "$2" non2xx) server_cpu_s=$(med "$2" server_cpu_s) rss_mb=$(med "$2" rss_mb) peak_rss_mb=$(med "$2" peak_rss_mb)"
  fi
}

mkdir -p "$ROOT/bench/results"
report="$ROOT/bench/results/token-$(date -u +%Y%m%dT%H%M%SZ)-$ALG.txt"
{
  echo "== token benchmark: alg=$ALG peer_alg=$PEER_ALG runs=$RUNS threads=$THREADS conns=$CONNS duration=$DURATION warmup=$WARMUP nproc=$(nproc) wrk=$(wrk -v 2>&1 | head -1 | awk '{print $2}') =="
  summary latchkey-token "$TMP/ours-token.txt"
  summary latchkey-companies-my "$TMP/ours-get.txt"
  if [ "$PEER" = 1 ]; then
    summary peer-token "$TMP/peer-token.txt"
    awk -v ours_rps="$(med "$TMP/ours-token.txt" rps)" -v peer_rps="$(med "$TMP/peer-token.txt" rps)" \
      -v ours_p99="$(med "$TMP/ours-token.txt" p99_ms)" -v peer_p99="$(med "$TMP/peer-token.txt" p99_ms)" \
      -v ours_hwm_kb="$(med "$TMP/ours-token.txt" peak_rss_kb)" -v peer_hwm_mb="$(med "$TMP/peer-token.txt" peak_rss_mb)" \
      'BEGIN {
        if (peer_rps > 0) printf "ratio token_rps latchkey/peer = %.2f (%s vs %s rps)\n", ours_rps / peer_rps, ours_rps, peer_rps
        printf "p99_ms token latchkey=%s peer=%s\n", ours_p99, peer_p99
        if (ours_hwm_kb > 0) printf "ratio peak_rss peer/latchkey = %.1f (%s MB vs %.1f MB, after the token load)\n", peer_hwm_mb * 1024 / ours_hwm_kb, peer_hwm_mb, ours_hwm_kb / 1024
      }'
  fi
  for f in "$TMP/ours-token.txt" "$TMP/ours-get.txt"; do
    if grep -q ' non2xx=[1-9]\| sock_[a-z]*=[1-9]' "$f"; then
      echo "WARNING: errors during the latchkey load ($(basename "$f" .txt)); see non2xx/sock_* above"
    fi
  done
} | tee "$report"
note "results saved to $report"
