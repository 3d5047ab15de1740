#!/usr/bin/env bash
# Real-peer interop tests for wswire's examples. Run from anywhere: `bash interop/run.sh`.
#
# Installs what a fresh machine lacks (Node `ws` into interop/node_modules from the committed
# lock file, Python `websockets` into interop/.venv, Debian's chromium), builds the examples in
# release, then runs:
#   - Node ws and Python websockets clients against echo_server, echo_server_tokio, smol_echo
#     (the last two on the wswire-async adapter) and hyper_upgrade (sizes 0/125/126/65535/65536/1 MiB, text and binary, fragmented messages,
#     ping/pong, every valid close code echoed, abrupt disconnects the server must survive),
#     with permessage-deflate (RFC 7692) negotiated as each client offers it by default;
#   - the compression cases, sizes/fragments/ping/close against each server: Node ws with
#     perMessageDeflate variants (threshold 0, server/client_no_context_takeover, window bits
#     10/9 and 8/8, off) and Python websockets with compression None and with non-default
#     parameters; echo_server and hyper_upgrade with --no-deflate, echo_server and
#     echo_server_tokio with their own no-context-takeover and window-bits options (8 raised to
#     9). Every connection checks what was negotiated (no silent fallback to
#     uncompressed); echo_server's log says how many received messages were compressed;
#   - the `client` example against a Node ws and a Python websockets echo server (the same
#     cases from the other side, compressing every message), and against their variants;
#   - the adapter's `client_tokio` against the Node ws and Python websockets servers (sizes,
#     ping, close codes; with and without permessage-deflate);
#   - hyper_upgrade's plain HTTP routes;
#   - echo_server --handshake-timeout: a silent client and a 4 bytes/s request are closed at the
#     deadline, a prompt request still gets its 101 (interop/handshake_deadline_check.py)
#   - echo_server --protocol: raw handshakes offering subprotocols (interop/subprotocol_check.py,
#     which starts its own echo_server processes): the client's first offer among the
#     server's is selected, none without --protocol;
#   - echo_server and echo_server_tokio resident memory (interop/memory_check.py, their own
#     processes): started with --max-message 64 MiB, 16 connections each send a 63 MiB text
#     message compressed to 64 KiB and read the echo; idle afterwards, VmRSS has grown by at
#     most 16 MiB in total; with the default 1 MiB limit each bomb is refused with 1009;
#   - echo_server's GET /stats?id= (interop/stats_check.py, its own echo_server processes):
#     the demo page's per-connection byte counters, exact against raw frames, with and without
#     permessage-deflate; 404/400 for unknown or malformed ids; the table's cap;
#   - axum_app (wswire-async's axum extractor): Python websockets and Node ws check the 401
#     from its auth middleware, a broadcast both ways in a path-routed room, deflate and the
#     `chat` subprotocol agreed, a 426 refusal with its headers and text body
#     (interop/axum_check.py, interop/axum_check.mjs);
#   - chat (interop/chat_check.py): a broadcast reaches every member; while one member stops
#     reading, another gets all of a 24 MB flood in order and the stalled one is closed with 1008;
#   - wss both ways (interop/tls_check.py, interop/tls_check.mjs): Python's and Node's clients
#     against echo_server_tokio --tls-self-signed (certificate made at test time, trusted by
#     them), client_tokio --ca against Python's and Node's TLS servers with that certificate;
#   - headless Chromium loading echo_server's and echo_server_tokio's demo page (also over
#     https/wss, --ignore-certificate-errors), read back over DevTools in real time
#     (interop/chromium_page.py)
#     (permessage-deflate negotiated, the echoes right) and in echo_server's log (compressed),
#     and axum_app's page (two members of a room, broadcast both ways, the 401 refusal);
#   - h2_echo (HTTP/1.1 and HTTP/2 on one https port): Chromium loads its page over h2 and the
#     page's WebSocket is an extended CONNECT (RFC 8441): PASS, permessage-deflate, and the
#     server's log line for that WebSocket saying HTTP/2.
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
if ! { cargo build --release --example echo_server --example client &&
  cargo build --release -p wswire-async --features futures-io,axum,rustls,h2 --example echo_server_tokio \
    --example client_tokio --example smol_echo --example hyper_upgrade --example axum_app --example chat \
    --example h2_echo; } >"$SCRATCH/build.log" 2>&1; then
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
start smol_echo "$BIN/smol_echo" 127.0.0.1:0 || finish
SE=$ADDR
start echo_server_no_deflate "$BIN/echo_server" --no-deflate 127.0.0.1:0 || finish
ES_OFF=$ADDR
start echo_server_tuned "$BIN/echo_server" --deflate-no-context-takeover --deflate-window-bits 10 \
  --deflate-threshold 0 127.0.0.1:0 || finish
