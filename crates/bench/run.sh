#!/usr/bin/env bash
# Builds gatherhub-bench and the gatherhub server (release), raises the
# open-files limit to the hard limit (each WebSocket subscriber holds one
# descriptor in the bench and one in the server), and runs the bench with the
# given arguments, e.g.
#   crates/bench/run.sh http
#   crates/bench/run.sh http --backends sqlite --duration-secs 5
#   crates/bench/run.sh fanout --subscribers 10000
# Honours CARGO_TARGET_DIR: the binaries are run from where cargo built them.
set -euo pipefail
cd "$(dirname "$0")/../.."
ulimit -n "$(ulimit -Hn)"
cargo build --release --locked -p gatherhub-server -p gatherhub-bench
exec "${CARGO_TARGET_DIR:-target}/release/gatherhub-bench" "$@"
