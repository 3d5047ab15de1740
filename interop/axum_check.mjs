// Node `ws` against wswire-async's `axum_app` example (driven by interop/run.sh):
//
//   node axum_check.mjs HOST:PORT TOKEN
//
// Prints "PASS name" or "FAIL name: why" per check: a room without the token is refused with 401
// (ws's "unexpected-response"), two members of a path-routed room get each other's messages and
// not their own, permessage-deflate and the `chat` subprotocol are agreed. Exits 1 if any failed.
import { WebSocket } from "ws";

const [addr, token] = process.argv.slice(2);
const base = `ws://${addr}`;
let failures = 0;
const report = (name, why) => {
  if (why) {
    failures += 1;
    console.log(`FAIL node -> axum_app: ${name}: ${why}`);
  } else {
    console.log(`PASS node -> axum_app: ${name}`);
  }
};
const within = (promise, what) =>
  Promise.race([promise, new Promise((_, no) => setTimeout(() => no(new Error(`${what}: timed out`)), 5000))]);

function refusedStatus(url) {
  return within(
    new Promise((resolve) => {
      const ws = new WebSocket(url);
      ws.on("unexpected-response", (_req, res) => {
        resolve(res.statusCode);
        ws.terminate();
      });
      ws.on("open", () => {
        resolve("opened");
        ws.close();
      });
      ws.on("error", () => {});
    }),
    "refusal",
  );
}

function open(url) {
  return within(
    new Promise((resolve, reject) => {
      const ws = new WebSocket(url, ["chat"], { perMessageDeflate: { threshold: 0 } });
      ws.on("open", () => resolve(ws));
      ws.on("error", reject);
    }),
    "open",
  );
}

const next = (ws) => within(new Promise((resolve) => ws.once("message", (data, isBinary) => resolve({ data, isBinary }))), "message");

async function main() {
  const status = await refusedStatus(`${base}/ws/lobby`);
  report("a room without the token is refused with 401", status === 401 ? null : `got ${status}`);

  const room = `node-${Math.random().toString(36).slice(2, 8)}`;
  const url = `${base}/ws/${room}?token=${encodeURIComponent(token)}`;
  const a = await open(url);
  const b = await open(url);
  report("permessage-deflate agreed", a.extensions.startsWith("permessage-deflate") ? null : `extensions '${a.extensions}'`);
  report("subprotocol chat agreed", a.protocol === "chat" ? null : `protocol '${a.protocol}'`);
  const text = "hello room ".repeat(500);
  const toB = next(b);
  a.send(text);
  const gotB = await toB;
  report("a's text reaches b", !gotB.isBinary && gotB.data.toString() === text ? null : "different message");
  const blob = Buffer.alloc(20000, 7);
  const toA = next(a);
  b.send(blob);
  const gotA = await toA;
  report("b's binary reaches a", gotA.isBinary && Buffer.compare(gotA.data, blob) === 0 ? null : "different message");
  const again = next(a);
  b.send("second");
  const gotAgain = await again;
  report("a member does not get its own message", gotAgain.data.toString() === "second" ? null : `got '${gotAgain.data}'`);
  a.close(1000);
  b.close(1000);
}

main()
  .catch((e) => report("run", e.message))
  .finally(() => process.exit(failures ? 1 : 0));