ES_TUNED=$ADDR
# A configured window of 8 bits is raised to 9 (zlib cannot compress with 8; see
# wswire::extensions::deflate), so the response must say server_max_window_bits=9.
start echo_server_tokio_tuned "$BIN/echo_server_tokio" --threads 1 --deflate-window-bits 8 \
  --deflate-no-context-takeover 127.0.0.1:0 || finish
ET_TUNED=$ADDR
start hyper_upgrade_no_deflate "$BIN/hyper_upgrade" --no-deflate 127.0.0.1:0 || finish
HU_OFF=$ADDR
start axum_app "$BIN/axum_app" --token letmein 127.0.0.1:0 || finish
AX=$ADDR
# wss: a certificate for localhost and 127.0.0.1 made at start-up (rcgen), written to $TLSDIR.
TLSDIR=$SCRATCH/tls
mkdir -p "$TLSDIR"
start echo_server_tokio_tls "$BIN/echo_server_tokio" --threads 1 --tls-self-signed "$TLSDIR" 127.0.0.1:0 || finish
ETLS=$ADDR
# HTTP/1.1 and HTTP/2 (RFC 8441) WebSockets on one https port (its own certificate).
mkdir -p "$SCRATCH/tls-h2"
start h2_echo "$BIN/h2_echo" --tls-self-signed "$SCRATCH/tls-h2" 127.0.0.1:0 || finish
H2E=$ADDR
start node_server node "$HERE/node_peer.mjs" server || finish
NS=$ADDR
start python_server "$PY" "$HERE/py_peer.py" server deflate || finish
PS=$ADDR
start python_server_none "$PY" "$HERE/py_peer.py" server none || finish
PS_NONE=$ADDR
start python_server_custom "$PY" "$HERE/py_peer.py" server custom || finish
PS_CUSTOM=$ADDR

# node_client LABEL URL [OPTIONS]: the Node ws client cases (see node_peer.mjs for OPTIONS).
node_client() {
  local label=$1 url=$2
  shift 2
  suite "node-ws client -> $label${*:+ ($*)}" node "$HERE/node_peer.mjs" client "$url" "$label" "$@"
}
# python_client LABEL URL [OPTIONS]: the Python websockets client cases (see py_peer.py).
python_client() {
  local label=$1 url=$2
  shift 2
  suite "python-websockets client -> $label${*:+ ($*)}" "$PY" "$HERE/py_peer.py" client "$url" "$label" "$@"
}

# --- Real clients against our servers -----------------------------------------------------------
# Every URL carries ?peer=TAG so that echo_server's log lines can be told apart (checked below).
for target in "echo_server ws://$ES/echo" "echo_server_tokio ws://$ET/echo" "smol_echo ws://$SE/echo" "hyper_upgrade ws://$HU/ws/echo"; do
  set -- $target
  note "node ws and python websockets clients -> $1"
  node_client "$1" "$2?peer=node"
  python_client "$1" "$2?peer=python"
  note "permessage-deflate variants: node ws and python websockets clients -> $1"
  for v in all snct cnct bits10-9 bits8 off; do
    node_client "$1" "$2?peer=node-$v" --pmd "$v" --quick
  done
  python_client "$1" "$2?peer=python-none" --compression none --quick
  python_client "$1" "$2?peer=python-custom" --compression custom --quick
done
note "node ws and python websockets clients -> servers with --no-deflate, and with their own deflate options"
node_client echo_server-no-deflate "ws://$ES_OFF/echo?peer=node" --expect none --quick
python_client echo_server-no-deflate "ws://$ES_OFF/echo?peer=python" --expect none --quick
node_client echo_server-tuned "ws://$ES_TUNED/echo?peer=node-all" --pmd all \
  --require server_no_context_takeover --require server_max_window_bits=10 --quick
python_client echo_server-tuned "ws://$ES_TUNED/echo?peer=python" --require server_no_context_takeover \
  --require server_max_window_bits=10 --quick
