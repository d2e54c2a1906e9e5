/**
 * The floor of bench/ws-load.ts: a bare Bun.serve WebSocket server in a fresh process (spawned with
 * an IPC channel), with no bridge at all. It answers a session's first frame with a welcome and a
 * job frame, and on request sends one pre-encoded frame to every socket in a loop. The same
 * generator measures it as it measures the bridge, so the difference is what the bridge adds:
 * RSS per idle WebSocket and the time for one new job to reach every session.
 */
import type { ServerWebSocket } from "bun";
import { readFileSync } from "node:fs";

export type ToBare =
  | { cmd: "start"; welcome: Uint8Array; job: Uint8Array }
  | { cmd: "rss" }
  | { cmd: "broadcast"; frame: Uint8Array }
  | { cmd: "exit" };
export type FromBare =
  | { ev: "listening"; port: number }
  | { ev: "rss"; bytes: number }
  | { ev: "broadcast"; t0: number; loopMs: number };

const now = () => performance.timeOrigin + performance.now();
const send = (m: FromBare) => process.send!(m);
const sockets = new Set<ServerWebSocket<undefined>>();
let server: ReturnType<typeof Bun.serve<undefined>> | null = null;

function start(welcome: Uint8Array, job: Uint8Array): void {
  server = Bun.serve<undefined>({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (req, srv) => {
      const protocol = req.headers.get("sec-websocket-protocol");
      const headers =
        protocol === null ? undefined : { "Sec-WebSocket-Protocol": protocol.split(",")[0]!.trim() };
      return srv.upgrade(req, { data: undefined, headers })
        ? undefined
        : new Response("upgrade\n", { status: 426 });
    },
    websocket: {
      perMessageDeflate: false,
      idleTimeout: 0,
      sendPings: false,
      open: (ws) => void sockets.add(ws),
      message: (ws) => {
        ws.send(welcome);
        ws.send(job);
      },
      close: (ws) => void sockets.delete(ws),
    },
  });
  send({ ev: "listening", port: server.port! });
}

async function rss(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    Bun.gc(true);
    await Bun.sleep(200);
  }
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))![1]!;
  send({ ev: "rss", bytes: Number(kb) * 1024 });
}

function broadcast(frame: Uint8Array): void {
  const t0 = now();
  for (const ws of sockets) ws.send(frame);
  send({ ev: "broadcast", t0, loopMs: now() - t0 });
}

process.on("disconnect", () => process.exit(0));
process.on("message", (m: ToBare) => {
  switch (m.cmd) {
    case "start":
      return start(m.welcome, m.job);
    case "rss":
      return void rss();
    case "broadcast":
      return broadcast(m.frame);
    case "exit":
      void server?.stop(true);
      process.exit(0);
  }
});
