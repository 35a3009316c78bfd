#!/usr/bin/env bash
# Every test: the workspace (domain, adapters' shared contract suite on memory,
# SQLite and PostgreSQL, services, server, end-to-end HTTP on memory), then the
# end-to-end HTTP suite (tests/api) again on SQLite and on PostgreSQL; the
# per-endpoint statement counts (tests/queries) cover both backends in the
# workspace run already. PostgreSQL and Redis must be installed locally;
# scripts/services.sh starts them if stopped.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/services.sh
cargo test --workspace --locked "$@"
for backend in sqlite postgres; do
  echo "==> end-to-end suite on $backend"
  GATHERHUB_TEST_DATABASE=$backend cargo test --locked -p gatherhub-e2e --test api "$@"
done
