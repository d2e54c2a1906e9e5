/**
 * The floor of bench/ws-load.ts: a bare Bun.serve WebSocket server in a fresh process (spawned with
 * an IPC channel), with no bridge at all. It answers a session's first frame with a welcome and a
 * job frame, and on request sends one pre-encoded frame to every socket in a loop. The same
 * generator measures it as it measures the bridge, so the difference is what the bridge adds:
 * RSS per idle WebSocket and the time for one new job to reach every session. bench/fanout.ts uses
 * it the same way, and imports floorFrames (the module wires IPC only when it is the entry point).
 */
import type { ServerWebSocket } from "bun";
import { readFileSync } from "node:fs";
import { difficultyToTarget, targetToLE, type Job } from "../src/protocol/index.ts";
import { HEADER_HEAD_BYTES } from "../src/protocol/layout.ts";
import { encodeServerFrame, MsgpackJobTemplate } from "../src/protocol/ws-msgpack.ts";

export type ToBare =
  | {
      cmd: "start";
      welcome: Uint8Array;
      job: Uint8Array;
      /** Default: an ephemeral port of its own. bench/fanout.ts runs several on one port (SO_REUSEPORT). */
      port?: number;
      reusePort?: boolean;
    }
  | { cmd: "rss" }
  | { cmd: "broadcast"; frame: Uint8Array }
  | { cmd: "exit" };
export type FromBare =
  | { ev: "listening"; port: number }
  | { ev: "rss"; bytes: number }
  | { ev: "broadcast"; t0: number; loopMs: number };

/** Share difficulty written into the floor's job frames (any value: nobody hashes). */
const FLOOR_DIFFICULTY = 0.001;
const FLOOR_PREFIX = Uint8Array.of(0x11, 0x22, 0x33, 0x44, 0x00, 0x01);

/**
 * The frames a bare server sends, shaped as the bridge's: a welcome, and a clean msgpack job frame
 * for a pool job under the job id `id` (a new id per broadcast, so each round is a new job).
 */
export const floorFrames = {
  welcome: (): Uint8Array => encodeServerFrame({ type: "welcome", session: 1, worker: "bare" }),
  job: (job: Job, id: string): Uint8Array =>
    new MsgpackJobTemplate(
      id,
      job.header(new Uint8Array(32)).subarray(0, HEADER_HEAD_BYTES),
      job.template(),
    ).encode(true, FLOOR_PREFIX, targetToLE(difficultyToTarget(FLOOR_DIFFICULTY)), FLOOR_DIFFICULTY),
};

const now = () => performance.timeOrigin + performance.now();
const send = (m: FromBare) => process.send!(m);
const sockets = new Set<ServerWebSocket<undefined>>();
let server: ReturnType<typeof Bun.serve<undefined>> | null = null;

function start(welcome: Uint8Array, job: Uint8Array, port = 0, reusePort = false): void {
  server = Bun.serve<undefined>({
    hostname: "127.0.0.1",
    port,
    reusePort,
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

if (import.meta.main) {
  process.on("disconnect", () => process.exit(0));
  process.on("message", (m: ToBare) => {
    switch (m.cmd) {
      case "start":
        return start(m.welcome, m.job, m.port, m.reusePort);
      case "rss":
        return void rss();
      case "broadcast":
        return broadcast(m.frame);
      case "exit":
        void server?.stop(true);
        process.exit(0);
    }
  });
}
