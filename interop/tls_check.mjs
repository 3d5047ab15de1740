// wss:// both ways between Node `ws` and wswire-async (driven by interop/run.sh):
//
//   node tls_check.mjs HOST:PORT TLSDIR CLIENT_TOKIO
//
// HOST:PORT is `echo_server_tokio --tls-self-signed TLSDIR` (TLSDIR/cert.pem, TLSDIR/key.pem).
// Prints "PASS name" / "FAIL name: why": Node's client trusting only that certificate gets text
// and binary echoed over wss with permessage-deflate agreed and a clean close; a Node https + ws
// echo server with the same certificate echoes what our `client_tokio --ca` sends. Exits 1 if
// any failed.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import https from "node:https";
import { join } from "node:path";
import { WebSocket, WebSocketServer } from "ws";

const [addr, tlsdir, clientTokio] = process.argv.slice(2);
const port = addr.split(":").pop();
const ca = readFileSync(join(tlsdir, "cert.pem"));
let failures = 0;
const report = (name, why) => {
  if (why) {
    failures += 1;
    console.log(`FAIL ${name}: ${why}`);
  } else {
    console.log(`PASS ${name}`);
  }
};
const within = (promise, what) =>
  Promise.race([promise, new Promise((_, no) => setTimeout(() => no(new Error(`${what}: timed out`)), 10000))]);

async function nodeClient() {
  const ws = new WebSocket(`wss://localhost:${port}/from-node`, { ca, perMessageDeflate: { threshold: 0 } });
  await within(new Promise((resolve, reject) => { ws.on("open", resolve); ws.on("error", reject); }), "open");
  const name = "node -> echo_server_tokio over wss";
  report(`${name}: permessage-deflate agreed`, ws.extensions.startsWith("permessage-deflate") ? null : `'${ws.extensions}'`);
  for (const [what, message] of [["text 100 KB", "wss ".repeat(25000)], ["binary 64 KiB", Buffer.alloc(65536, 9)]]) {
    const got = within(new Promise((resolve) => ws.once("message", (data, isBinary) => resolve({ data, isBinary }))), what);
    ws.send(message);
    const { data, isBinary } = await got;
    const same = typeof message === "string" ? !isBinary && data.toString() === message : isBinary && Buffer.compare(data, message) === 0;
    report(`${name}: ${what} echoed`, same ? null : "different");
  }
  const closed = within(new Promise((resolve) => ws.on("close", (code) => resolve(code))), "close");
  ws.close(1000);
  const code = await closed;
  report(`${name}: clean close 1000`, code === 1000 ? null : `code ${code}`);
}

function run(cmd, args) {
  return new Promise((resolve) => execFile(cmd, args, { timeout: 60000 }, (err, stdout, stderr) => resolve({ err, out: `${stdout}${stderr}` })));
}

async function nodeServer() {
  const server = https.createServer({ cert: ca, key: readFileSync(join(tlsdir, "key.pem")) });
  const wss = new WebSocketServer({ server, perMessageDeflate: { threshold: 0 } });
  wss.on("connection", (ws) => ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary })));
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `wss://localhost:${server.address().port}/echo`;
  const cases = [["text", [], 0], ["text", [], 65536], ["text", [], 1048576], ["binary", ["--binary"], 125], ["binary", ["--binary"], 65535]];
  for (const [kind, flags, n] of cases) {
    const { err, out } = await run(clientTokio, ["--ca", join(tlsdir, "cert.pem"), ...flags, "--size", String(n), url]);
    const last = out.trim().split("\n").pop();
    report(`client_tokio -> node-ws https server: ${kind} ${n} bytes`, err ? last : null);
  }
  server.close();
  wss.close();
}

async function main() {
  for (const check of [nodeClient, nodeServer]) {
    try {
      await check();
    } catch (e) {
      report(`wss: ${check.name}`, e.message);
    }
  }
}

main().finally(() => process.exit(failures ? 1 : 0));
