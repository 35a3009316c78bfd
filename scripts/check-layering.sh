#!/usr/bin/env bash
# Dependencies point inward: server -> app -> ports -> domain; adapters -> ports.
# Fails when an inner crate reaches, even transitively, a crate of an outer layer.
set -euo pipefail
cd "$(dirname "$0")/.."

status=0
# crate|forbidden normal (non-dev) dependencies
rules=(
  "gatherhub-domain|tokio diesel diesel-async actix-web actix-ws actix-governor redis deadpool-redis argon2 jsonwebtoken gatherhub-ports gatherhub-app"
  "gatherhub-ports|tokio diesel diesel-async actix-web actix-ws actix-governor redis deadpool-redis argon2 jsonwebtoken gatherhub-app"
  "gatherhub-app|tokio diesel diesel-async actix-web actix-ws actix-governor redis deadpool-redis gatherhub-memory gatherhub-security gatherhub-server"
  "gatherhub-memory|actix-web actix-ws actix-governor diesel redis gatherhub-app gatherhub-server"
  "gatherhub-inprocess|actix-web actix-ws actix-governor diesel diesel-async redis gatherhub-app gatherhub-server gatherhub-memory"
  "gatherhub-security|actix-web actix-ws actix-governor diesel redis gatherhub-app gatherhub-server"
  "gatherhub-sqlite|actix-web actix-ws actix-governor redis gatherhub-app gatherhub-server gatherhub-memory"
  "gatherhub-postgres|actix-web actix-ws actix-governor redis gatherhub-app gatherhub-server gatherhub-memory"
  "gatherhub-files|actix-web actix-ws actix-governor diesel diesel-async redis image gatherhub-app gatherhub-server gatherhub-memory gatherhub-sqlite gatherhub-postgres"
  "gatherhub-redis|actix-web actix-ws actix-governor diesel diesel-async gatherhub-app gatherhub-server gatherhub-memory gatherhub-sqlite gatherhub-postgres"
  # The Redis adapter and the bench are outer layers: the core never reaches them.
  "gatherhub-domain|gatherhub-redis gatherhub-bench"
  "gatherhub-ports|gatherhub-redis gatherhub-bench"
  "gatherhub-app|gatherhub-redis gatherhub-bench"
)
for rule in "${rules[@]}"; do
  crate=${rule%%|*}
  deps=$(cargo tree -q -p "$crate" -e normal --prefix none --format '{p}' | awk '{print $1}' | sort -u)
  for forbidden in ${rule#*|}; do
    if grep -qx "$forbidden" <<<"$deps"; then
      echo "layering violation: $crate depends on $forbidden" >&2
      cargo tree -q -p "$crate" -e normal -i "$forbidden" >&2 || true
      status=1
    fi
  done
done
# actix-governor is GPL-3.0: it may only ever be a dependency of the server crate.
for crate in $(cargo metadata --no-deps --format-version 1 | python3 -c 'import json,sys; print(" ".join(p["name"] for p in json.load(sys.stdin)["packages"]))'); do
  case "$crate" in gatherhub-server|gatherhub-e2e|gatherhub-bench) continue ;; esac
  if cargo tree -q -p "$crate" -e normal --prefix none --format '{p}' | awk '{print $1}' | grep -qx actix-governor; then
    echo "licence boundary: $crate depends on actix-governor (GPL-3.0)" >&2
    status=1
  fi
done
[ "$status" -eq 0 ] && echo "layering: ok"
exit "$status"
