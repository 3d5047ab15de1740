"""An echo server's resident memory after deflate "bombs" (Linux, standard library only).

    python3 interop/memory_check.py PATH/TO/echo_server [PATH/TO/echo_server_tokio ...]

For each server binary, twice:
- started with `--max-message 67108864` (64 MiB): opens 16 connections offering
  permessage-deflate, and on each sends one text message of 63 MiB compressed to ~64 KiB and
  reads the echo back (inflated and checked); then, with all 16 connections still open and
  idle, checks that the server's VmRSS (/proc/PID/status) grew by at most 16 MiB in total over
  what it was before the first connection;
- started with the default limits (1 MiB): the same 16 bombs are each refused with a Close
  carrying 1009 (RFC 6455 §7.4.1, message too big) once 1 MiB is inflated, and VmRSS grows
  by at most 16 x (1 MiB + 128 KiB), what the limit allows (with the old 64 MiB default it
  was 16 x 63 MiB). The receiver frees the 1 MiB at once (tests/recv_memory.rs, case 4:
  8 KiB live after the error), but in echo_server, a thread per connection, glibc keeps each
  thread's freed 1 MiB block resident in that thread's arena (with MALLOC_ARENA_MAX=1 the
  growth was 2.2 MiB), so resident memory, unlike live memory, reaches the limit's figure.
Prints "PASS name" or "FAIL name: why" per check; exits 1 if any failed. Takes a few seconds
per server (interop/run.sh runs it).
"""

import sys
import time
import zlib

import rawws

CONNECTIONS = 16
MESSAGE = 63 << 20
MAX_GROWTH = 16 << 20


def vm_rss(pid):
    """The process's resident set in bytes."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def bomb():
    """MESSAGE bytes of text as one permessage-deflate payload (RFC 7692 §7.2.1)."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = b"a" * (1 << 20)
    out = b"".join(c.compress(chunk) for _ in range(MESSAGE >> 20))
    out += c.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(b"\x00\x00\xff\xff")
    return out[:-4]


def read_message(sock):
    """One data message (fragments joined): (compressed?, payload)."""
    b0, payload, _ = rawws.read_frame(sock)
    rsv1, parts = bool(b0 & 0x40), [payload]
    while not b0 & 0x80:
        b0, payload, _ = rawws.read_frame(sock)
        parts.append(payload)
    return rsv1, b"".join(parts)


def echo_bomb(addr, payload, i):
    """Opens a connection, sends the bomb, checks the echo; returns the open socket."""
    sock, status, headers = rawws.handshake(
        addr, f"/memory?id={i}", ["Sec-WebSocket-Extensions: permessage-deflate"]
    )
    if " 101 " not in status + " ":
        raise ValueError(f"no 101: {status}")
    agreed = headers.get("sec-websocket-extensions", [""])[0]
    if "permessage-deflate" not in agreed:
        raise ValueError(f"permessage-deflate not agreed: {headers}")
    sock.settimeout(60)
    sock.sendall(rawws.masked_frame(0x1, payload, rsv1=True))
    rsv1, data = read_message(sock)
    if rsv1:
        data = zlib.decompressobj(-15).decompress(data + b"\x00\x00\xff\xff")
    if len(data) != MESSAGE or data[:1] != b"a" or data[-1:] != b"a":
        raise ValueError(f"echo of {len(data)} bytes, expected {MESSAGE}")
    return sock


def refused_bomb(addr, payload, i):
    """Opens a connection, sends the bomb, expects a Close with 1009; returns the socket."""
    sock, status, headers = rawws.handshake(
        addr, f"/memory?id={i}", ["Sec-WebSocket-Extensions: permessage-deflate"]
    )
    if " 101 " not in status + " ":
        raise ValueError(f"no 101: {status}")
    sock.settimeout(60)
    try:
        sock.sendall(rawws.masked_frame(0x1, payload, rsv1=True))
    except OSError:
        pass  # the server may stop reading once it has refused; its Close is still queued
    b0, data, _ = rawws.read_frame(sock)
    if b0 & 0x0F != 0x8 or data[:2] != (1009).to_bytes(2, "big"):
        raise ValueError(f"expected Close 1009, got opcode {b0 & 0x0F} {data[:2]!r}")
    return sock


def check(binary, payload, args, limit, per_connection, max_growth):
    name = (
        f"{binary.rsplit('/', 1)[-1]} ({limit}): {CONNECTIONS} connections x one 63 MiB "
        f"deflate bomb, then idle"
    )
    server = rawws.EchoProcess(binary, *args)
    socks = []
    try:
        time.sleep(0.2)
        before = vm_rss(server.proc.pid)
        for i in range(CONNECTIONS):
            socks.append(per_connection(server.addr, payload, i))
        time.sleep(0.5)
        after = vm_rss(server.proc.pid)
        growth = after - before
        print(f"  {name}: VmRSS {before >> 10} KiB -> {after >> 10} KiB (+{growth >> 10} KiB)")
        rawws.report(name, None if growth <= max_growth else f"grew by {growth >> 10} KiB")
    except Exception as e:  # noqa: BLE001 - reported as a failure
        rawws.report(name, f"{type(e).__name__}: {e}")
    finally:
        for s in socks:
            s.close()
        server.stop()


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    payload = bomb()
    print(f"  bomb: {MESSAGE} bytes of text, {len(payload)} bytes compressed")
    for binary in sys.argv[1:]:
        check(
            binary, payload, ["--max-message", str(64 << 20)], "limit 64 MiB, echoed", echo_bomb,
            MAX_GROWTH,
        )
        check(
            binary, payload, [], "default limit, refused with 1009", refused_bomb,
            CONNECTIONS * ((1 << 20) + (128 << 10)),
        )
    sys.exit(1 if rawws.failures else 0)


if __name__ == "__main__":
    main()
