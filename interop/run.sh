#!/usr/bin/env bash
# Real-peer interop tests for wswire's examples. Run from anywhere: `bash interop/run.sh`.
#
# Installs what a fresh machine lacks (Node `ws` into interop/node_modules from the committed
# lock file, Python `websockets` into interop/.venv, Debian's chromium), builds the examples in
# release, then runs:
#   - Node ws and Python websockets clients against echo_server, echo_server_tokio and
#     hyper_upgrade (sizes 0/125/126/65535/65536/1 MiB, text and binary, fragmented messages,
#     ping/pong, every valid close code echoed, abrupt disconnects the server must survive);
#   - the `client` example against a Node ws and a Python websockets echo server (the same
#     cases from the other side);
#   - hyper_upgrade's plain HTTP routes;
#   - headless Chromium loading echo_server's demo page, checked in the dumped DOM.
# One line per case (`PASS name` / `FAIL name: why`), then `N passed, M failed`; exits 1 if
# any case failed. Lines starting with `#` are progress notes. Every server it starts is
# killed on exit.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
HERE=$ROOT/interop
SCRATCH=$(mktemp -d)
passed=0
failed=0
PIDS=()

note() { echo "# $* (t=${SECONDS}s)"; }
pass() {
  echo "PASS $1"
  passed=$((passed + 1))
}
fail() {
  echo "FAIL $1: $2"
  failed=$((failed + 1))
}
finish() {
  if [ "$failed" -gt 0 ]; then
    for f in "$SCRATCH"/*.log; do
      [ -f "$f" ] || continue
      echo "# --- last lines of $(basename "$f")"
      tail -n 15 "$f" | sed 's/^/#   /'
    done
  fi
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit $?
}
cleanup() {
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null
  done
  wait 2>/dev/null
  rm -rf "$SCRATCH"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi
}

# --- Install (chromium in the background, while the examples build) -------------------------
CHROMIUM=/usr/bin/chromium
chromium_pid=
if [ ! -x "$CHROMIUM" ]; then
  note "installing chromium (apt-get)"
  (
    as_root apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium
  ) >"$SCRATCH/apt.log" 2>&1 &
  chromium_pid=$!
fi

note "installing node ws (npm ci) and python websockets (venv + pip)"
if ! (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error) >"$SCRATCH/npm.log" 2>&1; then
  fail "setup: npm ci in interop/" "$(tail -n 1 "$SCRATCH/npm.log")"
  finish
fi
VENV=$HERE/.venv
if ! "$VENV/bin/python" -c 'import websockets' 2>/dev/null ||
  ! "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$HERE/requirements.txt" >/dev/null 2>&1; then
  if ! { python3 -m venv "$VENV" &&
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$HERE/requirements.txt"; } >"$SCRATCH/pip.log" 2>&1; then
    fail "setup: pip install -r interop/requirements.txt" "$(tail -n 1 "$SCRATCH/pip.log")"
    finish
  fi
fi
PY=$VENV/bin/python

# --- Build -------------------------------------------------------------------------------------
note "building the examples (release)"
if ! cargo build --release --features http \
  --example echo_server --example echo_server_tokio --example client --example hyper_upgrade \
  >"$SCRATCH/build.log" 2>&1; then
  fail "build: cargo build --release --examples" "$(grep -m1 -E '^error' "$SCRATCH/build.log")"
  finish
fi
TARGET=$(cargo metadata --format-version 1 --no-deps | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
BIN=$TARGET/release/examples

# --- Servers (each binds port 0 and prints its address) -------------------------------------
# start NAME COMMAND...: starts a server, waits for its address line; sets ADDR.
start() {
  local name=$1
  shift
  "$@" >"$SCRATCH/$name.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  eval "${name}_pid=$pid"
  ADDR=
  for _ in $(seq 100); do
    ADDR=$(grep -m1 -oE '(127\.0\.0\.1:[0-9]+|^PORT [0-9]+)' "$SCRATCH/$name.log" | head -n 1 | sed 's/^PORT /127.0.0.1:/')
    [ -n "$ADDR" ] && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  fail "start $name" "no address printed: $(tail -n 1 "$SCRATCH/$name.log")"
  return 1
}

# suite LABEL COMMAND...: a peer program that prints PASS/FAIL lines itself.
suite() {
  local label=$1
  shift
  local out rc
  out=$(timeout 180 "$@" 2>"$SCRATCH/suite.err")
  rc=$?
  while IFS= read -r line; do
    case $line in
      "PASS "*) pass "${line#PASS }" ;;
      "FAIL "*)
        echo "$line"
        failed=$((failed + 1))
        ;;
    esac
  done <<<"$out"
  if [ "$rc" -ne 0 ] && ! grep -q '^FAIL ' <<<"$out"; then
    fail "$label" "exited with $rc: $(tail -n 1 "$SCRATCH/suite.err")"
  fi
}

# our_client NAME ARGS...: one run of the `client` example (it exits 0 when all it checked held).
our_client() {
  local name=$1
  shift
  local out
  if out=$(timeout 60 "$BIN/client" --quiet --wait 10 "$@" 2>&1); then
    pass "$name"
  else
    fail "$name" "$(grep -m1 -E 'NOT the echo|expected|error|failed|nothing|no close' <<<"$out" || tail -n 1 <<<"$out")"
  fi
}

note "starting servers"
start echo_server "$BIN/echo_server" 127.0.0.1:0 || finish
ES=$ADDR
start echo_server_tokio "$BIN/echo_server_tokio" --threads 2 127.0.0.1:0 || finish
ET=$ADDR
start hyper_upgrade "$BIN/hyper_upgrade" 127.0.0.1:0 || finish
HU=$ADDR
start node_server node "$HERE/node_peer.mjs" server || finish
NS=$ADDR
start python_server "$PY" "$HERE/py_peer.py" server || finish
PS=$ADDR

# --- Real clients against our servers -----------------------------------------------------------
for target in "echo_server ws://$ES/echo" "echo_server_tokio ws://$ET/echo" "hyper_upgrade ws://$HU/ws/echo"; do
  set -- $target
  note "node ws and python websockets clients -> $1"
  suite "node-ws client -> $1" node "$HERE/node_peer.mjs" client "$2" "$1"
  suite "python-websockets client -> $1" "$PY" "$HERE/py_peer.py" client "$2" "$1"
done
for s in echo_server echo_server_tokio hyper_upgrade; do
  pid_var=${s}_pid
  if kill -0 "${!pid_var}" 2>/dev/null; then
    pass "$s still running after the abrupt disconnects"
  else
    fail "$s still running after the abrupt disconnects" "the process exited"
  fi
done

# --- Our client against real servers ----------------------------------------------------------
for peer in "node-ws-server $NS" "python-websockets-server $PS"; do
  set -- $peer
  name=$1
  url=ws://$2/echo
  note "client example -> $name"
  for kind in text binary; do
    flag=
    [ "$kind" = binary ] && flag=--binary
    for n in 0 125 126 65535 65536 1048576; do
      our_client "client -> $name: $kind $n bytes" $flag --expect-echo --size "$n" "$url"
    done
  done
  our_client "client -> $name: fragmented text (7-byte fragments, multibyte characters)" \
    --expect-echo --fragment 7 "$url" "fragmented h$(printf '\xc3\xa9')llo w$(printf '\xc3\xb6')rld $(printf '\xe2\x9c\x93') in pieces"
  our_client "client -> $name: fragmented binary (1000-byte fragments, 70000 bytes)" \
    --expect-echo --binary --fragment 1000 --size 70000 "$url"
  our_client "client -> $name: ping answered with the same payload" --ping "are you there?" "$url"
  for code in 1000 1001 1002 1003 1007 1008 1009 1010 1011 1012 1013 1014 3000 4999; do
    our_client "client -> $name: close $code echoed" --close "$code" --reason bye "$url"
  done
  our_client "client -> $name: peer drops the connection, reported as 1006" \
    --expect-close 1006 "ws://$2/abort" "goodbye"
  our_client "client -> $name: peer still serves after the drop" --expect-echo "$url" "again"
done

# --- hyper_upgrade: ordinary HTTP beside the WebSocket route ---------------------------------
note "hyper_upgrade HTTP routes"
http_case() { # NAME PATH STATUS [BODY]
  local got
  got=$(curl -s -o "$SCRATCH/body" -w '%{http_code}' "http://$HU$2")
  if [ "$got" != "$3" ]; then
    fail "$1" "status $got, expected $3"
  elif [ -n "${4:-}" ] && ! grep -q "$4" "$SCRATCH/body"; then
    fail "$1" "body lacks '$4'"
  else
    pass "$1"
  fi
}
http_case "hyper_upgrade: GET / is ordinary HTTP (200)" / 200 "/ws/echo"
http_case "hyper_upgrade: GET /health (200 ok)" /health 200 ok
http_case "hyper_upgrade: unknown path (404)" /nope 404
http_case "hyper_upgrade: /ws/echo without Upgrade is refused by wswire (400)" /ws/echo 400 "Upgrade"

# --- Headless Chromium against echo_server's demo page --------------------------------------
if [ -n "$chromium_pid" ]; then
  note "waiting for the chromium install"
  wait "$chromium_pid" || true
fi
if [ ! -x "$CHROMIUM" ]; then
  fail "chromium: demo page" "chromium is not installed: $(tail -n 1 "$SCRATCH/apt.log" 2>/dev/null)"
else
  note "chromium -> echo_server demo page"
  profile=$(mktemp -d -p "$SCRATCH")
  # --virtual-time-budget lets the page's WebSocket exchange finish before the DOM is dumped.
  timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --virtual-time-budget=10000 --dump-dom "http://$ES/" \
    >"$SCRATCH/dom.html" 2>"$SCRATCH/chromium.log"
  result=$(grep -o '<span id="result">[^<]*' "$SCRATCH/dom.html" | sed 's/.*>//')
  closed=$(grep -o '<span id="close">[^<]*' "$SCRATCH/dom.html" | sed 's/.*>//')
  if [ "${result%% *}" = PASS ]; then
    pass "chromium -> echo_server: demo page's text and binary echoed ($result)"
  else
    fail "chromium -> echo_server: demo page's text and binary echoed" "result '${result:-no DOM}'"
  fi
  if [ "$closed" = "1000 clean" ]; then
    pass "chromium -> echo_server: clean close 1000"
  else
    fail "chromium -> echo_server: clean close 1000" "close '${closed:-none}'"
  fi
fi

note "done"
finish
