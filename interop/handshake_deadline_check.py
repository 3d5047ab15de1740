"""echo_server's opening-handshake deadline over loopback (standard library only).

    python3 interop/handshake_deadline_check.py PATH/TO/echo_server

Starts `echo_server --handshake-timeout 1.5 127.0.0.1:0`, then checks that the server closes
the TCP connection at the deadline — not before, and not much after — for a client that
connects and sends nothing, and for one that trickles a valid upgrade request at 4 bytes per
second; and that a request sent in time is still answered with 101. Each closed connection's
log line must say why. Prints "PASS name" or "FAIL name: why" per case; exits 1 if any failed.
Takes about 5 seconds (interop/run.sh runs it).
"""

import queue
import socket
import sys
import threading
import time

import rawws
from subprotocol_check import Server, report

DEADLINE = 1.5
REQUEST = (
    b"GET /trickle HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
    b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    b"Sec-WebSocket-Version: 13\r\n\r\n"
)


def closed_after(sock, send=None):
    """Seconds until the server closes `sock` (reads EOF or a reset); `send` runs beside."""
    start = time.monotonic()
    if send:
        threading.Thread(target=send, daemon=True).start()
    sock.settimeout(DEADLINE + 5)
    try:
        while sock.recv(4096):
            pass
    except (ConnectionResetError, socket.timeout):
        pass
    return time.monotonic() - start


used = set()


def new_log_line(server, needle):
    """A log line containing `needle` that no earlier case has claimed."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        while True:  # collect what has been printed so far
            try:
                line = server.lines.get_nowait()
            except queue.Empty:
                break
            if line is not None:
                server.seen.append(line)
        for i, line in enumerate(server.seen):
            if i not in used and needle in line:
                used.add(i)
                return line
        time.sleep(0.05)
    return None


def check_closed(name, server, elapsed, needle):
    if elapsed < DEADLINE - 0.1:
        report(name, f"closed after {elapsed:.2f} s, before the {DEADLINE} s deadline")
    elif elapsed > DEADLINE + 1.0:
        report(name, f"closed after {elapsed:.2f} s, long after the {DEADLINE} s deadline")
    elif not new_log_line(server, needle):
        report(name, f"no log line saying {needle!r}")
    else:
        report(f"{name} (closed after {elapsed:.2f} s)")


def main():
    binary = sys.argv[1]
    server = Server(binary, "--handshake-timeout", str(DEADLINE))
    try:
        # 1. Connects, sends nothing.
        sock = socket.create_connection(server.addr)
        check_closed(
            "a silent client is closed at the handshake deadline",
            server,
            closed_after(sock),
            "no request within the handshake deadline",
        )
        sock.close()

        # 2. A valid request, trickled: 4 bytes per second would take ~40 s.
        sock = socket.create_connection(server.addr)

        def trickle():
            try:
                for i in range(0, len(REQUEST), 4):
                    sock.sendall(REQUEST[i : i + 4])
                    time.sleep(1.0)
            except OSError:
                pass  # the server has closed: that is the point

        check_closed(
            "a request trickled at 4 bytes/s is cut off at the deadline",
            server,
            closed_after(sock, trickle),
            "within the handshake deadline",
        )
        sock.close()

        # 3. In time: the 101 comes back.
        sock = socket.create_connection(server.addr)
        sock.settimeout(5)
        sock.sendall(REQUEST.replace(b"/trickle", b"/in-time"))
        head = sock.recv(4096)
        if head.startswith(b"HTTP/1.1 101 "):
            report("a request sent in time is answered with 101")
        else:
            report("a request sent in time is answered with 101", f"got {head[:40]!r}")
        sock.close()
    finally:
        server.stop()
    sys.exit(1 if rawws.failures else 0)


if __name__ == "__main__":
    main()
