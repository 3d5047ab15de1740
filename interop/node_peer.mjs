// Node `ws` as a real peer for wswire's examples (driven by interop/run.sh).
//
//   node node_peer.mjs client ws://127.0.0.1:PORT/path LABEL [OPTIONS]   cases against an echo server
//   node node_peer.mjs server                                             an echo server; prints "PORT <n>"
//
// Client options:
//   --pmd VARIANT        ws's perMessageDeflate setting, one of VARIANTS below (default: "default",
//                        ws's own client default: offered, threshold 1024)
//   --expect deflate|none   whether the server must accept permessage-deflate (default: deflate
//                        unless the variant is "off"); checked on every connection, from the
//                        101 response's Sec-WebSocket-Extensions and ws.extensions
//   --require PARAM      a parameter the response must contain, besides the variant's own (repeatable)
//   --server-compresses yes|no   whether the server's echo of 1 MiB of text must arrive
//                        compressed (fewer bytes on the wire than the payload; default: yes when
//                        permessage-deflate is expected and the variant does not limit the server's
//                        window to 8 bits, where wswire sends uncompressed)
//   --quick              only the compression-relevant cases: sizes, fragments, ping, close 1000
//
// The client prints one line per case: "PASS name" or "FAIL name: why".
// The server echoes every message (text as text, binary as binary) on any path, except paths
// ending in /abort, where it kills the socket on the first message (an abrupt disconnect). A path
// starting with /v/VARIANT/ selects the server's perMessageDeflate setting; any other path gets
// "all" (permessage-deflate accepted, every message compressed).
import http from "node:http";
import net from "node:net";
import { WebSocket, WebSocketServer } from "ws";

// perMessageDeflate settings (the same table for both roles), with the response parameters
// they must produce against a server with wswire's default policy (or from a ws server).
const VARIANTS = {
  off: { pmd: false },
  default: { pmd: {} },
  all: { pmd: { threshold: 0 } },
  snct: { pmd: { threshold: 0, serverNoContextTakeover: true }, require: ["server_no_context_takeover"] },
  cnct: { pmd: { threshold: 0, clientNoContextTakeover: true }, require: ["client_no_context_takeover"] },
  "bits10-9": {
    pmd: { threshold: 0, serverMaxWindowBits: 10, clientMaxWindowBits: 9 },
    require: ["server_max_window_bits=10", "client_max_window_bits=9"],
  },
  bits8: {
    pmd: { threshold: 0, serverMaxWindowBits: 8, clientMaxWindowBits: 8 },
    require: ["server_max_window_bits=8", "client_max_window_bits=8"],
    serverWindow8: true,
  },
};

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

// The client's settings (set from the command line).
const CLIENT = { pmd: true, expect: "deflate", require: [] };

// Checks what the handshake agreed against CLIENT; returns why not, or null.
function checkNegotiated(ws, header) {
  if (CLIENT.expect === "none") {
    return ws.extensions === "" && header === "" ? null : `extension negotiated: "${header}"`;
  }
  if (ws.extensions !== "permessage-deflate") return `permessage-deflate not negotiated (response "${header}")`;
  const params = header.split(";").map((p) => p.trim());
  const missing = CLIENT.require.filter((r) => !params.includes(r));
  return missing.length ? `response "${header}" lacks ${missing.join(", ")}` : null;
}

// Opens a connection; returns the socket, a `next()` that resolves to the next message, and
// the Sec-WebSocket-Extensions of the response. Rejects when the negotiation is not as
// expected (no silent fallback to uncompressed).
function open(url) {
  return withTimeout(
    new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: CLIENT.pmd });
      let header = "";
      ws.on("upgrade", (res) => (header = res.headers["sec-websocket-extensions"] ?? ""));
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
        const why = checkNegotiated(ws, header);
        if (why) {
          ws.terminate();
          reject(new Error(why));
        } else {
          resolve({ ws, next, closed, header });
        }
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

