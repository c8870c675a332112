#!/usr/bin/env bash
# Console sign-in latency by outcome: right password, wrong password, unknown email, and a
# locked account (right and wrong password while the lock holds). The four refusals must cost
# the same (one Argon2id verification each), so that timing tells neither a lock nor an
# unknown email apart from a wrong password.
#
# The first administrator sets a password through the first start's link; the sign-in rate
# limit is switched off for the run. Requests are sequential (curl, `time_total`), alternating
# between the cases so that drift of the machine's speed hits all of them alike.
#
# Env knobs: N [40] (requests per case)  BUILD [1]  BIN [target/release/latchkey]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
N="${N:-40}"
BIN="${BIN:-$ROOT/target/release/latchkey}"
HOST=127.0.0.1
[ "${BUILD:-1}" = 0 ] || cargo build --release --locked -p latchkey >&2

TMP="$(mktemp -d -t latchkey-sign-in.XXXXXX)"
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
BASE="http://$HOST:$PORT"
LATCHKEY_RATE_LIMIT_SIGN_IN_PER_SECOND=0 LATCHKEY_LOG=warn \
  "$BIN" serve --data-dir "$TMP/data" --listen "$HOST:$PORT" 2>"$TMP/server.log" &
SERVER_PID=$!
for _ in $(seq 100); do curl -sf "$BASE/readyz" >/dev/null && break; sleep 0.1; done

PASSWORD='correct horse battery staple'
token="$(sed -n 's/.*token=\([^&]*\).*/\1/p' "$TMP/data/initial-admin-link.txt")"
curl -sf "$BASE/api/system-users/create-password" -H 'Content-Type: application/json' \
  -d "{\"token\":\"$token\",\"newPassword\":\"$PASSWORD\",\"confirmNewPassword\":\"$PASSWORD\"}" >/dev/null

sign_in() { # EMAIL PASSWORD -> "status seconds"
  curl -s -o /dev/null -w '%{http_code} %{time_total}\n' "$BASE/console/session" \
    -H 'Content-Type: application/json' -d "{\"email\":\"$1\",\"password\":\"$2\"}"
}

# A second account to lock, so that the right password of the first stays usable.
company="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["companyResourceId"])' "$TMP/data/initial-credentials.json")"
link="$("$BIN" admin --data-dir "$TMP/data" user create --company "$company" --email locked@example.com \
  --first-name Lock --last-name Ed 2>/dev/null | grep -o 'token=[^&]*' | head -1 | cut -d= -f2)"
curl -sf "$BASE/api/system-users/create-password" -H 'Content-Type: application/json' \
  -d "{\"token\":\"$link\",\"newPassword\":\"$PASSWORD\",\"confirmNewPassword\":\"$PASSWORD\"}" >/dev/null
for _ in 1 2 3 4 5; do sign_in locked@example.com 'not the password' >/dev/null; done

: >"$TMP/samples"
for _ in $(seq "$N"); do
  echo "right $(sign_in admin@localhost "$PASSWORD")" >>"$TMP/samples"
  echo "wrong $(sign_in admin@localhost 'not the password')" >>"$TMP/samples"
  echo "unknown $(sign_in nobody@example.com "$PASSWORD")" >>"$TMP/samples"
  echo "locked-right $(sign_in locked@example.com "$PASSWORD")" >>"$TMP/samples"
  echo "locked-wrong $(sign_in locked@example.com 'not the password')" >>"$TMP/samples"
done

echo "| case | status | min | p50 | p90 | max |"
echo "|---|---|---:|---:|---:|---:|"
python3 - "$TMP/samples" <<'EOF'
import sys, statistics
rows = {}
for line in open(sys.argv[1]):
    case, status, secs = line.split()
    rows.setdefault(case, []).append((status, float(secs) * 1000))
for case in ["right", "wrong", "unknown", "locked-right", "locked-wrong"]:
    samples = rows[case]
    ms = sorted(s for _, s in samples)
    statuses = ",".join(sorted({s for s, _ in samples}))
    p = lambda q: ms[min(len(ms) - 1, int(q * len(ms)))]
    print(f"| {case} | {statuses} | {ms[0]:.1f} ms | {statistics.median(ms):.1f} ms | {p(0.9):.1f} ms | {ms[-1]:.1f} ms |")
EOF