node_client echo_server_tokio-tuned "ws://$ET_TUNED/echo" --pmd all --require server_no_context_takeover \
  --require server_max_window_bits=9 --quick
node_client hyper_upgrade-no-deflate "ws://$HU_OFF/ws/echo" --expect none --quick
for s in echo_server echo_server_tokio smol_echo hyper_upgrade; do
  pid_var=${s}_pid
  if kill -0 "${!pid_var}" 2>/dev/null; then
    pass "$s still running after the abrupt disconnects"
  else
    fail "$s still running after the abrupt disconnects" "the process exited"
  fi
done

# --- Our client against real servers ----------------------------------------------------------
# client_suite NAME BASE QUICK SMALL LARGE FRAG [CLIENT ARGS...]: the `client` example's cases
# against the echo server at BASE/echo (BASE/abort drops the connection). QUICK=1: only sizes,
# fragments, ping and close 1000. SMALL / LARGE / FRAG: the --expect-compressed value for
# messages under 1024 bytes / of 1024 bytes or more / fragmented ones (SENT,RECEIVED).
client_suite() {
  local name=$1 base=$2 quick=$3 small=$4 large=$5 frag=$6
  shift 6
  local url=$base/echo kind flag n expect code
  for kind in text binary; do
    flag=
    [ "$kind" = binary ] && flag=--binary
    for n in 0 125 126 65535 65536 1048576; do
      expect=$small
      [ "$n" -ge 1024 ] && expect=$large
      our_client "client -> $name: $kind $n bytes" "$@" --expect-compressed "$expect" $flag \
        --expect-echo --size "$n" "$url"
    done
  done
  our_client "client -> $name: fragmented text (7-byte fragments, multibyte characters)" "$@" \
    --expect-compressed "$frag" --expect-echo --fragment 7 "$url" \
    "fragmented h$(printf '\xc3\xa9')llo w$(printf '\xc3\xb6')rld $(printf '\xe2\x9c\x93') in pieces"
  our_client "client -> $name: fragmented binary (1000-byte fragments, 70000 bytes)" "$@" \
    --expect-compressed "$frag" --expect-echo --binary --fragment 1000 --size 70000 "$url"
  our_client "client -> $name: ping answered with the same payload" "$@" --ping "are you there?" "$url"
  if [ "$quick" = 1 ]; then
    our_client "client -> $name: close 1000 echoed" "$@" --close 1000 --reason bye "$url"
    return
  fi
  for code in 1000 1001 1002 1003 1007 1008 1009 1010 1011 1012 1013 1014 3000 4999; do
    our_client "client -> $name: close $code echoed" "$@" --close "$code" --reason bye "$url"
  done
  our_client "client -> $name: peer drops the connection, reported as 1006" "$@" \
    --expect-close 1006 "$base/abort" "goodbye"
  our_client "client -> $name: peer still serves after the drop" "$@" --expect-echo "$url" "again"
}

# Both peers compress every message (Node: threshold 0; websockets has no threshold), and so
# does our client with --deflate-threshold 0: every data message both ways must be compressed.
ALL=(--deflate-threshold 0 --expect-extension permessage-deflate)
note "client example -> node-ws-server (permessage-deflate, every message compressed)"
client_suite node-ws-server "ws://$NS" 0 all,all all,all all,all "${ALL[@]}"
note "client example -> python-websockets-server (compression=\"deflate\")"
client_suite python-websockets-server "ws://$PS" 0 all,all all,all all,all "${ALL[@]}" \
  --expect-extension server_max_window_bits=12 --expect-extension client_max_window_bits=12

note "client example -> node-ws-server perMessageDeflate variants, python-websockets-server variants"
# ws's defaults and ours: a threshold of 1024 bytes. wswire sends smaller whole messages
# uncompressed (a streamed, i.e. fragmented, message is compressed whatever its size); ws
# applies its threshold only under no-context-takeover, so it compresses every echo here.
client_suite "node-ws-server (perMessageDeflate default)" "ws://$NS/v/default" 1 none,all all,all all,all \
  --expect-extension permessage-deflate
client_suite "node-ws-server (perMessageDeflate off)" "ws://$NS/v/off" 1 none,none none,none none,none \
  --expect-extension none
client_suite "node-ws-server (perMessageDeflate serverNoContextTakeover)" "ws://$NS/v/snct" 1 \
  all,all all,all all,all "${ALL[@]}" --expect-extension server_no_context_takeover
