#!/usr/bin/env bash
# The checked-in diesel schemas (crates/adapters/{postgres,sqlite}/src/schema.rs)
# must be exactly what `diesel print-schema` generates from the migrations, so
# they cannot drift. Installs diesel_cli if it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

DIESEL_VERSION=2.3.14
PG_URL=${GATHERHUB_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}

if ! command -v diesel >/dev/null 2>&1 || ! diesel --version | grep -q "$DIESEL_VERSION"; then
  echo "installing diesel_cli $DIESEL_VERSION"
  if ! ldconfig -p 2>/dev/null | grep -q libpq.so; then
    # diesel_cli's postgres backend links libpq.
    apt-get update -qq && apt-get install -y -qq libpq-dev >/dev/null
  fi
  cargo install diesel_cli --locked --version "$DIESEL_VERSION" \
    --no-default-features --features postgres,sqlite-bundled
fi

scratch=$(mktemp -d)
pg_db="gh_schema_check_$$"
pg_scratch_url="${PG_URL%/*}/$pg_db"
cleanup() {
  rm -rf "$scratch"
  psql -q "$PG_URL" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT

status=0
check() { # name, config, database url
  local name=$1 config=$2 url=$3
  # `migration run` would rewrite schema.rs in place: keep the checked-in
  # copy aside, generate, compare, restore.
  cp "$(dirname "$config")/src/schema.rs" "$scratch/$name.committed.rs"
  diesel migration run --config-file "$config" --database-url "$url" >/dev/null
  diesel print-schema --config-file "$config" --database-url "$url" > "$scratch/$name.generated.rs"
  cp "$scratch/$name.committed.rs" "$(dirname "$config")/src/schema.rs"
  if diff -u "$scratch/$name.committed.rs" "$scratch/$name.generated.rs"; then
    echo "schema ($name): up to date"
  else
    echo "schema ($name): src/schema.rs differs from the migrations; regenerate it (see $config)" >&2
    status=1
  fi
}

psql -q "$PG_URL" -c "CREATE DATABASE $pg_db" >/dev/null
check postgres crates/adapters/postgres/diesel.toml "$pg_scratch_url"
check sqlite crates/adapters/sqlite/diesel.toml "$scratch/schema.db"
exit "$status"
