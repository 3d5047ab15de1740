// Node `ws` as a real peer for wswire's examples (driven by interop/run.sh).
//
//   node node_peer.mjs client ws://127.0.0.1:PORT/path LABEL   every case against an echo server
//   node node_peer.mjs server                                   an echo server; prints "PORT <n>"
//
// The client prints one line per case: "PASS name" or "FAIL name: why".
// The server echoes every message (text as text, binary as binary) on any path, except
// /abort, where it kills the socket on the first message (an abrupt disconnect).
import net from "node:net";
import { WebSocket, WebSocketServer } from "ws";

const SIZES = [0, 125, 126, 65535, 65536, 1 << 20];
const CLOSE_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999];
const TIMEOUT_MS = 10000;

let failures = 0;
const pass = (name) => console.log(`PASS ${name}`);
const fail = (name, why) => {
  failures += 1;
  console.log(`FAIL ${name}: ${why}`);
};

function textOf(n) {
  // n bytes of UTF-8: a two-byte character first where there is room, then ASCII.
  return n < 2 ? "x".repeat(n) : "\u00e9" + "a".repeat(n - 2);
}

function binaryOf(n) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + 7) & 0xff;
  return b;
}

function withTimeout(promise, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timeout: ${what}`)), TIMEOUT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
}

// Opens a connection; returns the socket and a `next()` that resolves to the next message.
function open(url) {
  return withTimeout(
    new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const queue = [];
      const waiters = [];
      ws.on("message", (data, isBinary) => {
        const m = { data, isBinary };
        const w = waiters.shift();
        if (w) w.resolve(m);
        else queue.push(m);
      });
      const closed = new Promise((res) => ws.on("close", (code, reason) => res({ code, reason: reason.toString() })));
      ws.on("close", () => waiters.splice(0).forEach((w) => w.reject(new Error("closed"))));
      ws.on("error", reject);
      ws.on("open", () => {
        const next = () =>
          withTimeout(
            new Promise((res, rej) => (queue.length ? res(queue.shift()) : waiters.push({ resolve: res, reject: rej }))),
            "message",
          );
        resolve({ ws, next, closed });
      });
    }),
    "open",
  );
}

async function echoCase(url, name, send, check) {
  // One connection per case: a failure cannot leak into the next case.
  let conn;
  try {
    conn = await open(url);
    send(conn.ws);
    const m = await conn.next();
    const why = check(m);
    if (why) fail(name, why);
    else pass(name);
  } catch (e) {
    fail(name, e.message);
  } finally {
    if (conn) {
      conn.ws.close(1000);
      await withTimeout(conn.closed, "close").catch(() => {});
    }
  }
}

async function runClient(url, label) {
  const P = `node-ws client -> ${label}`;
  for (const n of SIZES) {
    const text = textOf(n);
    await echoCase(url, `${P}: text ${n} bytes`, (ws) => ws.send(text), (m) =>
      m.isBinary ? "echoed as binary" : m.data.toString() !== text ? `wrong echo (${m.data.length} bytes)` : null,
    );
  }
  for (const n of SIZES) {
    const bin = binaryOf(n);
    await echoCase(url, `${P}: binary ${n} bytes`, (ws) => ws.send(bin), (m) =>
      !m.isBinary ? "echoed as text" : !bin.equals(m.data) ? `wrong echo (${m.data.length} bytes)` : null,
    );
  }
  // Fragments: ws.send(data, { fin: false }) starts/continues a message; fin: true ends it.
  // The text fragments split a two-byte character (é = c3 a9) across frames.
  const utf8 = Buffer.from("fragmented h\u00e9llo \u2713", "utf8");
  const cut = utf8.indexOf(0xc3) + 1;
  await echoCase(
    url,
    `${P}: fragmented text (3 frames, a character split across two)`,
    (ws) => {
      ws.send(utf8.subarray(0, cut), { binary: false, fin: false });
      ws.send(utf8.subarray(cut, cut + 3), { binary: false, fin: false });
      ws.send(utf8.subarray(cut + 3), { binary: false, fin: true });
    },
    (m) => (m.isBinary || !utf8.equals(m.data) ? `wrong echo ${m.data.toString("hex")}` : null),
  );
  const big = binaryOf(200000);
  await echoCase(
    url,
    `${P}: fragmented binary (4 frames, one empty)`,
    (ws) => {
      ws.send(big.subarray(0, 1000), { binary: true, fin: false });
      ws.send(Buffer.alloc(0), { binary: true, fin: false });
      ws.send(big.subarray(1000, 150000), { binary: true, fin: false });
      ws.send(big.subarray(150000), { binary: true, fin: true });
    },
    (m) => (!m.isBinary || !big.equals(m.data) ? `wrong echo (${m.data.length} bytes)` : null),
  );
  // Ping / pong.
  {
    const name = `${P}: ping answered with the same payload`;
    let conn;
    try {
      conn = await open(url);
      const pong = withTimeout(new Promise((res) => conn.ws.once("pong", res)), "pong");
      conn.ws.ping(Buffer.from("are you there?"));
      const data = await pong;
      if (data.toString() !== "are you there?") fail(name, `pong carried ${JSON.stringify(data.toString())}`);
      else pass(name);
    } catch (e) {
      fail(name, e.message);
    } finally {
      conn?.ws.close(1000);
    }
  }
  // Close codes: the server echoes the code.
  for (const code of CLOSE_CODES) {
    const name = `${P}: close ${code} echoed`;
    try {
      const conn = await open(url);
      conn.ws.close(code, "bye");
      const { code: got } = await withTimeout(conn.closed, "close");
      if (got !== code) fail(name, `server answered ${got}`);
      else pass(name);
    } catch (e) {
      fail(name, e.message);
    }
  }
  // Abrupt disconnects; after each, the server must still serve.
  const stillServes = async (name) => {
    try {
      const conn = await open(url);
      conn.ws.send("still there?");
      const m = await conn.next();
      conn.ws.close(1000);
      if (m.data.toString() !== "still there?") return fail(name, "wrong echo afterwards");
      pass(name);
    } catch (e) {
      fail(name, `server no longer serves: ${e.message}`);
    }
  };
  {
    // Terminate mid-message: a 1 MiB frame is cut off.
    const conn = await open(url).catch(() => null);
    if (conn) {
      conn.ws.send(binaryOf(1 << 20));
      conn.ws.terminate();
    }
    await stillServes(`${P}: abrupt disconnect mid-message, server survives`);
  }
  {
    // Terminate right after the handshake.
    const conn = await open(url).catch(() => null);
    conn?.ws.terminate();
    await stillServes(`${P}: abrupt disconnect after open, server survives`);
  }
  {
    // Half a handshake request, then a reset.
    await new Promise((resolve) => {
      const { port, pathname } = new URL(url);
      const s = net.connect(Number(port), "127.0.0.1", () => {
        s.write(`GET ${pathname} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: webs`);
        setTimeout(() => {
          s.resetAndDestroy();
          resolve();
        }, 50);
      });
      s.on("error", resolve);
    });
    await stillServes(`${P}: reset mid-handshake, server survives`);
  }
}

function runServer() {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  wss.on("connection", (ws, req) => {
    ws.on("error", () => {});
    if (req.url === "/abort") {
      ws.on("message", () => ws.terminate());
      return;
    }
    ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  wss.on("listening", () => console.log(`PORT ${wss.address().port}`));
}

const [mode, url, label = "server"] = process.argv.slice(2);
if (mode === "server") {
  runServer();
} else if (mode === "client" && url) {
  await runClient(url, label);
  process.exit(failures ? 1 : 0);
} else {
  console.error("usage: node node_peer.mjs client ws://host:port/path [LABEL] | server");
  process.exit(2);
}