client_suite "node-ws-server (perMessageDeflate clientNoContextTakeover)" "ws://$NS/v/cnct" 1 \
  all,all all,all all,all "${ALL[@]}" --expect-extension client_no_context_takeover
client_suite "node-ws-server (perMessageDeflate serverMaxWindowBits 10, clientMaxWindowBits 9)" \
  "ws://$NS/v/bits10-9" 1 all,all all,all all,all "${ALL[@]}" \
  --expect-extension server_max_window_bits=10 --expect-extension client_max_window_bits=9
# Our window limited to 8 bits: wswire sends uncompressed (zlib cannot compress with 8); ws
# compresses with its 8-bit window, which wswire inflates.
client_suite "node-ws-server (perMessageDeflate serverMaxWindowBits 8, clientMaxWindowBits 8)" \
  "ws://$NS/v/bits8" 1 none,all none,all none,all "${ALL[@]}" \
  --expect-extension server_max_window_bits=8 --expect-extension client_max_window_bits=8
# Our own offer with every parameter.
OFFER="server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=9"
client_suite "node-ws-server (client offers: $OFFER)" "ws://$NS" 1 all,all all,all all,all \
  "${ALL[@]}" --deflate-offer "$OFFER" --expect-extension server_no_context_takeover \
  --expect-extension client_no_context_takeover --expect-extension server_max_window_bits=10 \
  --expect-extension client_max_window_bits=9
client_suite "python-websockets-server (compression=None)" "ws://$PS_NONE" 1 none,none none,none none,none \
  --expect-extension none
client_suite "python-websockets-server (no context takeover both ways, window bits 10/9)" \
  "ws://$PS_CUSTOM" 1 all,all all,all all,all "${ALL[@]}" \
  --expect-extension server_no_context_takeover --expect-extension client_no_context_takeover \
  --expect-extension server_max_window_bits=10 --expect-extension client_max_window_bits=9
client_suite "python-websockets-server (client offers: $OFFER)" "ws://$PS" 1 all,all all,all all,all \
  "${ALL[@]}" --deflate-offer "$OFFER" --expect-extension server_no_context_takeover \
  --expect-extension client_no_context_takeover --expect-extension client_max_window_bits=9

# --- The adapter's client (client_tokio) against real servers ---------------------------------
# adapter_client NAME ARGS...: one run of client_tokio (exits 0 when every echo matched).
adapter_client() {
  local name=$1
  shift
  local out
  if out=$(timeout 60 "$BIN/client_tokio" "$@" 2>&1); then
    pass "$name"
  else
    fail "$name" "$(tail -n 1 <<<"$out")"
  fi
}
# adapter_client_suite NAME URL [ARGS...]: sizes both ways, a ping, close codes.
adapter_client_suite() {
  local name=$1 url=$2 kind flag n code
  shift 2
  for kind in text binary; do
    flag=
    [ "$kind" = binary ] && flag=--binary
    for n in 0 125 126 65535 65536 1048576; do
      adapter_client "client_tokio -> $name: $kind $n bytes" "$@" $flag --size "$n" "$url"
    done
  done
  adapter_client "client_tokio -> $name: ping answered" "$@" --ping "are you there?" "$url"
  for code in 1000 1001 3000 4999; do
    adapter_client "client_tokio -> $name: close $code echoed" "$@" --close "$code" "$url"
  done
}
note "client_tokio (wswire-async) -> node-ws-server, python-websockets-server"
adapter_client_suite node-ws-server "ws://$NS/echo" --expect-extension permessage-deflate
adapter_client_suite "node-ws-server (perMessageDeflate off)" "ws://$NS/v/off/echo" --expect-extension none
adapter_client_suite "node-ws-server (client offers nothing)" "ws://$NS/echo" --no-deflate --expect-extension none
adapter_client_suite python-websockets-server "ws://$PS/echo" --expect-extension permessage-deflate
adapter_client_suite "python-websockets-server (compression=None)" "ws://$PS_NONE/echo" --expect-extension none

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

# --- axum_app: rooms behind an auth middleware, broadcast, refusals --------------------------
note "axum_app (wswire-async's axum extractor) <- python websockets, node ws"
suite "axum_app <- python" "$PY" "$HERE/axum_check.py" "$AX" letmein
suite "axum_app <- node" node "$HERE/axum_check.mjs" "$AX" letmein

