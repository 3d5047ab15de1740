"""Python `websockets` against wswire-async's `axum_app` example (driven by interop/run.sh):

    python axum_check.py HOST:PORT TOKEN

Checks, one `PASS name` / `FAIL name: why` line each: a room route without the token is
refused with 401 before any upgrade; two members of a path-routed room get each other's
messages (text and binary) and not their own; permessage-deflate and the `chat` subprotocol
are agreed; an invalid upgrade (draft version 8) gets a 426 with `Sec-WebSocket-Version: 13`
and a text/plain body; the app's plain HTTP route still answers. Exits 1 if any failed."""

import asyncio
import secrets
import socket
import sys

from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

import rawws
from rawws import report

TIMEOUT = 5


async def refused_without_token(base):
    name = "python -> axum_app: a room without the token is refused with 401"
    try:
        async with connect(base + "/ws/lobby", open_timeout=TIMEOUT):
            report(name, "the connection opened")
    except InvalidStatus as e:
        status = e.response.status_code
        report(name, None if status == 401 else f"status {status}")


async def room_broadcast(base, token):
    room = "py-" + secrets.token_hex(4)
    url = f"{base}/ws/{room}?token={token}"
    kw = dict(subprotocols=["chat"], compression="deflate", open_timeout=TIMEOUT)
    async with connect(url, **kw) as a, connect(url, **kw) as b:
        ext = a.response.headers.get("Sec-WebSocket-Extensions", "")
        report(
            "python -> axum_app: permessage-deflate agreed",
            None if ext.startswith("permessage-deflate") else f"extensions {ext!r}",
        )
        report(
            "python -> axum_app: subprotocol chat agreed",
            None if a.subprotocol == "chat" else f"subprotocol {a.subprotocol!r}",
        )
        text = "hello room " * 500
        await a.send(text)
        got = await asyncio.wait_for(b.recv(), TIMEOUT)
        report("python -> axum_app: a's text reaches b", None if got == text else f"got {got[:40]!r}")
        blob = secrets.token_bytes(20_000)
        await b.send(blob)
        got = await asyncio.wait_for(a.recv(), TIMEOUT)
        report("python -> axum_app: b's binary reaches a", None if got == blob else "different bytes")
        # Nothing of a's own comes back to a: the next thing a sees is b's next message.
        await b.send("second")
        got = await asyncio.wait_for(a.recv(), TIMEOUT)
        report("python -> axum_app: a member does not get its own message", None if got == "second" else f"got {got!r}")


def raw_request(addr, request):
    with socket.create_connection(addr, timeout=TIMEOUT) as s:
        s.sendall(request.encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            chunk = s.recv(4096)
            if not chunk:
                break
            body += chunk
        return lines[0], headers, body


def refusal_and_plain_http(addr, token):
    status, headers, body = raw_request(
        addr,
        f"GET /ws/x?token={token} HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 8\r\n\r\n",
    )
    ok = (
        status.startswith("HTTP/1.1 426")
        and headers.get("sec-websocket-version") == "13"
        and headers.get("content-type", "").startswith("text/plain")
        and body
    )
    report(
        "python -> axum_app: a draft-8 upgrade gets 426, Sec-WebSocket-Version: 13 and a text body",
        None if ok else f"{status!r} {headers} {body[:60]!r}",
    )
    status, _, body = raw_request(addr, "GET /health HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    report(
        "python -> axum_app: plain HTTP beside the WebSockets (/health)",
        None if status.startswith("HTTP/1.1 200") and body == b"ok" else f"{status!r} {body!r}",
    )


async def main():
    host, port = sys.argv[1].rsplit(":", 1)
    token = sys.argv[2]
    base = f"ws://{host}:{port}"
    for check in (refused_without_token(base), room_broadcast(base, token)):
        try:
            await check
        except Exception as e:  # a failure to connect is a failed check, not a crash
            report(f"python -> axum_app: {check.__name__}", repr(e))
    refusal_and_plain_http((host, int(port)), token)
    sys.exit(1 if rawws.failures else 0)


asyncio.run(main())
