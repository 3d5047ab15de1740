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

import queue
import struct
import subprocess
import sys
import time

import rawws
from rawws import TIMEOUT, masked_frame, report

class Server(rawws.EchoProcess):
    """An echo_server process whose per-connection log lines can be looked up."""

    def __init__(self, binary, *args):
        super().__init__(binary, *args)
        self.seen = []

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


def read_frame(sock):
    """(opcode, payload) of one server frame."""
    b0, payload, _ = rawws.read_frame(sock)
    return b0 & 0x0F, payload


def handshake(addr, target, protocol_lines):
    """Offers `protocol_lines` (one Sec-WebSocket-Protocol line each); see rawws.handshake."""
    return rawws.handshake(addr, target, [f"Sec-WebSocket-Protocol: {v}" for v in protocol_lines])


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
    sys.exit(1 if rawws.failures else 0)


if __name__ == "__main__":
    main()