# --- chat: broadcast with PreparedMessage, a stalled member let go -------------------------
note "chat (broadcast, slow-member policy) <- python websockets"
suite "chat <- python" "$PY" "$HERE/chat_check.py" "$BIN/chat"

# --- wss: TLS both ways (rustls on our side, a certificate made at test time) ---------------
note "wss: python websockets and node ws <-> echo_server_tokio --tls-self-signed, client_tokio --ca"
suite "wss <-> python" "$PY" "$HERE/tls_check.py" "$ETLS" "$TLSDIR" "$BIN/client_tokio"
suite "wss <-> node" node "$HERE/tls_check.mjs" "$ETLS" "$TLSDIR" "$BIN/client_tokio"

# --- echo_server --protocol: which subprotocol the 101 selects ------------------------------
note "echo_server --protocol (raw handshakes)"
suite "echo_server --protocol" "$PY" "$HERE/subprotocol_check.py" "$BIN/echo_server"

# --- echo_server's /stats: the demo page's wire and payload byte counters --------------------
note "echo_server /stats (raw frames, counted on both sides)"
suite "echo_server /stats" "$PY" "$HERE/stats_check.py" "$BIN/echo_server"

# --- echo_server's handshake deadline: silent and trickling clients are cut off -------------
note "echo_server handshake deadline (silent and 4 bytes/s clients)"
suite "echo_server handshake deadline" "$PY" "$HERE/handshake_deadline_check.py" "$BIN/echo_server"

# --- Resident memory after deflate bombs: 16 x 63 MiB inflated, then idle --------------------
note "echo_server and echo_server_tokio resident memory after 16 deflate bombs (VmRSS)"
suite "echo servers' memory after deflate bombs" "$PY" "$HERE/memory_check.py" "$BIN/echo_server" \
  "$BIN/echo_server_tokio"

# --- Headless Chromium against echo_server's demo page --------------------------------------
if [ -n "$chromium_pid" ]; then
  note "waiting for the chromium install"
  wait "$chromium_pid" || true
fi
if [ ! -x "$CHROMIUM" ]; then
  fail "chromium: demo page" "chromium is not installed: $(tail -n 1 "$SCRATCH/apt.log" 2>/dev/null)"
