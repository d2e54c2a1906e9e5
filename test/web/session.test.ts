// web/session.ts against a scripted bridge (Bun.serve speaking the msgpack frames of
// docs/protocol.md §3): hello first, jobs and results passed on, a share answered, reconnects with
// backoff after the bridge drops the socket, and no reconnect after stop().

import { afterEach, describe, expect, test } from "bun:test";
import type { ServerWebSocket } from "bun";
import {
  decodeClientFrame,
  encodeServerFrame,
  MSGPACK_SUBPROTOCOL,
  type MsgpackClientFrame,
  type MsgpackJob,
} from "../../src/protocol/ws-msgpack.ts";
import { BridgeSession, type SessionState } from "../../web/session.ts";

const JOB: MsgpackJob = {
  jobId: "ced4",
  clean: true,
  head: new Uint8Array(108),
  solution: Uint8Array.of(7),
  prefix: Uint8Array.of(1, 2, 3, 4, 5, 6),
  target: new Uint8Array(32).fill(0xff),
  difficulty: 8,
};

function bridge() {
  const received: MsgpackClientFrame[] = [];
  const sockets: ServerWebSocket<unknown>[] = [];
  const protocols: (string | null)[] = [];
  let sessions = 0;
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch(req, srv) {
      protocols.push(req.headers.get("sec-websocket-protocol"));
      return srv.upgrade(req, { headers: { "Sec-WebSocket-Protocol": MSGPACK_SUBPROTOCOL } })
        ? undefined
        : new Response("no", { status: 400 });
    },
    websocket: {
      open: (ws) => void sockets.push(ws),
      message(ws, data) {
        const f = decodeClientFrame(new Uint8Array(data as Buffer));
        received.push(f);
        if (f.type === "hello") {
          ws.send(
            encodeServerFrame({ type: "welcome", session: ++sessions, worker: f.worker ?? "anonymous" }),
          );
          ws.send(encodeServerFrame({ type: "job", ...JOB }));
        } else if (f.type === "share") {
          ws.send(
            encodeServerFrame({
              type: "result",
              seq: f.seq,
              verdict: { accepted: true, difficulty: 8, forwarded: false },
            }),
          );
        }
      },
    },
  });
  return { server, received, sockets, protocols, url: `ws://127.0.0.1:${server.port}/ws` };
}

const open: { stop(): void }[] = [];
afterEach(() => {
  for (const o of open.splice(0)) o.stop();
});

function until(cond: () => boolean, ms = 5_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const tick = () =>
      cond() ? resolve() : Date.now() - t0 > ms ? reject(new Error("timed out")) : setTimeout(tick, 10);
    tick();
  });
}

function session(url: string) {
  const log = {
    states: [] as [SessionState, string][],
    jobs: [] as MsgpackJob[],
    welcomes: [] as number[],
    results: 0,
    messages: [] as string[],
    leases: [] as Uint8Array[],
    idles: [] as string[],
  };
  const s = new BridgeSession(url, {
    state: (st, d) => log.states.push([st, d]),
    welcome: (id) => log.welcomes.push(id),
    job: (j) => log.jobs.push(j),
    result: (v) => (log.results += v.accepted ? 1 : 0),
    message: (m) => log.messages.push(m),
    lease: (p) => log.leases.push(p),
    idle: (r) => log.idles.push(r),
  });
  open.push(s);
  return { s, log };
}

describe("BridgeSession", () => {
  test("subprotocol, hello with the worker name, welcome and job passed on, a share and its result", async () => {
    const b = bridge();
    open.push({ stop: () => b.server.stop(true) });
    const { s, log } = session(b.url);
    s.start("RAddr.rig1");
    await until(() => log.jobs.length === 1);
    expect(b.protocols).toEqual([MSGPACK_SUBPROTOCOL]);
    expect(b.received[0]).toEqual({ type: "hello", worker: "RAddr.rig1", agent: "vbridge-web/1" });
    expect(log.states.map(([st]) => st)).toEqual(["connecting", "connected"]);
    expect(log.welcomes).toEqual([1]);
    expect(log.jobs[0]!.prefix).toEqual(JOB.prefix);
    expect(s.sendShare("ced4", new Uint8Array(9))).toBe(true);
    expect(s.pendingShares).toBe(1);
    await until(() => log.results === 1);
    expect(s.pendingShares).toBe(0);
    expect(b.received[1]).toEqual({ type: "share", seq: 1, jobId: "ced4", nonce: new Uint8Array(9) });
  });

  test("the bridge drops the socket: 'waiting' with its reason, then a new session after ~1 s", async () => {
    const b = bridge();
    open.push({ stop: () => b.server.stop(true) });
    const { s, log } = session(b.url);
    s.start("w");
    await until(() => log.welcomes.length === 1);
    b.sockets[0]!.close(4503, "E_BRIDGE_FULL");
    await until(() => log.states.some(([st]) => st === "waiting"));
    expect(log.states.find(([st]) => st === "waiting")![1]).toMatch(
      /^E_BRIDGE_FULL; reconnecting in [12] s$/,
    );
    expect(s.sendShare("ced4", new Uint8Array(9))).toBe(false); // nothing to send it on
    await until(() => log.welcomes.length === 2, 3_000);
    expect(b.received.filter((f) => f.type === "hello")).toHaveLength(2);
  });

  test("lease and idle frames (docs/protocol.md §3) are passed on; 'idle' until the next job, the socket kept", async () => {
    const b = bridge();
    open.push({ stop: () => b.server.stop(true) });
    const { s, log } = session(b.url);
    s.start("w");
    await until(() => log.jobs.length === 1);
    const next = Uint8Array.of(9, 9, 9, 9, 0, 1);
    b.sockets[0]!.send(encodeServerFrame({ type: "lease", prefix: next }));
    b.sockets[0]!.send(encodeServerFrame({ type: "job", ...JOB, prefix: next }));
    await until(() => log.jobs.length === 2);
    expect(log.leases).toEqual([next]);
    b.sockets[0]!.send(encodeServerFrame({ type: "idle", reason: "pool unreachable" }));
    await until(() => log.idles.length === 1);
    expect(log.idles).toEqual(["pool unreachable"]);
    expect(log.states.at(-1)).toEqual(["idle", "pool unreachable"]);
    b.sockets[0]!.send(encodeServerFrame({ type: "job", ...JOB, jobId: "ced5", prefix: next }));
    await until(() => log.jobs.length === 3);
    expect(log.states.map(([st]) => st)).toEqual(["connecting", "connected", "idle", "connected"]);
    expect(log.welcomes).toEqual([1]); // one session throughout
  });

  test("stop(): the socket closes and stays closed", async () => {
    const b = bridge();
    open.push({ stop: () => b.server.stop(true) });
    const { s, log } = session(b.url);
    s.start("w");
    await until(() => log.welcomes.length === 1);
    s.stop();
    await until(() => log.states.at(-1)?.[0] === "stopped");
    await Bun.sleep(1_500);
    expect(log.welcomes).toHaveLength(1);
    expect(b.received.filter((f) => f.type === "hello")).toHaveLength(1);
  });
});
