"""wss:// both ways between Python `websockets` and wswire-async (driven by interop/run.sh):

    python tls_check.py HOST:PORT TLSDIR CLIENT_TOKIO

HOST:PORT is `echo_server_tokio --tls-self-signed TLSDIR` (its certificate, made at start-up
for localhost and 127.0.0.1, is TLSDIR/cert.pem with TLSDIR/key.pem). Checks, one `PASS` /
`FAIL` line each: Python's client, trusting only that certificate, gets text and binary
echoed over wss with permessage-deflate agreed and a clean close; a Python client that does not
trust it is refused; a Python wss echo server with the same certificate echoes what our
`client_tokio --ca` sends (sizes, text and binary). Exits 1 if any failed."""

import asyncio
import os
import ssl
import subprocess
import sys

from websockets.asyncio.client import connect
from websockets.asyncio.server import serve

import rawws
from rawws import report

TIMEOUT = 10


async def python_client(port, tlsdir):
    ctx = ssl.create_default_context(cafile=os.path.join(tlsdir, "cert.pem"))
    url = f"wss://localhost:{port}/from-python"
    async with connect(url, ssl=ctx, compression="deflate", open_timeout=TIMEOUT) as ws:
        ext = ws.response.headers.get("Sec-WebSocket-Extensions", "")
        report(
            "python -> echo_server_tokio over wss: permessage-deflate agreed",
            None if ext.startswith("permessage-deflate") else f"extensions {ext!r}",
        )
        for name, message in (("text 100 KB", "wss " * 25_000), ("binary 64 KiB", os.urandom(65536))):
            await ws.send(message)
            got = await asyncio.wait_for(ws.recv(), TIMEOUT)
            report(f"python -> echo_server_tokio over wss: {name} echoed", None if got == message else "different")
        await ws.close(1000)
        report(
            "python -> echo_server_tokio over wss: clean close 1000",
            None if ws.close_code == 1000 else f"close code {ws.close_code}",
        )


async def untrusting_client(port):
    name = "python -> echo_server_tokio over wss: a client that does not trust the certificate is refused"
    try:
        async with connect(f"wss://localhost:{port}/", open_timeout=TIMEOUT):
            report(name, "the connection opened")
    except ssl.SSLCertVerificationError:
        report(name)


async def python_server(tlsdir, client_tokio):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(tlsdir, "cert.pem"), os.path.join(tlsdir, "key.pem"))

    async def echo(ws):
        async for message in ws:
            await ws.send(message)

    async with serve(echo, "127.0.0.1", 0, ssl=ctx) as server:
        port = server.sockets[0].getsockname()[1]
        url = f"wss://localhost:{port}/echo"
        cases = [("text", [], n) for n in (0, 125, 65536, 1048576)]
        cases += [("binary", ["--binary"], n) for n in (126, 65535)]
        for kind, flags, n in cases:
            cmd = [client_tokio, "--ca", os.path.join(tlsdir, "cert.pem"), *flags, "--size", str(n), url]
            proc = await asyncio.create_subprocess_exec(*cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            out, _ = await asyncio.wait_for(proc.communicate(), 60)
            last = out.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
            report(
                f"client_tokio -> python-websockets wss server: {kind} {n} bytes",
                None if proc.returncode == 0 else last[0],
            )


async def main():
    addr, tlsdir, client_tokio = sys.argv[1:4]
    port = int(addr.rsplit(":", 1)[1])
    for check in (python_client(port, tlsdir), untrusting_client(port), python_server(tlsdir, client_tokio)):
        try:
            await check
        except Exception as e:  # a failure to connect is a failed check, not a crash
            report(f"wss: {check.__name__}", repr(e))
    sys.exit(1 if rawws.failures else 0)


asyncio.run(main())