else
  # page_values URL ID...: the page's self-test read back over DevTools in real time
  # (interop/chromium_page.py); sets result, closed, extensions, step, http.
  page_values() {
    local out
    out=$(timeout 60 "$PY" "$HERE/chromium_page.py" "$CHROMIUM" "$@" 2>"$SCRATCH/chromium.log")
    result=$(sed -n 's/^result=//p' <<<"$out")
    closed=$(sed -n 's/^close=//p' <<<"$out")
    extensions=$(sed -n 's/^extensions=//p' <<<"$out")
    step=$(sed -n 's/^step=//p' <<<"$out")
    http=$(sed -n 's/^http=//p' <<<"$out")
  }
  # chromium_page NAME ADDR [SCHEME]: the demo page's self-test.
  chromium_page() {
    local name=$1 addr=$2 scheme=${3:-http} result closed extensions step
    note "chromium -> $name demo page"
    page_values "$scheme://$addr/" result close extensions
    if [ "${result%% *}" = PASS ]; then
      pass "chromium -> $name: demo page's text, binary and 4 KiB text echoed ($result)"
    else
      fail "chromium -> $name: demo page's text, binary and 4 KiB text echoed" "result '${result:-none}' $(tail -n 1 "$SCRATCH/chromium.log")"
    fi
    case $extensions in
      permessage-deflate*) pass "chromium -> $name: permessage-deflate negotiated (ws.extensions '$extensions')" ;;
      *) fail "chromium -> $name: permessage-deflate negotiated" "ws.extensions '${extensions:-none}'" ;;
    esac
    if [ "$closed" = "1000 clean" ]; then
      pass "chromium -> $name: clean close 1000"
    else
      fail "chromium -> $name: clean close 1000" "close '${closed:-none}'"
    fi
  }
  chromium_page echo_server "$ES"
  chromium_page echo_server_tokio "$ET"
  # The same page over https: its WebSocket is wss:// (the certificate is ours, made at start-up;
  # chromium_page.py passes --ignore-certificate-errors).
  chromium_page "echo_server_tokio over https/wss" "$ETLS" https
  # The page from h2_echo, whose TLS offers ALPN h2 and whose HTTP/2 SETTINGS enable the extended
  # CONNECT: the page comes over h2 and its WebSocket is an extended CONNECT on that connection,
  # as h2_echo's log line for it says.
  note "chromium -> h2_echo demo page over HTTP/2"
  page_values "https://$H2E/" result close extensions http
  if [ "${result%% *}" = PASS ] && [ "$http" = h2 ]; then
    pass "chromium -> h2_echo: the page over h2, its text, binary and 4 KiB text echoed ($result)"
  else
    fail "chromium -> h2_echo: the page over h2, its self-test echoed" "result '${result:-none}', page over '${http:-none}' $(tail -n 1 "$SCRATCH/chromium.log")"
  fi
  case $extensions in
    permessage-deflate*) pass "chromium -> h2_echo: permessage-deflate negotiated over HTTP/2 (ws.extensions '$extensions')" ;;
    *) fail "chromium -> h2_echo: permessage-deflate negotiated over HTTP/2" "ws.extensions '${extensions:-none}'" ;;
  esac
  # h2_echo's log line for the page's WebSocket names its transport.
  if grep -q '/echo?from=demo-page: WebSocket over HTTP/2, extensions: permessage-deflate' "$SCRATCH/h2_echo.log" &&
    grep -q '/echo?from=demo-page: WebSocket over HTTP/2 closed after 3 message' "$SCRATCH/h2_echo.log" &&
    [ "$closed" = "1000 clean" ]; then
    pass "chromium -> h2_echo: the server logs the page's WebSocket over HTTP/2, 3 messages, closed 1000"
  else
    fail "chromium -> h2_echo: the server logs the page's WebSocket over HTTP/2" "close '${closed:-none}'; log: $(grep -m2 'demo-page' "$SCRATCH/h2_echo.log" | tr '\n' ' ')"
  fi
  # axum_app's page: two members of a room, a broadcast each way, deflate, the 401 refusal.
  note "chromium -> axum_app page"
  page_values "http://$AX/?token=letmein" result step
  if [ "${result%% *}" = PASS ]; then
    pass "chromium -> axum_app: $result"
  else
    fail "chromium -> axum_app: broadcast, deflate, subprotocol, 401 refusal" "result '${result:-none}' after step '$step'"
  fi
fi

# --- echo_server's log: how many received messages were compressed -------------------------
# One line per connection, with its target (so the ?peer= tag) and `compressed C/M received`.
# compressed_log LOG TAG WANT: WANT all (every data message compressed), some (at least one),
# none (not one, of at least one).
compressed_log() {
  local log=$1 tag=$2 want=$3 name stats c m ok=
  name="$log log: data messages from the $tag client(s) received compressed: $want"
  stats=$(grep -F " WebSocket /echo?$tag " "$SCRATCH/$log.log" | grep -oE 'compressed [0-9]+/[0-9]+' |
    awk '{ split($2, a, "/"); c += a[1]; m += a[2] } END { print c + 0, m + 0 }')
  read -r c m <<<"$stats"
  case $want in
    all) [ "$m" -gt 0 ] && [ "$c" -eq "$m" ] && ok=1 ;;
    some) [ "$c" -gt 0 ] && ok=1 ;;
    none) [ "$m" -gt 0 ] && [ "$c" -eq 0 ] && ok=1 ;;
  esac
  if [ -n "$ok" ]; then
    pass "$name ($c of $m)"
  else
    fail "$name" "$c of $m compressed"
  fi
}
if [ -x "$CHROMIUM" ]; then
  # The line is written once the connection has ended (after the server's linger).
  for _ in $(seq 50); do
    grep -qF ' WebSocket /echo?from=demo-page ' "$SCRATCH/echo_server.log" && break
    sleep 0.1
  done
  compressed_log echo_server from=demo-page some
fi
note "echo_server logs"
sleep 0.5 # the last connections' lines
compressed_log echo_server peer=node some
compressed_log echo_server peer=python all
for v in all snct cnct bits10-9 bits8; do
  compressed_log echo_server "peer=node-$v" all
done
compressed_log echo_server peer=node-off none
compressed_log echo_server peer=python-none none
compressed_log echo_server peer=python-custom all
compressed_log echo_server_no_deflate peer=node none
compressed_log echo_server_no_deflate peer=python none
compressed_log echo_server_tuned peer=node-all all
compressed_log echo_server_tuned peer=python all

note "done"
finish
