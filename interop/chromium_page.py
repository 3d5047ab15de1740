"""Loads a page in headless Chromium and reads its self-test back over the DevTools protocol,
in real time (driven by interop/run.sh):

    python chromium_page.py CHROMIUM URL ID [ID...]

Waits (up to 20 s) until the element `#result` no longer says RUNNING and every other id asked
for has text other than the page's placeholder `-` (up to 10 s more), then prints one `ID=text` line per id. A virtual-time budget (`--dump-dom`) is not used: it
runs ahead of WebSocket traffic, which it does not count as pending work. Exits 1 if the page
never finished."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

from websockets.asyncio.client import connect

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--ignore-certificate-errors", "--remote-debugging-port=0",
]
DEADLINE = 20


def devtools_port(profile, proc):
    """The port Chromium wrote to DevToolsActivePort once it listens."""
    path = os.path.join(profile, "DevToolsActivePort")
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end and proc.poll() is None:
        if os.path.exists(path):
            first = open(path).read().split("\n")[0].strip()
            if first:
                return int(first)
        time.sleep(0.05)
    raise RuntimeError("chromium did not open its DevTools port")


async def read_back(port, ids):
    targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5))
    page = next(t for t in targets if t.get("type") == "page")
    expr = "JSON.stringify(Object.fromEntries(%s.map(id => [id, (document.getElementById(id) || {}).textContent || ''])))" % json.dumps(ids)
    async with connect(page["webSocketDebuggerUrl"], max_size=None) as cdp:
        end = time.monotonic() + DEADLINE
        n = 0
        while True:
            n += 1
            await cdp.send(json.dumps({"id": n, "method": "Runtime.evaluate", "params": {"expression": expr, "returnByValue": True}}))
            while True:
                reply = json.loads(await cdp.recv())
                if reply.get("id") == n:
                    break
            values = json.loads(reply.get("result", {}).get("result", {}).get("value") or "{}")
            if time.monotonic() > end:
                return values
            if values.get("result", "RUNNING") not in ("", "RUNNING"):
                # Finished; the other ids (e.g. the close code) may fill in a moment later:
                # up to 10 s, since on a loaded machine the browser's closing handshake (our
                # Close answered, the TCP connection closed) was seen to take more than 3 s.
                end = min(end, time.monotonic() + 10)
                # The demo page's #close starts as "-" (its placeholder), which is not a value yet.
                if all(values.get(i, "") not in ("", "-") for i in ids):
                    return values
            await asyncio.sleep(0.1)


def main():
    chromium, url, *ids = sys.argv[1:]
    ids = ids or ["result"]
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        # Its own process group, so the browser's helper processes go with it.
        proc = subprocess.Popen([chromium, *FLAGS, f"--user-data-dir={profile}", url],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            values = asyncio.run(read_back(devtools_port(profile, proc), list(dict.fromkeys(["result", *ids]))))
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    for i in ids:
        print(f"{i}={values.get(i, '')}")
    sys.exit(0 if values.get("result", "RUNNING") not in ("", "RUNNING") else 1)


main()
