#!/usr/bin/env bash
# Makes sure the local PostgreSQL and Redis that the tests use are running
# (they are on developer and CI machines; this starts them if stopped).
set -euo pipefail

if command -v pg_isready >/dev/null 2>&1; then
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    echo "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
  pg_isready -h 127.0.0.1 -p 5432
else
  echo "PostgreSQL client tools not found; skipping (needed only for the postgres adapter)"
fi

if command -v redis-cli >/dev/null 2>&1; then
  if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    echo "starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
    for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done
  fi
  echo "redis: $(redis-cli -h 127.0.0.1 -p 6379 ping)"
else
  echo "Redis tools not found; skipping (needed only for the redis adapter)"
fi
