"""What the raw-socket interop checks share (standard library only): PASS/FAIL reporting, an
`echo_server` process on port 0, masked client frames, frame reads, and the opening handshake
by hand (with its Sec-WebSocket-Accept checked)."""

import base64
import hashlib
import os
import queue
import re
import socket
import struct
import subprocess
import threading

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TIMEOUT = 5

failures = 0


def report(name, why=None):
    """Prints `PASS name`, or `FAIL name: why` and counts it in `failures`."""
    global failures
    if why:
        failures += 1
        print(f"FAIL {name}: {why}", flush=True)
    else:
        print(f"PASS {name}", flush=True)


class EchoProcess:
    """An echo_server process on 127.0.0.1:0 (extra arguments before the address); its output
    lines are queued by a thread (`None` at EOF); `addr` is where it listens."""

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

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

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


def masked_frame(opcode, payload, rsv1=False):
    """One final client frame (a fresh masking key), any length."""
    key = os.urandom(4)
    n = len(payload)
    if n < 126:
        length = bytes([0x80 | n])
    elif n < 65536:
        length = bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        length = bytes([0x80 | 127]) + struct.pack("!Q", n)
    mask = (key * (n // 4 + 1))[:n]
    body = (int.from_bytes(payload, "big") ^ int.from_bytes(mask, "big")).to_bytes(n, "big")
    return bytes([0x80 | (0x40 if rsv1 else 0) | opcode]) + length + key + body


def read_frame(sock):
    """One server frame: (first header byte, payload, bytes on the wire). Fails if masked."""
    b0, b1 = recv_exact(sock, 2)
    n, wire = b1 & 0x7F, 2
    if n == 126:
        (n,) = struct.unpack("!H", recv_exact(sock, 2))
        wire += 2
    elif n == 127:
        (n,) = struct.unpack("!Q", recv_exact(sock, 8))
        wire += 8
    if b1 & 0x80:
        raise ValueError("the server masked a frame")
    return b0, recv_exact(sock, n), wire + n


def handshake(addr, target, extra_lines=()):
    """Sends an opening request (plus `extra_lines`, one header line each) and reads the
    response head; checks its Sec-WebSocket-Accept, and that no bytes follow the head.
    Returns the socket, the status line and the headers (lower-case names, every value)."""
    key = base64.b64encode(os.urandom(16))
    lines = [
        f"GET {target} HTTP/1.1",
        f"Host: {addr[0]}:{addr[1]}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key.decode()}",
        "Sec-WebSocket-Version: 13",
        *extra_lines,
    ]
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
