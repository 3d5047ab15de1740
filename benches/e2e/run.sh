#!/usr/bin/env bash
# End-to-end echo benchmark (issue 5): wswire-async's examples/echo_server_tokio (the adapter) against echo servers
# on fastwebsockets, tokio-websockets and tokio-tungstenite, all driven by the same load
# generator (src/bin/loadgen.rs, a fastwebsockets client).
#
#   benches/e2e/run.sh                 # full matrix (192 runs), ~13 minutes
#   CONNS="16" SIZES="1024" ROUNDS=1 benches/e2e/run.sh     # one cell, both kinds
#
# For every (conns, size, kind) cell, each server in turn: the server is started pinned to core 0
# (`taskset -c 0`, a tokio current-thread runtime: one core), the load generator pinned to core
# 1. The kind is binary (Binary messages) or text (Text messages of valid, mostly ASCII UTF-8,
# echoed as Text). After WARMUP seconds, the load generator marks a window of DURATION
# seconds; at its exact start and end it reads the server's utime and stime (user and system
# time) from /proc/<server pid>/stat (a separate thread, so the marks are on time; 10 ms
# ticks), and divides the differences by the round trips completed inside the window: server
# CPU µs per echoed message, user, sys and total. The servers of one cell run back to back
# (interleaved, not one server's whole matrix after another's), so a change of machine load
# hits them alike; with ROUNDS > 1 the whole matrix is repeated and each number is the median
# over the rounds. Raw lines go to $OUT/raw.txt, the table (table.py) to stdout and
# $OUT/table.md, the chart (chart.py) to $OUT/e2e.svg.
#
# Environment: CONNS (default "1 16 100"), SIZES (default "20 1024 16384 65536"), KINDS
# (default "binary text"), WARMUP (1), DURATION (3), ROUNDS (2), SERVERS (default "wswire
# fastwebsockets tokio-websockets tokio-tungstenite floor"; floor is src/bin/echo_floor.rs, the
# cost of the frames' reads, writes and unmasking with no WebSocket rules: a lower bound), CARGO_TARGET_DIR (/work/target-e2e),
# WSWIRE_TARGET_DIR (/work/target-e2e-main), OUT (a new temporary directory),
# CARGO_BUILD_JOBS (1).
# Traffic stays on 127.0.0.1; every wait is bounded; all processes are killed on exit.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CONNS=${CONNS:-"1 16 100"}
SIZES=${SIZES:-"20 1024 16384 65536"}
KINDS=${KINDS:-"binary text"}
WARMUP=${WARMUP:-1}
DURATION=${DURATION:-3}
ROUNDS=${ROUNDS:-2}
SERVERS=${SERVERS:-"wswire fastwebsockets tokio-websockets tokio-tungstenite floor"}
export CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-1}
E2E_TARGET=${CARGO_TARGET_DIR:-/work/target-e2e}
WSWIRE_TARGET=${WSWIRE_TARGET_DIR:-/work/target-e2e-main}
for kind in $KINDS; do
    case "$kind" in
        binary | text) ;;
        *) echo "KINDS: unknown kind $kind (binary or text)" >&2; exit 2 ;;
    esac
done
OUT=${OUT:-$(mktemp -d /tmp/wswire-e2e.XXXXXX)}
mkdir -p "$OUT"
SERVER_CORE=0
CLIENT_CORE=1
PORT=19400

