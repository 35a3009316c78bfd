#!/usr/bin/env bash
# Runs gatherhub-bench (release build) with the open-files limit raised to the
# hard limit: each WebSocket subscriber holds one descriptor in the bench and
# one in the server it starts. Arguments go to the bench, e.g.
#   crates/bench/run.sh fanout --subscribers 10000
set -euo pipefail
cd "$(dirname "$0")/../.."
ulimit -n "$(ulimit -Hn)"
exec cargo run --release --locked -p gatherhub-bench -- "$@"
