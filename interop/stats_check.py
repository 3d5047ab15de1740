"""echo_server's GET /stats?id=ID, end to end over loopback with raw frames (standard library only).

    python3 interop/stats_check.py PATH/TO/echo_server

Starts `echo_server 127.0.0.1:0` and checks the counters the demo page shows, against bytes
counted here on the client's side of the socket:
- a connection without extensions (`/echo?id=...`): a text and a binary message, then the
  exact wire_in / wire_out / data_wire_* / payload_* / messages figures, and the JSON's field
  set;
- one with permessage-deflate (no context takeover both ways, so each message is deflated
  on its own here with zlib): 64 KiB of compressible text goes compressed and comes back
  compressed, and compressed_in / compressed_out and the compressed sizes match;
- after the closing handshake, "open" turns false;
- unknown id: 404 {"error":"unknown id"}; no or malformed id: 400.
Then, on a fresh server, the table's bound: with 256 connections open the next one goes
uncounted (404), and once one closes, a new one takes the place of the oldest closed one.

Prints one line per case, "PASS name" or "FAIL name: why"; exits 1 if any failed. Takes a few
seconds (interop/run.sh runs it).
"""

import http.client
import json
import os
import struct
import sys
import time
import zlib

import rawws
from rawws import TIMEOUT, masked_frame, report

CAPACITY = 256  # support/stats.rs
FIELDS = {
    "id", "open", "extensions", "protocol", "messages", "payload_in", "payload_out",
    "wire_in", "wire_out", "data_wire_in", "data_wire_out", "compressed_in", "compressed_out",
}

class Server(rawws.EchoProcess):
    """An echo_server process with a /stats client."""

    def get(self, path):
        """GET `path`: (status, parsed JSON body or the raw text)."""
        conn = http.client.HTTPConnection(*self.addr, timeout=TIMEOUT)
        try:
            conn.request("GET", path)
            r = conn.getresponse()
            body = r.read().decode()
            try:
                return r.status, json.loads(body)
            except ValueError:
                return r.status, body
        finally:
            conn.close()

    def stats_until(self, sid, want, wait=TIMEOUT):
        """Polls /stats?id=sid until every (key, value) of `want` holds: the last answer, and
        whether it did. (The counters are published right after the echo is written, so a
        poll can overtake them by a hair.)"""
        deadline = time.monotonic() + wait
        while True:
            status, body = self.get(f"/stats?id={sid}")
            ok = status == 200 and isinstance(body, dict) and all(body.get(k) == v for k, v in want.items())
            if ok or time.monotonic() > deadline:
                return status, body, ok
            time.sleep(0.05)


def read_frame(sock):
    """(opcode, rsv1, payload, bytes on the wire) of one whole (FIN) server frame."""
    b0, payload, wire = rawws.read_frame(sock)
    if not b0 & 0x80:
        raise ValueError("a fragmented echo (not expected for these sizes)")
    return b0 & 0x0F, bool(b0 & 0x40), payload, wire


def handshake(addr, target, extensions=None):
    """A clean 101 (see rawws.handshake), offering `extensions` if given: (socket, head)."""
    extra = [f"Sec-WebSocket-Extensions: {extensions}"] if extensions else []
    sock, status, headers = rawws.handshake(addr, target, extra)
    if not status.startswith("HTTP/1.1 101"):
        sock.close()
        raise ValueError(f"not a 101: {status!r}")
    head = status + "".join(f"\r\n{k}: {v}" for k, vs in headers.items() for v in vs)
    return sock, head


def close(sock):
    sock.sendall(masked_frame(0x8, struct.pack("!H", 1000) + b"done"))
    opcode, _, _, _ = read_frame(sock)
    if opcode != 0x8:
        raise ValueError(f"opcode {opcode} instead of the close echo")
    sock.close()


def deflate(data):
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    out = c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(b"\x00\x00\xff\xff")
    return out[:-4]


def inflate(data):
    d = zlib.decompressobj(-15)
    return d.decompress(data + b"\x00\x00\xff\xff")


def plain(server):
    name = "echo_server /stats: exact counts without extensions"
    sid = "plain-" + os.urandom(4).hex()
    sock, _ = handshake(server.addr, f"/echo?id={sid}&from=stats-check")
    sent = [masked_frame(0x1, b"hello"), masked_frame(0x2, os.urandom(300))]
    wire_out = 0
    for frame in sent:
        sock.sendall(frame)
        _, _, _, wire = read_frame(sock)
        wire_out += wire
    want = {
        "id": sid, "open": True, "extensions": "", "protocol": None, "messages": 2,
        "payload_in": 305, "payload_out": 305, "data_wire_in": 305, "data_wire_out": 305,
        "wire_in": sum(map(len, sent)), "wire_out": wire_out, "compressed_in": 0, "compressed_out": 0,
    }
    status, body, ok = server.stats_until(sid, want)
    if not ok:
        report(name, f"{status} {body}, expected {want}")
    elif set(body) != FIELDS:
        report(name, f"fields {sorted(body)}, expected {sorted(FIELDS)}")
    else:
        report(f"{name} ({json.dumps(body)})")
    close(sock)
    status, body, ok = server.stats_until(sid, {"open": False})
    report("echo_server /stats: open turns false after the close", None if ok else f"{status} {body}")


