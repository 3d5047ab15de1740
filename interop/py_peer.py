"""Python `websockets` as a real peer for wswire's examples (driven by interop/run.sh).

    python py_peer.py client ws://127.0.0.1:PORT/path LABEL [OPTIONS]   cases against an echo server
    python py_peer.py server [COMPRESSION]                               an echo server; prints "PORT <n>"

COMPRESSION (the server's argument, the client's --compression) is permessage-deflate:
  deflate   websockets' default (compression="deflate"): a client offers
            "permessage-deflate; client_max_window_bits", a server answers with
            server_max_window_bits=12 and client_max_window_bits=12
  none      compression=None: not offered / declined
  custom    both no_context_takeover parameters, server_max_window_bits=10,
            client_max_window_bits=9
Client options: --compression C (default deflate); --expect deflate|none (default: deflate
unless C is none), checked on every connection from the response's Sec-WebSocket-Extensions
and the connection's extensions (no silent fallback to uncompressed); --require PARAM, a
parameter the response must contain (repeatable); --quick, only the compression-relevant
cases (sizes, fragments, ping, close 1000).

The client prints one line per case: "PASS name" or "FAIL name: why".
The server echoes every message (str as text, bytes as binary) on any path, except /abort,
where it aborts the TCP connection on the first message (an abrupt disconnect).
"""

import asyncio
import sys
import urllib.parse

from websockets.asyncio.client import connect
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed
from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    PerMessageDeflate,
    ServerPerMessageDeflateFactory,
)

import rawws
from rawws import report

SIZES = [0, 125, 126, 65535, 65536, 1 << 20]
CLOSE_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999]
TIMEOUT = 10


# The client's settings (set from the command line).
CLIENT = {"compression": "deflate", "expect": "deflate", "require": []}
CUSTOM = {
    "server_no_context_takeover": True,
    "client_no_context_takeover": True,
    "server_max_window_bits": 10,
    "client_max_window_bits": 9,
}


class Negotiation(Exception):
    """The handshake did not agree what was expected."""


def text_of(n):
    """n bytes of UTF-8: a two-byte character first where there is room, then ASCII."""
    return "x" * n if n < 2 else "\u00e9" + "a" * (n - 2)


def binary_of(n):
    return bytes((i * 31 + 7) & 0xFF for i in range(n))


def compression_args(compression, factory):
    """connect()/serve() arguments for a COMPRESSION setting."""
    if compression == "none":
        return {"compression": None}
    if compression == "custom":
        return {"extensions": [factory(**CUSTOM)]}
    return {"compression": "deflate"}


def check_negotiated(ws):
    """Why the agreement is not what CLIENT expects, or None."""
    header = ws.response.headers.get("Sec-WebSocket-Extensions", "")
    deflate = [e for e in ws.protocol.extensions if isinstance(e, PerMessageDeflate)]
    if CLIENT["expect"] == "none":
        return None if not header and not ws.protocol.extensions else f"extension negotiated: {header!r}"
    if not deflate:
        return f"permessage-deflate not negotiated (response {header!r})"
    params = [p.strip() for p in header.split(";")]
    missing = [r for r in CLIENT["require"] if r not in params]
    return f"response {header!r} lacks {', '.join(missing)}" if missing else None


class ws_connect:
    """connect() with no size limit (the default is 1 MiB) and CLIENT's compression, which
    checks the negotiation on entering."""

    def __init__(self, url):
        self.connect = connect(
            url, max_size=None, open_timeout=TIMEOUT, close_timeout=TIMEOUT,
            **compression_args(CLIENT["compression"], ClientPerMessageDeflateFactory),
        )

    def __await__(self):
        return self.opened().__await__()

    async def opened(self):
        ws = await self.connect
        why = check_negotiated(ws)
        if why:
            ws.transport.abort()
            raise Negotiation(why)
        return ws

    async def __aenter__(self):
        self.ws = await self.opened()
        return self.ws

    async def __aexit__(self, *exc):
        await self.ws.close()


async def echo_case(url, name, message, send=None):
    try:
        async with ws_connect(url) as ws:
            await (send(ws) if send else ws.send(message))
            got = await asyncio.wait_for(ws.recv(), TIMEOUT)
            if type(got) is not type(message):
                report(name, f"echoed as {type(got).__name__}")
            elif got != message:
                report(name, f"wrong echo ({len(got)} bytes)")
            else:
                report(name)
    except Exception as e:  # noqa: BLE001 - any failure is the case's failure
        report(name, repr(e))


async def still_serves(url, name):
    try:
        async with ws_connect(url) as ws:
            await ws.send("still there?")
            got = await asyncio.wait_for(ws.recv(), TIMEOUT)
            report(name, None if got == "still there?" else f"wrong echo {got!r}")
    except Exception as e:  # noqa: BLE001
        report(name, f"server no longer serves: {e!r}")