SERVER_PID=""
cleanup() {
    if [[ -n "$SERVER_PID" ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=""
    fi
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

echo "building (release) ..." >&2
# Every server with the same release profile: lto = "fat", codegen-units = 1 (benches/e2e's
# [profile.release], given to the wswire build as --config overrides).
(cd "$ROOT" && CARGO_TARGET_DIR="$WSWIRE_TARGET" cargo build --release --quiet \
    --config 'profile.release.lto="fat"' --config profile.release.codegen-units=1 \
    -p wswire-async --example echo_server_tokio)
(cd "$HERE" && CARGO_TARGET_DIR="$E2E_TARGET" cargo build --release --quiet --bins)
LOADGEN="$E2E_TARGET/release/loadgen"

# The command of each server; the listen address is appended as the last argument.
server_cmd() {
    case "$1" in
        # --threads 1: the current-thread runtime the example recommends when pinned to one
        # core; --quiet: no log line per connection.
        wswire) echo "$WSWIRE_TARGET/release/examples/echo_server_tokio --threads 1 --quiet" ;;
        fastwebsockets) echo "$E2E_TARGET/release/echo_fastwebsockets" ;;
        tokio-websockets) echo "$E2E_TARGET/release/echo_tokio_websockets" ;;
        tokio-tungstenite) echo "$E2E_TARGET/release/echo_tungstenite" ;;
        # Not a contender: the cost of moving the frames with no WebSocket rules at all
        # (src/bin/echo_floor.rs), a lower bound for every server; it answers only the timed
        # runs' traffic, so the behaviour check skips it.
        floor) echo "$E2E_TARGET/release/echo_floor" ;;
        *) echo "unknown server $1" >&2; return 1 ;;
    esac
}

# Starts server $1 on 127.0.0.1:$PORT pinned to the server core; waits (at most 5 s) for its
# "listening" line. Sets SERVER_PID.
start_server() {
    local log="$OUT/server.log"
    : >"$log"
    # shellcheck disable=SC2046
    taskset -c "$SERVER_CORE" $(server_cmd "$1") "127.0.0.1:$PORT" >"$log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 100); do
        if grep -q "listening" "$log"; then return 0; fi
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then break; fi
        sleep 0.05
    done
    echo "server $1 did not start:" >&2
    cat "$log" >&2
    return 1
}

{
    echo "# $(date -u +%FT%TZ) $(uname -r) $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
    # The server is wswire-async's example on the core: both crates' sources count.
    echo "# wswire $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- src examples wswire-async/src wswire-async/examples || echo ' (+ uncommitted changes in src/, examples/ or wswire-async/)')"
    echo "# conns=[$CONNS] sizes=[$SIZES] kinds=[$KINDS] warmup=${WARMUP}s duration=${DURATION}s rounds=$ROUNDS"
    echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT/raw.txt" >&2

# Behaviour first: text as text, binary as binary (the benchmark's payloads of both kinds at
# every size among them), fragments, ping, close.
for server in $SERVERS; do
    [[ "$server" == floor ]] && continue
    PORT=$((PORT + 1))
    start_server "$server"
    if ! timeout 20 taskset -c "$CLIENT_CORE" "$LOADGEN" --check "127.0.0.1:$PORT" >"$OUT/check-$server.txt" 2>&1; then
        echo "behaviour check failed for $server:" >&2
        cat "$OUT/check-$server.txt" >&2
        exit 1
    fi
    cleanup
done
echo "behaviour check passed for: ${SERVERS/floor/}" >&2

limit=$(awk -v w="$WARMUP" -v d="$DURATION" 'BEGIN { print int(w + d + 30) }')
for round in $(seq "$ROUNDS"); do
    for conns in $CONNS; do
        for size in $SIZES; do
            for kind in $KINDS; do
                for server in $SERVERS; do
                    PORT=$((PORT + 1))
                    start_server "$server"
                    line=$(timeout "$limit" taskset -c "$CLIENT_CORE" "$LOADGEN" \
                        --conns "$conns" --size "$size" --kind "$kind" --warmup "$WARMUP" \
                        --duration "$DURATION" --server-pid "$SERVER_PID" "127.0.0.1:$PORT" |
                        grep '^RESULT') || {
                        echo "load generator failed: $server kind=$kind conns=$conns size=$size" >&2
                        exit 1
                    }
                    cleanup
                    echo "round=$round server=$server load1=$(cut -d' ' -f1 /proc/loadavg) ${line#RESULT }" |
                        tee -a "$OUT/raw.txt" >&2
                done
            done
        done
    done
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/raw.txt" >&2

python3 "$HERE/table.py" "$OUT/raw.txt" "$SERVERS" | tee "$OUT/table.md"
python3 "$HERE/chart.py" "$OUT/raw.txt" "$OUT/e2e.svg"
echo "raw results: $OUT/raw.txt; table: $OUT/table.md; chart: $OUT/e2e.svg" >&2
