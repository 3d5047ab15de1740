#!/usr/bin/env bash
# Builds examples/echo_server and examples/conformance (release), starts the echo server on a
# free loopback port, runs the conformance suite against it, and stops the server.
# Usage: bash conformance/run.sh        (CONFORMANCE_FILTER=6.4. bash conformance/run.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --example echo_server --example conformance
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
bin="$target_dir/release/examples"
log=$(mktemp)
# Port 0: the kernel picks a free port; the server prints the address it listens on.
"$bin/echo_server" 127.0.0.1:0 >"$log" 2>&1 &
server=$!
cleanup() { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -f "$log"; }
trap cleanup EXIT
addr=
for _ in $(seq 1 100); do
  addr=$(grep -o 'listening on [0-9.]*:[0-9]*' "$log" | head -n 1 | sed 's/listening on //' || true)
  [ -n "$addr" ] && break
  kill -0 "$server" 2>/dev/null || { cat "$log"; echo "echo_server exited" >&2; exit 1; }
  sleep 0.1
done
[ -n "$addr" ] || { cat "$log"; echo "echo_server did not report its address" >&2; exit 1; }
echo "echo_server (pid $server) on $addr"
status=0
"$bin/conformance" "$addr" || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- echo_server log (last 40 lines)"
  tail -n 40 "$log"
fi
exit "$status"