async def run_client(url, label, quick):
    prefix = f"python-websockets client -> {label}"
    name = (
        f"{prefix}: no extension negotiated" if CLIENT["expect"] == "none"
        else f"{prefix}: permessage-deflate negotiated"
        + (f" ({', '.join(CLIENT['require'])})" if CLIENT["require"] else "")
    )
    try:
        async with ws_connect(url) as ws:
            header = ws.response.headers.get("Sec-WebSocket-Extensions", "")
        report(f"{name}, response {header!r}")
    except Exception as e:  # noqa: BLE001
        report(name, repr(e))
    for n in SIZES:
        await echo_case(url, f"{prefix}: text {n} bytes", text_of(n))
    for n in SIZES:
        await echo_case(url, f"{prefix}: binary {n} bytes", binary_of(n))
    # Fragments: send() with an iterable sends one frame per item.
    parts = ["fragmented ", "h\u00e9llo ", "", "\u2713"]
    await echo_case(
        url, f"{prefix}: fragmented text (4 frames, one empty)", "".join(parts),
        send=lambda ws: ws.send(parts),
    )
    chunks = [binary_of(1000), binary_of(70000), b"", binary_of(3)]
    await echo_case(
        url, f"{prefix}: fragmented binary (4 frames, one empty)", b"".join(chunks),
        send=lambda ws: ws.send(chunks),
    )
    name = f"{prefix}: ping answered with the same payload"
    try:
        async with ws_connect(url) as ws:
            # websockets matches the pong to the ping by its payload.
            waiter = await ws.ping(b"are you there?")
            await asyncio.wait_for(waiter, TIMEOUT)
            report(name)
    except Exception as e:  # noqa: BLE001
        report(name, repr(e))
    for code in [1000] if quick else CLOSE_CODES:
        name = f"{prefix}: close {code} echoed"
        try:
            ws = await ws_connect(url)
            await ws.close(code, "bye")
            rcvd = ws.protocol.close_rcvd  # the Close frame the server sent
            got = rcvd.code if rcvd else None
            report(name, None if got == code else f"server answered {got}")
        except Exception as e:  # noqa: BLE001
            report(name, repr(e))
    if quick:
        return
    # Abrupt disconnects; after each, the server must still serve.
    try:
        ws = await ws_connect(url)
        await ws.send(binary_of(1 << 20))
        ws.transport.abort()
    except Exception:  # noqa: BLE001
        pass
    await still_serves(url, f"{prefix}: abrupt disconnect after a message, server survives")
    try:
        parsed = urllib.parse.urlsplit(url)
        _, writer = await asyncio.open_connection("127.0.0.1", parsed.port)
        writer.write(f"GET {parsed.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n".encode())
        await writer.drain()
        writer.transport.abort()
    except Exception:  # noqa: BLE001
        pass
    await still_serves(url, f"{prefix}: abort mid-handshake, server survives")


async def handler(ws):
    if ws.request.path == "/abort":
        await ws.recv()
        ws.transport.abort()
        return
    try:
        async for message in ws:
            await ws.send(message)
    except ConnectionClosed:
        pass  # e.g. closed with a code other than 1000/1001: nothing to report here


async def run_server(compression):
    args = compression_args(compression, ServerPerMessageDeflateFactory)
    async with serve(handler, "127.0.0.1", 0, max_size=None, **args) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"PORT {port}", flush=True)
        await asyncio.get_running_loop().create_future()


def main():
    args = sys.argv[1:]
    if args[:1] == ["server"] and len(args) <= 2:
        compression = args[1] if len(args) == 2 else "deflate"
        if compression not in ("deflate", "none", "custom"):
            sys.exit(f"unknown compression {compression}")
        asyncio.run(run_server(compression))
    elif len(args) >= 2 and args[0] == "client":
        url, label, rest = args[1], args[2] if len(args) > 2 else "server", args[3:]
        quick, expect = False, None
        while rest:
            opt = rest.pop(0)
            if opt == "--quick":
                quick = True
            elif opt in ("--compression", "--expect", "--require") and rest:
                value = rest.pop(0)
                if opt == "--compression":
                    CLIENT["compression"] = value
                elif opt == "--expect":
                    expect = value
                else:
                    CLIENT["require"].append(value)
            else:
                sys.exit(f"unknown option {opt}\n{__doc__}")
        CLIENT["expect"] = expect or ("none" if CLIENT["compression"] == "none" else "deflate")
        if CLIENT["compression"] == "custom" and CLIENT["expect"] != "none":
            CLIENT["require"] += [
                "server_no_context_takeover", "client_no_context_takeover",
                "server_max_window_bits=10", "client_max_window_bits=9",
            ]
        if CLIENT["compression"] != "deflate":
            label = f"{label} (compression {CLIENT['compression']})"
        asyncio.run(run_client(url, label, quick))
        sys.exit(1 if rawws.failures else 0)
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
