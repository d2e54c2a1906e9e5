// ws-connection-harness.ts — fakes and helpers for the WsConnection unit tests: a WsPeer that records
// what goes out (and returns the send status the test chooses), a BridgeCore whose sessions record
// what comes in, a clock the test sets, and the frames a client sends. No socket, no pool, no hash.

import { expect } from "bun:test";
import type {
  BridgeHealth,
  BridgeCore,
  BridgeStats,
  MinerHello,
  MinerSession,
  MinerShare,
  MinerSink,
  MinerWork,
  SessionEnd,
  ShareOutcome,
} from "../../src/bridge/contract.ts";
import { DownstreamCounters } from "../../src/downstream/metrics.ts";
import {
  WsConnection,
  type WsContext,
  type WsMode,
  type WsPeer,
} from "../../src/downstream/ws-connection.ts";
import { WS_CLOSE_CODES, type CloseCode } from "../../src/protocol/close-codes.ts";
import { Job } from "../../src/protocol/job.ts";
import { decodeNotify } from "../../src/protocol/notify.ts";
import { difficultyToTarget } from "../../src/protocol/target.ts";
import {
  decodeJsonServerMessage,
  encodeJsonClientMessage,
  type JsonServerMessage,
} from "../../src/protocol/ws-json.ts";
import {
  decodeServerFrame,
  encodeClientFrame,
  type MsgpackServerFrame,
} from "../../src/protocol/ws-msgpack.ts";
import { CodedError } from "../../src/util/errors.ts";
import { linesLogger } from "../support/log.ts";
import { shareVectors } from "../protocol/fixtures.ts";

/** ccminer 3.8.3's recorded v7 job, under the id given. */
export function v7Job(id = "ced4"): Job {
  const params = [...shareVectors()[2]!.notifyParams];
  params[0] = id;
  return new Job(decodeNotify(null, params));
}

export const XN1 = Uint8Array.of(0x1f, 0xff, 0xff, 0xf9, 0x00, 0x01);
export const XN1_NEW = Uint8Array.of(0x2a, 0x00, 0x00, 0x01, 0x00, 0x01);

export function workOf(job: Job, xn1 = XN1, clean = true, difficulty = 0.5): MinerWork {
  return {
    jobId: job.id,
    job,
    extranonce1: xn1,
    extranonce2Size: 32 - xn1.length,
    target: difficultyToTarget(difficulty),
    difficulty,
    clean,
  };
}

/** The socket: records frames and closes; what send() returns is the test's choice. */
export class FakePeer implements WsPeer {
  readonly sent: (Uint8Array | string)[] = [];
  readonly closes: { code: number; reason: string }[] = [];
  terminated = 0;
  /** What send() returns: bytes sent (>0), −1 queued under backpressure, 0 dropped. */
  status = 1;
  buffered = 0;

  send(data: Uint8Array | string): number {
    this.sent.push(data);
    return this.status;
  }
  bufferedAmount(): number {
    return this.buffered;
  }
  close(code: number, reason: string): void {
    this.closes.push({ code, reason });
  }
  terminate(): void {
    this.terminated++;
  }

  msgpack(): MsgpackServerFrame[] {
    return this.sent.map((d) => decodeServerFrame(d as Uint8Array));
  }
  json(): JsonServerMessage[] {
    return this.sent.map((d) => decodeJsonServerMessage(d as string));
  }
}

/** A MinerSession that records; it answers nothing unless the test calls its sink. */
export class FakeSession implements MinerSession {
  readonly authorizations: string[] = [];
  readonly shares: { share: MinerShare; token: unknown }[] = [];
  closes = 0;
  refuseUser: string | null = null;
  throwOnSubmit: Error | null = null;

  constructor(
    readonly id: number,
    readonly hello: MinerHello,
    readonly sink: MinerSink,
  ) {}

  authorize(user: string): { ok: true } | { ok: false; reason: string } {
    this.authorizations.push(user);
    return user === this.refuseUser ? { ok: false, reason: "refused" } : { ok: true };
  }
  submit(share: MinerShare, token: unknown): void {
    if (this.throwOnSubmit !== null) throw this.throwOnSubmit;
    this.shares.push({ share, token });
  }
  close(): void {
    this.closes++;
  }
  answer(token: unknown, outcome: ShareOutcome): void {
    this.sink.result({ token, outcome });
  }
}

