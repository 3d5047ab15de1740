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
#   and over HTTP/2 (CONFORMANCE_H2=0 to skip): h2_echo (both HTTPs on one TLS port) over
#   HTTP/2 through h2_bridge --to-h2 and over HTTP/1.1 through tls_tunnel, and
#   client_tokio --h2 --echo through h2_bridge --from-h2.
# With deflate, echo_server, echo_client and client_tokio compress every message
# (--deflate-threshold 0), echo_server_tokio and smol_echo only those of 1 KiB and more (their
# default).
# Usage: bash conformance/run.sh        (CONFORMANCE_FILTER=6.4. bash conformance/run.sh;
#        CONFORMANCE_SERVERS="echo_server" / CONFORMANCE_CLIENTS="" to run fewer;
#        CONFORMANCE_DEFLATE_MODES="off" or "on" for one mode)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --example echo_server --example echo_client --example conformance
cargo build --release -p wswire-async --features futures-io,h2 --example echo_server_tokio --example smol_echo --example client_tokio --example tls_tunnel --example h2_echo --example h2_bridge
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

wait_addr() { # FILE: the first 127.0.0.1:PORT the process writing FILE printed
  local a=
  for _ in $(seq 1 100); do
    a=$(grep -o '127\.0\.0\.1:[0-9]*' "$1" | head -n 1 || true)
    [ -n "$a" ] && break
    sleep 0.1
  done
  echo "$a"
}

free_port() { # a loopback port free now (for the suite's listener in the client role)
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

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
  tls_addr=$(wait_addr "$log.tls")
  "$bin/tls_tunnel" --to-tls "localhost:${tls_addr##*:}" --ca "$tlsdir/cert.pem" 127.0.0.1:0 >"$log.t1" 2>&1 &
  tunnels+=($!)
  plain_addr=$(wait_addr "$log.t1")
  # The suite's port for the client role, picked free now and given to the tunnel.
  listen_port=$(free_port)
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
# Over HTTP/2 (RFC 8441): h2_echo serves WebSockets over HTTP/1.1 (Upgrade) and HTTP/2
# (extended CONNECT) on one TLS port. h2_bridge answers the suite's HTTP/1.1 handshake with
# the far side's answer to the same offer (Sec-WebSocket-Extensions passed through both
# ways), then copies the bytes unchanged, so the suite's checks are of the far end.
#   server role, HTTP/2:   suite -> h2_bridge --to-h2 (an extended CONNECT per case) -> h2_echo
#   server role, HTTP/1.1: suite -> tls_tunnel --to-tls (no ALPN: HTTP/1.1) -> h2_echo
#   client role, HTTP/2:   client_tokio --h2 --echo --ca -> h2_bridge --from-h2 -> suite
if [ "${CONFORMANCE_H2:-1}" = 1 ]; then
  h2dir=$(mktemp -d)
  mkdir "$h2dir/echo" "$h2dir/bridge"
  h2_pids=()
  "$bin/h2_echo" "${limit[@]}" --tls-self-signed "$h2dir/echo" 127.0.0.1:0 >"$h2dir/h2_echo.log" 2>&1 &
  h2_pids+=($!)
  echo_addr=$(wait_addr "$h2dir/h2_echo.log")
  [ -n "$echo_addr" ] || { cat "$h2dir/h2_echo.log"; echo "h2_echo did not start" >&2; exit 1; }
  "$bin/h2_bridge" --to-h2 "wss://localhost:${echo_addr##*:}" --ca "$h2dir/echo/cert.pem" 127.0.0.1:0 >"$h2dir/to.log" 2>&1 &
  h2_pids+=($!)
  to_addr=$(wait_addr "$h2dir/to.log")
  "$bin/tls_tunnel" --to-tls "localhost:${echo_addr##*:}" --ca "$h2dir/echo/cert.pem" 127.0.0.1:0 >"$h2dir/tunnel.log" 2>&1 &
  h2_pids+=($!)
  h1_addr=$(wait_addr "$h2dir/tunnel.log")
  h2_listen=$(free_port)
  "$bin/h2_bridge" --from-h2 --tls-self-signed "$h2dir/bridge" --to "127.0.0.1:$h2_listen" 127.0.0.1:0 >"$h2dir/from.log" 2>&1 &
  h2_pids+=($!)
  from_addr=$(wait_addr "$h2dir/from.log")
  for deflate in ${CONFORMANCE_DEFLATE_MODES:-off on}; do
    flag=()
    [ "$deflate" = on ] && flag=(--deflate)
    echo "=== server h2_echo over HTTP/2 (h2_bridge $to_addr -> $echo_addr), deflate $deflate"
    suite "server h2_echo over HTTP/2, deflate $deflate" "${flag[@]}" "$to_addr" || failed=$((failed + 1))
    echo "=== server h2_echo over HTTP/1.1 (tls_tunnel $h1_addr -> $echo_addr), deflate $deflate"
    suite "server h2_echo over HTTP/1.1, deflate $deflate" "${flag[@]}" "$h1_addr" || failed=$((failed + 1))
    args=(--h2 --echo "${limit[@]}" --ca "$h2dir/bridge/cert.pem")
    [ "$deflate" = on ] && args+=(--deflate-threshold 0)
    echo "=== client client_tokio over HTTP/2 (h2_bridge $from_addr -> 127.0.0.1:$h2_listen), deflate $deflate"
    suite "client client_tokio over HTTP/2, deflate $deflate" "${flag[@]}" --listen "127.0.0.1:$h2_listen" \
      --client-url "wss://localhost:${from_addr##*:}" --client-cmd "$bin/client_tokio ${args[*]}" ||
      failed=$((failed + 1))
  done
  # h2_echo logs each WebSocket's transport: both must have carried the server-role runs.
  over_h2=$(grep -c ': WebSocket over HTTP/2, ' "$h2dir/h2_echo.log" || true)
  over_h1=$(grep -c ': WebSocket over HTTP/1.1, ' "$h2dir/h2_echo.log" || true)
  echo "=== h2_echo served $over_h2 WebSocket(s) over HTTP/2 and $over_h1 over HTTP/1.1"
  if [ "$over_h2" -eq 0 ] || [ "$over_h1" -eq 0 ]; then
    echo "h2_echo did not see both transports" >&2
    failed=$((failed + 1))
  fi
  if [ "$failed" -ne 0 ]; then
    for f in h2_echo to from; do
      echo "--- $f log (last 20 lines)"
      tail -n 20 "$h2dir/$f.log"
    done
  fi
  kill "${h2_pids[@]}" 2>/dev/null || true
  wait "${h2_pids[@]}" 2>/dev/null || true
  rm -rf "$h2dir"
fi
echo "=== summary"
cat "$summary"
[ "$failed" -eq 0 ] || { echo "conformance failed in $failed run(s)" >&2; exit 1; }
