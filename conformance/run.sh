#!/usr/bin/env bash
# Builds the echo servers, the echo clients and examples/conformance (release), then runs the
# conformance suite in both roles, each without and with permessage-deflate:
#   server role: for each server, starts it on a free loopback port, runs the suite against
#   it, and stops it:
#   - echo_server        (the core driven over std::net, examples/echo_server.rs)
#   - echo_server_tokio  (the wswire-async adapter over tokio, wswire-async/examples/)
#   - smol_echo          (the wswire-async adapter over futures-io, run by smol)
#   client role: the suite listens on a free port and starts the client once per case:
#   - echo_client         (the core's client Connection over std::net, examples/echo_client.rs)
#   - client_tokio --echo (the wswire-async adapter as a client, tokio)
#   and over wss (CONFORMANCE_WSS=0 to skip): echo_server_tokio --tls-self-signed and
#   client_tokio --echo --ca, the suite reaching them through tls_tunnel.
# With deflate, echo_server, echo_client and client_tokio compress every message
# (--deflate-threshold 0), echo_server_tokio and smol_echo only those of 1 KiB and more (their
# default).
# Usage: bash conformance/run.sh        (CONFORMANCE_FILTER=6.4. bash conformance/run.sh;
#        CONFORMANCE_SERVERS="echo_server" / CONFORMANCE_CLIENTS="" to run fewer;
#        CONFORMANCE_DEFLATE_MODES="off" or "on" for one mode)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --example echo_server --example echo_client --example conformance
cargo build --release -p wswire-async --features futures-io,rustls --example echo_server_tokio --example smol_echo --example client_tokio --example tls_tunnel
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
bin="$target_dir/release/examples"
log=$(mktemp)
out=$(mktemp)
summary=$(mktemp)
server=
cleanup() {
  [ -n "$server" ] && { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }
  rm -f "$log" "$out" "$summary"
}
trap cleanup EXIT

# suite LABEL ARGS...: runs examples/conformance with ARGS, output to stdout, and notes its
# counts under LABEL; returns the suite's status.
suite() {
  local label=$1
  shift
  local status=0
  "$bin/conformance" "$@" | tee "$out" || status=$?
  printf '%-40s %s\n' "$label" "$(tail -n 1 "$out")" >>"$summary"
  return "$status"
}

# against DEFLATE NAME ARGS...: the suite against one server (DEFLATE: on or off).
against() {
  local deflate=$1 name=$2
  shift 2
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
  echo "=== server $name $* (pid $server) on $addr, deflate $deflate"
  local status=0 flag=()
  [ "$deflate" = on ] && flag=(--deflate)
  suite "server $name, deflate $deflate" "${flag[@]}" "$addr" || status=$?
  if [ "$status" -ne 0 ]; then
    echo "--- $name log (last 40 lines)"
    tail -n 40 "$log"
  fi
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  server=
  return "$status"
}

# as_client DEFLATE NAME ARGS...: the suite with the client NAME ARGS under test.
as_client() {
  local deflate=$1 name=$2
  shift 2
  echo "=== client $name $*, deflate $deflate"
  local flag=()
  [ "$deflate" = on ] && flag=(--deflate)
  suite "client $name, deflate $deflate" "${flag[@]}" --client-cmd "$bin/$name $*"
}

failed=0
# The suite's largest messages are 4 MiB (cases 9.x, 10.1.5), above the 1 MiB default limit:
# every endpoint under test is told to accept up to 16 MiB.
limit=(--max-message 16777216)
for deflate in ${CONFORMANCE_DEFLATE_MODES:-off on}; do
  for name in ${CONFORMANCE_SERVERS-echo_server echo_server_tokio smol_echo}; do
    case $name/$deflate in
      echo_server/on) args=(--deflate-threshold 0) ;;
      echo_server_tokio/*) args=(--threads 1 --quiet) ;;
      *) args=() ;;
    esac
    against "$deflate" "$name" "${limit[@]}" "${args[@]}" || failed=$((failed + 1))
  done
  for name in ${CONFORMANCE_CLIENTS-echo_client client_tokio}; do
    args=()
    [ "$name" = client_tokio ] && args=(--echo)
    [ "$deflate" = on ] && args+=(--deflate-threshold 0)
    as_client "$deflate" "$name" "${limit[@]}" "${args[@]}" || failed=$((failed + 1))
  done
done
# Over wss (TLS by rustls on our side; a certificate made at start-up): the suite speaks plain
# TCP through wswire-async's tls_tunnel, byte for byte.
#   server role: suite -> tunnel (plain in, TLS out) -> echo_server_tokio --tls-self-signed
#   client role: client_tokio --echo --ca -> tunnel (TLS in, plain out) -> suite
if [ "${CONFORMANCE_WSS:-1}" = 1 ]; then
  tlsdir=$(mktemp -d)
  "$bin/echo_server_tokio" --threads 1 --quiet "${limit[@]}" --tls-self-signed "$tlsdir" 127.0.0.1:0 >"$log.tls" 2>&1 &
  tls_server=$!
  tunnels=()
  wait_addr() { # FILE: the first 127.0.0.1:PORT the process writing FILE printed
    local a=
    for _ in $(seq 1 100); do
      a=$(grep -o '127\.0\.0\.1:[0-9]*' "$1" | head -n 1 || true)
      [ -n "$a" ] && break
      sleep 0.1
    done
    echo "$a"
  }
  tls_addr=$(wait_addr "$log.tls")
  "$bin/tls_tunnel" --to-tls "localhost:${tls_addr##*:}" --ca "$tlsdir/cert.pem" 127.0.0.1:0 >"$log.t1" 2>&1 &
  tunnels+=($!)
  plain_addr=$(wait_addr "$log.t1")
  # The suite's port for the client role, picked free now and given to the tunnel.
  listen_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$bin/tls_tunnel" --from-tls "$tlsdir/cert.pem" "$tlsdir/key.pem" --to "127.0.0.1:$listen_port" 127.0.0.1:0 >"$log.t2" 2>&1 &
  tunnels+=($!)
  wss_addr=$(wait_addr "$log.t2")
  for deflate in ${CONFORMANCE_DEFLATE_MODES:-off on}; do
    flag=()
    [ "$deflate" = on ] && flag=(--deflate)
    echo "=== server echo_server_tokio over wss (tunnel $plain_addr -> $tls_addr), deflate $deflate"
    suite "server echo_server_tokio over wss, deflate $deflate" "${flag[@]}" "$plain_addr" || failed=$((failed + 1))
    args=(--echo "${limit[@]}" --ca "$tlsdir/cert.pem")
    [ "$deflate" = on ] && args+=(--deflate-threshold 0)
    echo "=== client client_tokio over wss (tunnel $wss_addr -> 127.0.0.1:$listen_port), deflate $deflate"
    suite "client client_tokio over wss, deflate $deflate" "${flag[@]}" --listen "127.0.0.1:$listen_port" \
      --client-url "wss://localhost:${wss_addr##*:}" --client-cmd "$bin/client_tokio ${args[*]}" ||
      failed=$((failed + 1))
  done
  kill "$tls_server" "${tunnels[@]}" 2>/dev/null || true
  wait "$tls_server" "${tunnels[@]}" 2>/dev/null || true
  rm -rf "$tlsdir" "$log.tls" "$log.t1" "$log.t2"
fi
echo "=== summary"
cat "$summary"
[ "$failed" -eq 0 ] || { echo "conformance failed in $failed run(s)" >&2; exit 1; }
