// harness.ts — starts a quiet built-in pool on an ephemeral loopback port and the clients a test
// uses, and tears all of it down after each test.

import { afterAll, afterEach, beforeAll } from "bun:test";
import { Hasher } from "../../src/hash/index.ts";
import { PoolServer, type PoolOptions } from "../../src/pool/index.ts";
import { targetFromHex } from "../../src/protocol/target.ts";
import { TestClient, type Message } from "./client.ts";
import { WORKER } from "./shares.ts";
import { linesLogger } from "../support/log.ts";

export interface Harness {
  start(options?: PoolOptions): PoolServer;
  client(server: PoolServer): Promise<TestClient>;
  /** Log lines of every pool started in the current test. */
  logs: string[];
  hasher(): Hasher;
  /** The fake clock of pools started with `clock: h.clock`; advance it with `h.advance(ms)`. */
  clock: () => number;
  advance(ms: number): void;
}

/** Register per-test cleanup and return the harness (call at the top of a test file). */
export function harness(): Harness {
  const servers: PoolServer[] = [];
  const clients: TestClient[] = [];
  const logs: string[] = [];
  let hasher: Hasher | null = null;
  let now = 1_795_238_821_000; // the recorded template's curtime, in ms
  beforeAll(() => {
    hasher = Hasher.open("auto");
  });
  afterAll(() => hasher?.close());
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
    for (const s of servers.splice(0)) s.stop();
    logs.length = 0;
  });
  return {
    start(options = {}) {
      const s = PoolServer.start({
        port: 0,
        seed: 7,
        // Jobs and blocks only when a test asks (server.newJob / newBlock).
        jobIntervalSeconds: 3600,
        blockIntervalSeconds: 7200,
        summaryIntervalSeconds: null,
        log: linesLogger(logs),
        ...options,
      });
      servers.push(s);
      return s;
    },
    async client(server) {
      const c = await TestClient.connect(server.port);
      clients.push(c);
      return c;
    },
    logs,
    hasher: () => hasher!,
    clock: () => now,
    advance(ms) {
      now += ms;
    },
  };
}

export interface Handshake {
  extranonce1: string;
  target: bigint;
  /** params of the first notify. */
  notify: unknown[];
}

/** subscribe (→ xn1, set_target, notify) and authorize, as ccminer 3.8.3 does. */
export async function handshake(c: TestClient, worker = WORKER): Promise<Handshake> {
  const sub = await c.request("mining.subscribe", ["ccminer_CPU/3.8.3"]);
  const extranonce1 = (sub.result as string[])[1]!;
  const setTarget = await c.notification("mining.set_target");
  const notify = await c.notification("mining.notify");
  const auth = await c.request("mining.authorize", [worker, "x"]);
  if (auth.result !== true) throw new Error(`authorize failed: ${JSON.stringify(auth)}`);
  return { extranonce1, target: targetFromHex((setTarget.params as string[])[0]!), notify: notify.params! };
}

/** The error member of a submit reply, or null when accepted. */
export function errorOf(m: Message): unknown[] | null {
  return m.error === null ? null : (m.error as unknown[]);
}
