#!/usr/bin/env bash
# Instructions per authenticated event detail request, for the release server
# and for the bench's floor reference, counted by valgrind's callgrind on
# PostgreSQL. Unlike requests per second on a shared two-core box, the count
# repeats to within 0.1 % from run to run, so it shows what a change to the
# request path saves (docs/BENCHMARKS.md, "Instructions per request").
#
#   crates/bench/callgrind.sh                  # builds, then measures both
#   REQUESTS=2000 crates/bench/callgrind.sh    # more requests (default 1000)
#
# Needs valgrind, python3 (the client: 8 keep-alive connections) and the
# local PostgreSQL; uses the scratch database gatherhub_callgrind and port
# 18480. The profiles stay in target/callgrind/ for callgrind_annotate.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release --locked -p gatherhub-server -p gatherhub-bench
bin=${CARGO_TARGET_DIR:-target}/release
requests=${REQUESTS:-1000}
out=target/callgrind
mkdir -p "$out"
admin=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
database_url=${admin%/*}/gatherhub_callgrind
export SECRET_KEY=callgrind-secret-key-0123456789abcdef01234567
psql "$admin" -qc "DROP DATABASE IF EXISTS gatherhub_callgrind" -c "CREATE DATABASE gatherhub_callgrind"

server_env=(DATABASE_URL="$database_url" RATE_LIMIT_ENABLED=false HOST=127.0.0.1
  PORT=18480 LOG_FORMAT=json LOG_LEVEL=info MEDIA_ROOT="$out/media")

wait_for() { # URL-or-file-pattern, tries
  for _ in $(seq "$2"); do
    if [[ $1 == http* ]]; then curl -sf "$1" >/dev/null && return 0
    else grep -q listening "$1" 2>/dev/null && return 0; fi
    sleep 0.5
  done
  echo "callgrind.sh: nothing answered ($1)" >&2
  return 1
}

# Seed one user and one event through the API, with the server not under valgrind.
env "${server_env[@]}" "$bin/gatherhub" serve >"$out/seed.log" 2>&1 &
seeder=$!
trap 'kill $seeder 2>/dev/null || true' EXIT
wait_for http://127.0.0.1:18480/health/ 60
api=http://127.0.0.1:18480/api/v1
curl -sf -H 'content-type: application/json' "$api/auth/register/" \
  -d '{"username":"callgrind","email":"callgrind@example.com","password":"callgrind-correct-horse"}' >/dev/null
token=$(curl -sf -H 'content-type: application/json' "$api/auth/login/" \
  -d '{"username":"callgrind","password":"callgrind-correct-horse"}' |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access"])')
event=$(curl -sf -H 'content-type: application/json' -H "authorization: Bearer $token" "$api/events/" \
  -d '{"title":"Callgrind","description":"d","location":"here","date":"2030-01-01T10:00:00Z","max_participants":10}' |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
kill "$seeder"
wait "$seeder" || true

load() { # PORT REQUESTS: GET the event detail REQUESTS times over 8 connections
  python3 - "$1" "$2" "$token" "$event" <<'EOF'
import http.client, sys, threading
port, total, token, event = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
failed = []
def run():
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    for _ in range(total // 8):
        conn.request("GET", f"/api/v1/events/{event}/", headers={"Authorization": "Bearer " + token})
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            failed.append(response.status)
threads = [threading.Thread(target=run) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
if failed:
    sys.exit(f"{len(failed)} requests failed: {failed[:5]}")
EOF
}

measure() { # NAME READY ENV... -- COMMAND...: prints instructions per request
  local name=$1 ready=$2
  shift 2
  local vars=()
  while [[ $1 != -- ]]; do vars+=("$1"); shift; done
  shift
  # The log too: `wait_for` must not find the previous run's `listening`.
  rm -f "$out/$name.out"* "$out/$name.log"
  (
    export "${vars[@]}"
    exec valgrind --tool=callgrind --compress-strings=no --compress-pos=no \
      --callgrind-out-file="$out/$name.out" "$@" >"$out/$name.log" 2>&1
  ) &
  local pid=$!
  wait_for "$ready" 600
  local port=18480
  [[ $ready == http* ]] || port=$(awk '/listening/ {print $2}' "$ready")
  load "$port" 160 # warm-up: connections, prepared statements
  # vgdb names its pipes after USER and HOST, so it needs the server's HOST.
  env "${vars[@]}" callgrind_control -z "$pid" >/dev/null 2>&1
  load "$port" "$requests"
  env "${vars[@]}" callgrind_control -d "$pid" >/dev/null 2>&1
  kill -INT "$pid"
  wait "$pid" || true
  local total
  total=$(awk '/^summary:/ {print $2}' "$out/$name.out.1")
  echo "$name: $((total / requests)) instructions per event detail request ($requests requests)"
}

measure gatherhub http://127.0.0.1:18480/health/live/ "${server_env[@]}" -- \
  "$bin/gatherhub" serve
measure floor "$out/floor.log" SECRET_KEY="$SECRET_KEY" -- \
  "$bin/gatherhub-bench" floor --database-url "$database_url"
