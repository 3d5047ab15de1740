#!/usr/bin/env bash
# Builds the echo servers and examples/conformance (release), then, for each server, starts it
# on a free loopback port, runs the conformance suite against it, and stops it:
#   - echo_server        (the core driven over std::net, examples/echo_server.rs)
#   - echo_server_tokio  (the wswire-async adapter over tokio, wswire-async/examples/)
#   - smol_echo          (the wswire-async adapter over futures-io, run by smol)
# Usage: bash conformance/run.sh        (CONFORMANCE_FILTER=6.4. bash conformance/run.sh;
#        CONFORMANCE_SERVERS="echo_server" to run one)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --example echo_server --example conformance
cargo build --release -p wswire-async --features futures-io --example echo_server_tokio --example smol_echo
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
bin="$target_dir/release/examples"
log=$(mktemp)
server=
cleanup() {
  [ -n "$server" ] && { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }
  rm -f "$log"
}
trap cleanup EXIT

# against NAME ARGS...: the suite against one server; returns the suite's status.
against() {
  local name=$1
  shift
  # Port 0: the kernel picks a free port; the server prints the address it listens on.
  "$bin/$name" "$@" 127.0.0.1:0 >"$log" 2>&1 &
  server=$!
  local addr=
  for _ in $(seq 1 100); do
    addr=$(grep -o 'listening on [0-9.]*:[0-9]*' "$log" | head -n 1 | sed 's/listening on //' || true)
    [ -n "$addr" ] && break
    kill -0 "$server" 2>/dev/null || { cat "$log"; echo "$name exited" >&2; return 1; }
    sleep 0.1
  done
  [ -n "$addr" ] || { cat "$log"; echo "$name did not report its address" >&2; return 1; }
  echo "=== $name $* (pid $server) on $addr"
  local status=0
  "$bin/conformance" "$addr" || status=$?
  if [ "$status" -ne 0 ]; then
    echo "--- $name log (last 40 lines)"
    tail -n 40 "$log"
  fi
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  server=
  return "$status"
}

failed=0
for name in ${CONFORMANCE_SERVERS:-echo_server echo_server_tokio smol_echo}; do
  case $name in
    echo_server_tokio) against "$name" --threads 1 --quiet || failed=$((failed + 1)) ;;
    *) against "$name" || failed=$((failed + 1)) ;;
  esac
done
[ "$failed" -eq 0 ] || { echo "conformance failed against $failed server(s)" >&2; exit 1; }