export class FakeCore implements BridgeCore {
  readonly sessions: FakeSession[] = [];
  /** Work every new session gets inside open(), before it returns (as the real core may). */
  work: MinerWork | null = workOf(v7Job());
  /** Thrown by open(): a CodedError code, or any other error. */
  refuse: string | Error | null = null;
  refuseUser: string | null = null;
  /** The core ends the session before open() returns (it may, e.g. while stopping). */
  endInOpen: SessionEnd | null = null;

  open(hello: MinerHello, sink: MinerSink): MinerSession {
    if (this.refuse instanceof Error) throw this.refuse;
    if (this.refuse !== null) throw new CodedError(this.refuse, "no room");
    const s = new FakeSession(this.sessions.length + 1, hello, sink);
    s.refuseUser = this.refuseUser;
    this.sessions.push(s);
    if (this.work !== null) sink.work(this.work);
    if (this.endInOpen !== null) sink.end(this.endInOpen);
    return s;
  }
  stats(): BridgeStats {
    throw new Error("not used by WsConnection");
  }
  health(): BridgeHealth {
    throw new Error("not used by WsConnection");
  }
  get session(): FakeSession {
    const s = this.sessions[0];
    if (s === undefined) throw new Error("no session opened");
    return s;
  }
}

export const LIMITS = { handshakeMs: 1000, idleMs: 5000, messageRate: 10 };
export const T0 = 1_000_000;

export function setup(
  mode: WsMode | null,
  o: { core?: FakeCore; detectMs?: number; worker?: string | null } = {},
) {
  const peer = new FakePeer();
  const core = o.core ?? new FakeCore();
  const counters = new DownstreamCounters();
  const logs: string[] = [];
  const clock = { now: T0 };
  const closedCalls: WsConnection[] = [];
  const ctx: WsContext = {
    core,
    counters,
    log: linesLogger(logs),
    now: () => clock.now,
    limits: LIMITS,
    maxFrameBytes: 128,
    jsonFrameBytes: 1024,
    maxBufferedBytes: 1000,
    detectMs: o.detectMs ?? 60_000,
    defaultWorker: "RDefault.web",
    closed: (c) => closedCalls.push(c),
  };
  const conn = new WsConnection(peer, ctx, {
    id: 7,
    remote: "203.0.113.5",
    mode,
    worker: o.worker ?? null,
    agent: null,
  });
  return { peer, core, counters, logs, clock, closedCalls, conn };
}

export type Setup = ReturnType<typeof setup>;

export const hello = (worker: string | null = "RMiner.rig") =>
  encodeClientFrame({ type: "hello", worker, agent: "test" });
export const mpShare = (seq: number, jobId: string, nonce: Uint8Array) =>
  encodeClientFrame({ type: "share", seq, jobId, nonce });
export const jsShare = (jobId: string, nonce: number, id: string | number | null = null) =>
  encodeJsonClientMessage({ type: "share", jobId, nonce, id });

/** A msgpack connection past its hello; the frames so far are cleared. */
export function msgpackReady(o: Parameters<typeof setup>[1] = {}): Setup {
  const s = setup("msgpack", o);
  s.conn.start();
  s.conn.onMessage(hello());
  s.peer.sent.length = 0;
  return s;
}

export function closedWith(s: Setup, code: CloseCode): void {
  expect(s.peer.closes).toEqual([{ code: WS_CLOSE_CODES[code], reason: code }]);
  expect(s.conn.closed).toBe(true);
  expect(s.counters.closed).toEqual({ [code]: 1 });
  expect(s.closedCalls.length).toBe(1);
}

export function lastError(s: Setup): string {
  const f = s.peer.msgpack().at(-1)!;
  if (f.type !== "error") throw new Error(`last frame is ${f.type}, not error`);
  return f.code;
}

/** Polls `f` (bounded; the wait never decides the outcome). */
export async function until(f: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!f()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(2);
  }
}
