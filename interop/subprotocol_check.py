"""echo_server's --protocol, end to end over loopback with raw handshakes (standard library only).

    python3 interop/subprotocol_check.py PATH/TO/echo_server

Starts `echo_server --protocol chat --protocol superchat 127.0.0.1:0` and a plain
`echo_server 127.0.0.1:0`, then for each case sends an opening handshake by hand over TCP
and checks the 101: its Sec-WebSocket-Accept, and that Sec-WebSocket-Protocol names the first
subprotocol the client offered (in the client's order) among the server's, or is absent when
there is none (always, without --protocol). Each connection then echoes one masked text
message and closes 1000, and the server's per-connection log line must name the protocol.
Also: a --protocol value that is not a token, or a missing one, is refused with status 2.

Prints one line per case, "PASS name" or "FAIL name: why"; exits 1 if any failed. Takes about
a second (interop/run.sh runs it).
"""

import base64
import hashlib
import os
import queue
import re
import socket
import struct
import subprocess
import sys
import threading
import time

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TIMEOUT = 5

failures = 0


def report(name, why=None):
    global failures
    if why:
        failures += 1
        print(f"FAIL {name}: {why}", flush=True)
    else:
        print(f"PASS {name}", flush=True)


class Server:
    """An echo_server process; its stdout lines are collected by a thread."""

    def __init__(self, binary, *args):
        self.proc = subprocess.Popen(
            [binary, *args, "127.0.0.1:0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        first = self.lines.get(timeout=TIMEOUT)
        m = re.search(r"listening on (127\.0\.0\.1):(\d+)", first or "")
        if not m:
            self.stop()
            raise RuntimeError(f"no address printed: {first!r}")
        self.addr = (m.group(1), int(m.group(2)))
        self.seen = []

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def log_line(self, needle):
        """The log line containing `needle` (written when the connection has ended)."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            for line in self.seen:
                if needle in line:
                    return line
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                return None
            if line is None:
                return None
            self.seen.append(line)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def recv_exact(sock, n):
    out = b""
    while len(out) < n:
        chunk = sock.recv(n - len(out))
        if not chunk:
            raise ConnectionError(f"EOF after {len(out)} of {n} bytes")
        out += chunk
    return out


def masked_frame(opcode, payload):
    key = os.urandom(4)
    body = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    assert len(payload) < 126
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + key + body


def read_frame(sock):
    b0, b1 = recv_exact(sock, 2)
    n = b1 & 0x7F
    if n == 126:
        (n,) = struct.unpack("!H", recv_exact(sock, 2))
    elif n == 127:
        (n,) = struct.unpack("!Q", recv_exact(sock, 8))
    if b1 & 0x80:
        raise ValueError("the server masked a frame")
    return b0 & 0x0F, recv_exact(sock, n)


def handshake(addr, target, protocol_lines):
    """Sends a request offering `protocol_lines` (one header line each); returns the socket,
    the response's status line and its headers (lower-case names, every value per name)."""
    key = base64.b64encode(os.urandom(16))
    lines = [
        f"GET {target} HTTP/1.1",
        f"Host: {addr[0]}:{addr[1]}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key.decode()}",
        "Sec-WebSocket-Version: 13",
    ] + [f"Sec-WebSocket-Protocol: {v}" for v in protocol_lines]
    sock = socket.create_connection(addr, timeout=TIMEOUT)
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError(f"EOF in the response head: {head!r}")
        head += chunk
    head, rest = head.split(b"\r\n\r\n", 1)
    if rest:
        raise ValueError(f"bytes after the 101 head before any message: {rest!r}")
    status, *fields = head.decode("latin-1").split("\r\n")
    headers = {}
    for f in fields:
        name, _, value = f.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    want = base64.b64encode(hashlib.sha1(key + GUID).digest()).decode()
    if headers.get("sec-websocket-accept") != [want]:
        raise ValueError(f"Sec-WebSocket-Accept {headers.get('sec-websocket-accept')}, expected {want}")
    return sock, status, headers


def case(server, n, offers, expected):
    """One connection offering `offers`; the 101 must select `expected` (None: no header)."""
    name = f"echo_server {server.label}: offers {offers or 'none'} -> {expected or 'no subprotocol'}"
    target = f"/echo?case={n}"
    try:
        sock, status, headers = handshake(server.addr, target, offers)
        with sock:
            if not status.startswith("HTTP/1.1 101"):
                return report(name, f"status {status!r}")
            got = headers.get("sec-websocket-protocol")
            if got != ([expected] if expected else None):
                return report(name, f"Sec-WebSocket-Protocol {got}")
            sock.sendall(masked_frame(0x1, b"hello"))
            if read_frame(sock) != (0x1, b"hello"):
                return report(name, "text not echoed")
            sock.sendall(masked_frame(0x8, struct.pack("!H", 1000) + b"bye"))
            opcode, payload = read_frame(sock)
            if opcode != 0x8 or payload[:2] != struct.pack("!H", 1000):
                return report(name, f"close not echoed: {opcode} {payload!r}")
        line = server.log_line(f" WebSocket {target} ")
        if line is None:
            return report(name, "no log line for the connection")
        if server.label == "without --protocol":
            if "[protocol:" in line:
                return report(name, f"log line names a protocol: {line}")
        elif f"[protocol: {expected or 'none'}]" not in line:
            return report(name, f"log line: {line}")
        report(f"{name} (log: ...{line[line.index(' WebSocket '):][:80]}...)")
    except (OSError, ValueError) as e:
        report(name, f"{type(e).__name__}: {e}")


def refused(binary, args, needle):
    name = f"echo_server {' '.join(args)}: refused with status 2"
    try:
        p = subprocess.run([binary, *args], capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return report(name, "did not exit")
    if p.returncode != 2 or needle not in p.stderr:
        return report(name, f"status {p.returncode}, stderr {p.stderr!r}")
    report(name)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    binary = sys.argv[1]
    servers = []
    try:
        with_protocols = Server(binary, "--protocol", "chat", "--protocol", "superchat")
        with_protocols.label = "--protocol chat --protocol superchat"
        servers.append(with_protocols)
        plain = Server(binary)
        plain.label = "without --protocol"
        servers.append(plain)
        n = 0
        for server, offers, expected in [
            # The client's order decides, not the order of --protocol.
            (with_protocols, ["superchat, chat"], "superchat"),
            (with_protocols, ["chat, superchat"], "chat"),
            (with_protocols, ["v2.other, chat"], "chat"),
            # Offers on several header lines are one list, in order.
            (with_protocols, ["v2.other", "superchat", "chat"], "superchat"),
            (with_protocols, ["v2.other"], None),
            (with_protocols, [], None),
            (plain, ["chat, superchat"], None),
            (plain, [], None),
        ]:
            n += 1
            case(server, n, offers, expected)
    except (OSError, RuntimeError, queue.Empty) as e:
        report("echo_server start", f"{type(e).__name__}: {e}")
    finally:
        for s in servers:
            s.stop()
    refused(binary, ["--protocol", "chat/v2", "127.0.0.1:0"], "not a token")
    refused(binary, ["--protocol", "chat", "--protocol", "chat", "127.0.0.1:0"], "twice")
    refused(binary, ["--protocol"], "--protocol needs a subprotocol name")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
