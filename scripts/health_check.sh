#!/usr/bin/env bash
# Operators' health check of a running GatherHub instance: curl -f against
# each health endpoint, one line per endpoint, a summary, and an exit code
# (0 all healthy, 1 something failed; a `degraded` readiness is reported but
# passes, as the load balancer treats it).
#
#   scripts/health_check.sh [BASE_URL]        default http://127.0.0.1:8000
#   HEALTH_TIMEOUT=5 scripts/health_check.sh https://gatherhub.example.com
set -uo pipefail

base=${1:-${GATHERHUB_URL:-http://127.0.0.1:8000}}
base=${base%/}
timeout=${HEALTH_TIMEOUT:-5}
failed=0
passed=0

check() {
  local path=$1 body status
  if body=$(curl -fsS --max-time "$timeout" -H 'Accept: application/json' "$base$path" 2>&1); then
    # The first "status" is the top-level one.
    status=$(printf '%s' "$body" | grep -o '"status" *: *"[a-z_]*"' | head -n1 | sed 's/.*"\([a-z_]*\)"$/\1/')
    printf 'ok    %-16s %s\n' "$path" "${status:-ok}"
    passed=$((passed + 1))
  else
    printf 'FAIL  %-16s %s\n' "$path" "$body"
    failed=$((failed + 1))
  fi
}

echo "GatherHub health at $base"
check /health/
check /health/live/
check /health/ready/
check /health/status/

if [ "$failed" -eq 0 ]; then
  echo "summary: healthy ($passed/$((passed + failed)) endpoints ok)"
  exit 0
fi
echo "summary: UNHEALTHY ($failed of $((passed + failed)) endpoints failed)"
exit 1
