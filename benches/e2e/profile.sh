#!/usr/bin/env bash
# One cell of the end-to-end benchmark under `perf record`, to see where a server's CPU goes:
#
#   benches/e2e/profile.sh SERVER CONNS SIZE KIND OUT.data
#   perf report -i OUT.data --no-children --sort dso,sym --stdio
#
# SERVER is a name run.sh knows (wswire, fastwebsockets, tokio-websockets, tokio-tungstenite),
# built as run.sh builds it (run it once first). The server is pinned to core 0, the load
# generator to core 1; after 1.5 s, perf samples the server at 4999 Hz for 3 s (PERF_FLAGS adds
# e.g. -g). Prints the load generator's RESULT line (CPU per message while perf ran: perf's own
# overhead is in it, so compare servers profiled alike, not with run.sh's figures).
set -euo pipefail
[[ $# -eq 5 ]] || { sed -n 2,12p "$0" >&2; exit 2; }
E2E_TARGET=${CARGO_TARGET_DIR:-/work/target-e2e}
WSWIRE_TARGET=${WSWIRE_TARGET_DIR:-/work/target-e2e-main}
case "$1" in
    wswire) cmd="$WSWIRE_TARGET/release/examples/echo_server_tokio --threads 1 --quiet" ;;
    fastwebsockets) cmd="$E2E_TARGET/release/echo_fastwebsockets" ;;
    tokio-websockets) cmd="$E2E_TARGET/release/echo_tokio_websockets" ;;
    tokio-tungstenite) cmd="$E2E_TARGET/release/echo_tungstenite" ;;
    floor) cmd="$E2E_TARGET/release/echo_floor" ;;
    *) echo "unknown server $1" >&2; exit 2 ;;
esac
PORT=$((19000 + RANDOM % 300))
log=$(mktemp)
# shellcheck disable=SC2086
taskset -c 0 $cmd "127.0.0.1:$PORT" >"$log" 2>&1 &
SERVER_PID=$!
trap 'kill $SERVER_PID 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 100); do grep -q listening "$log" && break; sleep 0.05; done
timeout 30 taskset -c 1 "$E2E_TARGET/release/loadgen" --conns "$2" --size "$3" --kind "$4" \
    --warmup 1 --duration 5 --server-pid "$SERVER_PID" "127.0.0.1:$PORT" >"$log.load" 2>&1 &
LOAD_PID=$!
sleep 1.5
# shellcheck disable=SC2086
perf record -F 4999 ${PERF_FLAGS:-} -p "$SERVER_PID" -o "$5" -- sleep 3 >/dev/null 2>&1
wait "$LOAD_PID"
grep '^RESULT' "$log.load"
rm -f "$log.load"