async function runClient(url, label, quick, serverCompresses) {
  const P = `node-ws client -> ${label}`;
  // The negotiation itself, and whether the server's large echo was compressed on the wire.
  {
    const name = `${P}: ${CLIENT.expect === "none" ? "no extension negotiated" : "permessage-deflate negotiated"}${
      CLIENT.require.length ? ` (${CLIENT.require.join(", ")})` : ""
    }`;
    let conn;
    try {
      conn = await open(url);
      pass(`${name}, response "${conn.header}"`);
    } catch (e) {
      fail(name, e.message);
    } finally {
      conn?.ws.close(1000);
    }
  }
  {
    const text = textOf(1 << 20);
    const name = `${P}: server's echo of 1 MiB of text ${serverCompresses ? "compressed" : "not compressed"} on the wire`;
    let conn;
    try {
      conn = await open(url);
      const before = conn.ws._socket.bytesRead;
      conn.ws.send(text);
      const m = await conn.next();
      const wire = conn.ws._socket.bytesRead - before;
      if (m.isBinary || m.data.toString() !== text) fail(name, `wrong echo (${m.data.length} bytes)`);
      else if (serverCompresses !== wire < text.length / 2) fail(name, `${wire} bytes on the wire for ${text.length}`);
      else pass(name);
    } catch (e) {
      fail(name, e.message);
    } finally {
      conn?.ws.close(1000);
    }
  }
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
  // A ping between the fragments of a (compressed, when agreed) message: control frames are
  // never compressed and may interleave; the pong and the echo must both come back.
  {
    const text = "interleaved: " + "ping between fragments ".repeat(200);
    const name = `${P}: fragmented text with a ping between the fragments`;
    let conn;
    try {
      conn = await open(url);
      const pong = withTimeout(new Promise((res) => conn.ws.once("pong", res)), "pong");
      conn.ws.send(text.slice(0, 1000), { binary: false, fin: false });
      conn.ws.ping(Buffer.from("mid-message"));
      conn.ws.send(text.slice(1000), { binary: false, fin: true });
      const [p, m] = await Promise.all([pong, conn.next()]);
      if (p.toString() !== "mid-message") fail(name, `pong carried ${JSON.stringify(p.toString())}`);
      else if (m.isBinary || m.data.toString() !== text) fail(name, `wrong echo (${m.data.length} bytes)`);
      else pass(name);
    } catch (e) {
      fail(name, e.message);
    } finally {
      conn?.ws.close(1000);
    }
  }
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
  for (const code of quick ? [1000] : CLOSE_CODES) {
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
  if (quick) return;
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
  const servers = Object.fromEntries(
    Object.entries(VARIANTS).map(([name, v]) => [name, new WebSocketServer({ noServer: true, perMessageDeflate: v.pmd })]),
  );
  for (const wss of Object.values(servers)) {
    wss.on("connection", (ws, req) => {
      ws.on("error", () => {});
      if (req.url.endsWith("/abort")) {
        ws.on("message", () => ws.terminate());
        return;
      }
      ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
    });
  }
  const server = http.createServer((req, res) => res.writeHead(426).end());
  server.on("upgrade", (req, socket, head) => {
    const m = /^\/v\/([^/]+)\//.exec(req.url);
    const wss = servers[m ? m[1] : "all"];
    if (!wss) return socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
  });
  server.listen(0, "127.0.0.1", () => console.log(`PORT ${server.address().port}`));
}

function parseClientArgs(args) {
  const o = { variant: "default", quick: false, serverCompresses: null };
  let expect = null;
  const extra = [];
  while (args.length) {
    const a = args.shift();
    if (a === "--pmd") o.variant = args.shift();
    else if (a === "--expect") expect = args.shift();
    else if (a === "--require") extra.push(args.shift());
    else if (a === "--server-compresses") o.serverCompresses = args.shift() === "yes";
    else if (a === "--quick") o.quick = true;
    else throw new Error(`unknown option ${a}`);
  }
  const v = VARIANTS[o.variant];
  if (!v) throw new Error(`unknown variant ${o.variant}`);
  CLIENT.pmd = v.pmd;
  CLIENT.expect = expect ?? (v.pmd === false ? "none" : "deflate");
  if (CLIENT.expect !== "none") CLIENT.require = [...(v.require ?? []), ...extra];
  o.serverCompresses ??= CLIENT.expect !== "none" && !v.serverWindow8;
  return o;
}

const [mode, url, label = "server", ...rest] = process.argv.slice(2);
if (mode === "server") {
  runServer();
} else if (mode === "client" && url) {
  const o = parseClientArgs(rest);
  await runClient(url, o.variant === "default" ? label : `${label} (perMessageDeflate ${o.variant})`, o.quick, o.serverCompresses);
  process.exit(failures ? 1 : 0);
} else {
  console.error("usage: node node_peer.mjs client ws://host:port/path [LABEL] [OPTIONS] | server");
  process.exit(2);
}