def compressed(server):
    name = "echo_server /stats: permessage-deflate, 64 KiB compressible text each way"
    sid = "deflate-" + os.urandom(4).hex()
    sock, head = handshake(
        server.addr,
        f"/echo?id={sid}",
        "permessage-deflate; client_no_context_takeover; server_no_context_takeover",
    )
    if "permessage-deflate" not in head:
        sock.close()
        return report(name, f"not negotiated: {head!r}")
    text = b"".join(b"line %d: wswire echoes this text back, deflated.\n" % i for i in range(2000))[:65536]
    small = b"tiny"  # under the server's 1 KiB threshold: its echo goes uncompressed
    frames = [masked_frame(0x1, deflate(text), rsv1=True), masked_frame(0x1, deflate(small), rsv1=True)]
    data_in = len(deflate(text)) + len(deflate(small))
    echoes = []
    for frame in frames:
        sock.sendall(frame)
        echoes.append(read_frame(sock))
    (_, rsv_big, big, wire_big), (_, rsv_small, tiny, wire_small) = echoes
    got_big = inflate(big) if rsv_big else big
    got_small = inflate(tiny) if rsv_small else tiny
    if got_big != text or got_small != small or not rsv_big or rsv_small:
        sock.close()
        return report(name, f"echoes: compressed {rsv_big}/{rsv_small}, right {got_big == text}/{got_small == small}")
    want = {
        "messages": 2, "payload_in": len(text) + len(small), "payload_out": len(text) + len(small),
        "wire_in": sum(map(len, frames)), "data_wire_in": data_in,
        "wire_out": wire_big + wire_small, "data_wire_out": len(big) + len(tiny),
        "compressed_in": 2, "compressed_out": 1,
    }
    status, body, ok = server.stats_until(sid, want)
    if not ok:
        report(name, f"{status} {body}, expected {want}")
    elif not body["extensions"].startswith("permessage-deflate"):
        report(name, f"extensions {body['extensions']!r}")
    else:
        report(f"{name} (payload {body['payload_in']} B in {body['data_wire_in']} B on the wire)")
    close(sock)


def refusals(server):
    for path, status, error in [
        ("/stats?id=no-such-connection", 404, "unknown id"),
        ("/stats", 400, None),
        ("/stats?id=", 400, None),
        ("/stats?id=has%20space", 400, None),
        ("/stats?id=" + "x" * 65, 400, None),
    ]:
        name = f"echo_server GET {path[:40]} -> {status} JSON"
        got, body = server.get(path)
        if got != status or not isinstance(body, dict) or (error and body.get("error") != error):
            report(name, f"{got} {body!r}")
        else:
            report(name)


def bounded(binary):
    name = f"echo_server /stats: at most {CAPACITY} ids, the oldest closed one makes room"
    server = Server(binary)
    socks = []
    try:
        for i in range(CAPACITY):
            socks.append(handshake(server.addr, f"/echo?id=cap-{i}")[0])
        extra, _ = handshake(server.addr, "/echo?id=cap-extra")
        extra.close()
        first, _ = server.get("/stats?id=cap-0")
        over, _ = server.get("/stats?id=cap-extra")
        close(socks.pop(0))
        _, _, closed = server.stats_until("cap-0", {"open": False})
        late, _ = handshake(server.addr, "/echo?id=cap-late")
        now_late, _ = server.get("/stats?id=cap-late")
        now_first, _ = server.get("/stats?id=cap-0")
        late.close()
        if (first, over, closed, now_late, now_first) != (200, 404, True, 200, 404):
            report(name, f"cap-0 {first}, one over {over}, cap-0 closed {closed}, later {now_late}, cap-0 then {now_first}")
        else:
            report(name)
    finally:
        for s in socks:
            s.close()
        server.stop()


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    binary = sys.argv[1]
    try:
        server = Server(binary)
    except (OSError, RuntimeError, queue.Empty) as e:
        report("echo_server start", f"{type(e).__name__}: {e}")
        sys.exit(1)
    try:
        for check in (plain, compressed, refusals):
            try:
                check(server)
            except (OSError, ValueError) as e:
                report(f"echo_server /stats: {check.__name__}", f"{type(e).__name__}: {e}")
    finally:
        server.stop()
    try:
        bounded(binary)
    except (OSError, RuntimeError, ValueError, queue.Empty) as e:
        report("echo_server /stats: bounded", f"{type(e).__name__}: {e}")
    sys.exit(1 if rawws.failures else 0)


if __name__ == "__main__":
    main()
