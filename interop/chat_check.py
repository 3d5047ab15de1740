"""Python `websockets` against wswire-async's `chat` example (driven by interop/run.sh):

    python chat_check.py CHAT_BINARY

Starts `chat --slow close` on a free port. Three members: everyone gets `name: text` for each
message; then `slow` stops reading while `flood` sends 400 messages of 60 KB (in bursts, paced
so the members that read stay within 8 messages): `reader` gets all of them in order, and
`slow`, when it reads again, ends with Close 1008 (the policy: a member over its high-water
mark, 1 MiB, is let go). Exits 1 if any check failed."""

import asyncio
import re
import subprocess
import sys

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

import rawws
from rawws import report

TIMEOUT = 10
N, SIZE = 400, 60_000


async def main():
    proc = subprocess.Popen([sys.argv[1], "--slow", "close", "127.0.0.1:0"], stdout=subprocess.PIPE, text=True)
    try:
        m = re.search(r"127\.0\.0\.1:(\d+)", proc.stdout.readline())
        base = f"ws://127.0.0.1:{m.group(1)}"
        await run(base)
    finally:
        proc.terminate()
        proc.wait(timeout=5)
    sys.exit(1 if rawws.failures else 0)


async def run(base):
    kw = dict(open_timeout=TIMEOUT, compression=None, max_size=None)
    async with connect(f"{base}/flood", **kw) as flood, connect(f"{base}/reader", **kw) as reader, connect(
        f"{base}/slow", max_queue=1, **kw
    ) as slow:
        await flood.send("hello")
        got = [await asyncio.wait_for(ws.recv(), TIMEOUT) for ws in (flood, reader, slow)]
        report("python -> chat: a message reaches every member as 'name: text'",
               None if got == ["flood: hello"] * 3 else f"got {got}")

        async def drain(ws, n, into):
            for _ in range(n):
                into.append(await asyncio.wait_for(ws.recv(), TIMEOUT))

        # `slow` reads nothing from here. `flood` sends in bursts, each once `reader` and
        # `flood` itself (reading its own copies) are at most 8 messages behind: they keep up,
        # so only `slow` falls behind.
        seen, acks = [], []
        readers = asyncio.gather(drain(reader, N, seen), drain(flood, N, acks))
        try:
            for i in range(N):
                while min(len(seen), len(acks)) < i - 8:
                    await asyncio.sleep(0.001)
                await flood.send(f"{i:06d}" + "x" * SIZE)
            await readers
            ok = len(seen) == N and all(m.startswith(f"flood: {i:06d}") for i, m in enumerate(seen))
            report(f"python -> chat: a member that reads gets all {N} messages of a flood in order while another stalls",
                   None if ok else f"{len(seen)} received, out of order or missing")
        except (asyncio.TimeoutError, ConnectionClosed) as e:
            readers.cancel()
            report("python -> chat: a member that reads keeps up while another stalls", repr(e))
        code = None
        try:
            while True:
                await asyncio.wait_for(slow.recv(), TIMEOUT)
        except ConnectionClosed as e:
            code = e.rcvd.code if e.rcvd else None
        except asyncio.TimeoutError:
            code = "no close"
        report("python -> chat: the stalled member is let go with Close 1008",
               None if code == 1008 else f"ended with {code}")


asyncio.run(main())
