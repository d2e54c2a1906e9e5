// WsConnection (src/downstream/ws-connection.ts) as a unit: a fake WsPeer that records what goes
// out, a fake core whose sessions record what comes in, and a clock the test sets. No socket, no
// pool, no hashing: each test drives the public surface (start, onMessage, onPeerClose, tick,
// close, and the MinerSink calls the core makes) and asserts frames and codes, never prose.

import { describe, expect, test } from "bun:test";
import type {
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
import { rejectOf } from "../../src/protocol/reject.ts";
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
function v7Job(id = "ced4"): Job {
  const params = [...shareVectors()[2]!.notifyParams];
  params[0] = id;
  return new Job(decodeNotify(null, params));
}

const XN1 = Uint8Array.of(0x1f, 0xff, 0xff, 0xf9, 0x00, 0x01);
const XN1_NEW = Uint8Array.of(0x2a, 0x00, 0x00, 0x01, 0x00, 0x01);

function workOf(job: Job, xn1 = XN1, clean = true, difficulty = 0.5): MinerWork {
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
class FakePeer implements WsPeer {
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
class FakeSession implements MinerSession {
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

class FakeCore implements BridgeCore {
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
  get session(): FakeSession {
    const s = this.sessions[0];
    if (s === undefined) throw new Error("no session opened");
    return s;
  }
}

const LIMITS = { handshakeMs: 1000, idleMs: 5000, messageRate: 10 };
const T0 = 1_000_000;

function setup(mode: WsMode | null, o: { core?: FakeCore; detectMs?: number; worker?: string | null } = {}) {
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

type Setup = ReturnType<typeof setup>;

const hello = (worker: string | null = "RMiner.rig") =>
  encodeClientFrame({ type: "hello", worker, agent: "test" });
const mpShare = (seq: number, jobId: string, nonce: Uint8Array) =>
  encodeClientFrame({ type: "share", seq, jobId, nonce });
const jsShare = (jobId: string, nonce: number, id: string | number | null = null) =>
  encodeJsonClientMessage({ type: "share", jobId, nonce, id });

/** A msgpack connection past its hello; the frames so far are cleared. */
function msgpackReady(o: Parameters<typeof setup>[1] = {}): Setup {
  const s = setup("msgpack", o);
  s.conn.start();
  s.conn.onMessage(hello());
  s.peer.sent.length = 0;
  return s;
}

function closedWith(s: Setup, code: CloseCode): void {
  expect(s.peer.closes).toEqual([{ code: WS_CLOSE_CODES[code], reason: code }]);
  expect(s.conn.closed).toBe(true);
  expect(s.counters.closed).toEqual({ [code]: 1 });
  expect(s.closedCalls.length).toBe(1);
}

function lastError(s: Setup): string {
  const f = s.peer.msgpack().at(-1)!;
  if (f.type !== "error") throw new Error(`last frame is ${f.type}, not error`);
  return f.code;
}

/** Polls `f` (bounded; the wait never decides the outcome). */
async function until(f: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!f()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(2);
  }
}

describe("choosing the protocol", () => {
  test("a subprotocol given: msgpack waits for the hello; JSON opens its session at start", () => {
    const mp = setup("msgpack");
    mp.conn.start();
    expect(mp.conn.kind).toBe("ws-msgpack");
    expect(mp.counters.open["ws-msgpack"]).toBe(1);
    expect(mp.counters.accepted.ws).toBe(1);
    expect(mp.core.sessions.length).toBe(0);
    expect(mp.peer.sent).toEqual([]);

    const js = setup("json");
    js.conn.start();
    expect(js.conn.kind).toBe("ws-json");
    expect(js.core.session.hello.transport).toBe("ws-json");
    expect(js.core.session.authorizations).toEqual(["RDefault.web"]);
    expect(js.peer.json().map((m) => m.type)).toEqual(["work"]);
  });

  test("none given: a binary first frame means msgpack, a text one JSON", () => {
    const bin = setup(null);
    bin.conn.start();
    expect(bin.conn.kind).toBe("ws-pending");
    expect(bin.counters.open["ws-pending"]).toBe(1);
    bin.conn.onMessage(hello());
    expect(bin.conn.kind).toBe("ws-msgpack");
    expect(bin.counters.open).toMatchObject({ "ws-pending": 0, "ws-msgpack": 1 });
    expect(bin.core.session.hello.transport).toBe("ws-msgpack");
    expect(bin.peer.msgpack().map((f) => f.type)).toEqual(["welcome", "job"]);

    const text = setup(null);
    text.conn.start();
    text.conn.onMessage('{"type":"ping"}');
    expect(text.conn.kind).toBe("ws-json");
    expect(text.counters.open).toMatchObject({ "ws-pending": 0, "ws-json": 1 });
    expect(text.core.session.hello.transport).toBe("ws-json");
    expect(text.peer.json().map((m) => m.type)).toEqual(["work", "pong"]);
  });

  test("none given and no frame within detectMs: a seed JSON miner, given work unasked", async () => {
    const s = setup(null, { detectMs: 5 });
    s.conn.start();
    expect(s.conn.kind).toBe("ws-pending");
    await until(() => s.conn.kind === "ws-json", "the detection timer");
    expect(s.core.session.hello.transport).toBe("ws-json");
    expect(s.peer.json().map((m) => m.type)).toEqual(["work"]);
  });

  test("a first frame before detectMs cancels the timer: still msgpack afterwards, one session", async () => {
    const s = setup(null, { detectMs: 5 });
    s.conn.start();
    s.conn.onMessage(hello());
    await Bun.sleep(30);
    expect(s.conn.kind).toBe("ws-msgpack");
    expect(s.core.sessions.length).toBe(1);
    expect(s.counters.open).toMatchObject({ "ws-pending": 0, "ws-msgpack": 1, "ws-json": 0 });
  });
});

describe("hello, welcome and work", () => {
  test("msgpack: work the core pushed inside open() is held until the welcome is out", () => {
    const s = setup("msgpack");
    s.conn.start();
    s.conn.onMessage(hello("RMiner.rig"));
    const frames = s.peer.msgpack();
    expect(frames.map((f) => f.type)).toEqual(["welcome", "job"]);
    expect(frames[0]).toEqual({ type: "welcome", session: 1, worker: "RMiner.rig" });
    const job = frames[1] as Extract<MsgpackServerFrame, { type: "job" }>;
    expect(job.jobId).toBe("ced4");
    expect(job.prefix).toEqual(XN1);
    expect(job.clean).toBe(true);
    expect(job.difficulty).toBe(0.5);
    expect(s.core.session.authorizations).toEqual(["RMiner.rig"]);
  });

  test("a hello without a worker is authorised as the default worker (or the one from the URL)", () => {
    const s = setup("msgpack");
    s.conn.start();
    s.conn.onMessage(hello(null));
    expect(s.core.session.authorizations).toEqual(["RDefault.web"]);
    const u = setup("msgpack", { worker: "RFromUrl.x" });
    u.conn.start();
    u.conn.onMessage(hello(null));
    expect(u.core.session.authorizations).toEqual(["RFromUrl.x"]);
  });

  test("every miner's first job is clean; later ones keep the core's flag", () => {
    const core = new FakeCore();
    core.work = workOf(v7Job("a1"), XN1, false);
    const s = setup("msgpack", { core });
    s.conn.start();
    s.conn.onMessage(hello());
    expect(s.peer.msgpack()[1]).toMatchObject({ type: "job", jobId: "a1", clean: true });
    s.peer.sent.length = 0;
    s.conn.work(workOf(v7Job("a2"), XN1, false));
    s.conn.work(workOf(v7Job("a3"), XN1, true));
    expect(s.peer.msgpack().map((f) => [f.type, (f as { clean?: boolean }).clean])).toEqual([
      ["job", false],
      ["job", true],
    ]);
  });

  test("JSON: work at once; a hello later turns on the welcome", () => {
    const s = setup("json");
    s.conn.start();
    const work = s.peer.json()[0] as Extract<JsonServerMessage, { type: "work" }>;
    expect(work.work.job_id).toBe("ced4");
    expect(work.work.solution.slice(1329, 1329 + XN1.length)).toEqual([...XN1]);
    s.conn.onMessage(encodeJsonClientMessage({ type: "hello", worker: "RMiner.js" }));
    expect(s.peer.json()[1]).toEqual({ type: "welcome", session: 1, worker: "RMiner.js" });
    expect(s.core.session.authorizations).toEqual(["RDefault.web", "RMiner.js"]);
    expect(s.core.sessions.length).toBe(1);
  });

  test("a refused worker closes with E_UNAUTHORIZED", () => {
    const core = new FakeCore();
    core.refuseUser = "bad";
    const s = setup("msgpack", { core });
    s.conn.start();
    s.conn.onMessage(hello("bad"));
    expect(lastError(s)).toBe("E_UNAUTHORIZED");
    closedWith(s, "E_UNAUTHORIZED");
    expect(core.session.closes).toBe(1);
  });

  test("ping → pong with its seq", () => {
    const s = msgpackReady();
    s.conn.onMessage(encodeClientFrame({ type: "ping", seq: 42 }));
    expect(s.peer.msgpack()).toEqual([{ type: "pong", seq: 42 }]);
  });
});

describe("shares become MinerShare tails", () => {
  test("msgpack: the announced prefix ‖ the nonce bytes, the job id, the seq as token", () => {
    const s = msgpackReady();
    const nonce = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9);
    s.conn.onMessage(mpShare(5, "ced4", nonce));
    expect(s.core.session.shares).toEqual([
      { share: { kind: "tail", jobId: "ced4", tail: Uint8Array.of(...XN1, ...nonce) }, token: { seq: 5 } },
    ]);
    expect(s.peer.sent).toEqual([]); // the verdict is the core's
  });

  test("JSON: the u32 nonce little-endian at tail bytes 11..14 after the prefix", () => {
    const s = setup("json");
    s.conn.start();
    s.conn.onMessage(jsShare("ced4", 0x04030201, "x1"));
    const tail = new Uint8Array(15);
    tail.set(XN1);
    tail.set([1, 2, 3, 4], 11);
    expect(s.core.session.shares).toEqual([
      { share: { kind: "tail", jobId: "ced4", tail }, token: { jobId: "ced4", nonce: 0x04030201, id: "x1" } },
    ]);
  });

  test("a job re-sent under a new lease gets its own wire id; each share keeps the prefix it was hashed with", () => {
    const s = msgpackReady();
    const job = v7Job();
    s.conn.work(workOf(job, XN1_NEW, true));
    const renamed = s.peer.msgpack()[0] as Extract<MsgpackServerFrame, { type: "job" }>;
    expect(renamed.jobId).toBe("ced4~1");
    expect(renamed.prefix).toEqual(XN1_NEW);
    const nonce = new Uint8Array(9).fill(7);
    s.conn.onMessage(mpShare(1, "ced4", nonce));
    s.conn.onMessage(mpShare(2, "ced4~1", nonce));
    expect(s.core.session.shares.map((x) => x.share)).toEqual([
      { kind: "tail", jobId: "ced4", tail: Uint8Array.of(...XN1, ...nonce) },
      { kind: "tail", jobId: "ced4", tail: Uint8Array.of(...XN1_NEW, ...nonce) },
    ]);
  });
});

describe("local rejects: answered here, never reaching the core", () => {
  test("no work yet → 21 (job not found)", () => {
    const core = new FakeCore();
    core.work = null;
    const s = msgpackReady({ core });
    s.conn.onMessage(mpShare(3, "ced4", new Uint8Array(9)));
    expect(s.peer.msgpack()).toEqual([
      {
        type: "result",
        seq: 3,
        verdict: { accepted: false, code: 21, message: rejectOf("job-not-found").message },
      },
    ]);
    expect(core.session.shares).toEqual([]);
  });

  test("nonce bytes that do not fill the tail after the prefix → 20 (nonce size)", () => {
    const s = msgpackReady();
    for (const n of [8, 10]) s.conn.onMessage(mpShare(n, "ced4", new Uint8Array(n)));
    const frames = s.peer.msgpack() as Extract<MsgpackServerFrame, { type: "result" }>[];
    expect(frames.map((f) => [f.seq, f.verdict.accepted, (f.verdict as { code: number }).code])).toEqual([
      [8, false, 20],
      [10, false, 20],
    ]);
    expect(frames[0]!.verdict).toMatchObject({ message: rejectOf("nonce-size").message });
    expect(s.core.session.shares).toEqual([]);
  });

  test("a share before the hello → 25 (not subscribed)", () => {
    const s = setup("msgpack");
    s.conn.start();
    s.conn.onMessage(mpShare(1, "ced4", new Uint8Array(9)));
    expect(s.peer.msgpack()).toEqual([
      {
        type: "result",
        seq: 1,
        verdict: { accepted: false, code: 25, message: rejectOf("not-subscribed").message },
      },
    ]);
    expect(s.conn.closed).toBe(false);
  });
});

describe("results, messages and error frames", () => {
  test("msgpack: the core's verdicts as result frames, by seq", () => {
    const s = msgpackReady();
    s.conn.onMessage(mpShare(9, "ced4", new Uint8Array(9)));
    const { token } = s.core.session.shares[0]!;
    s.core.session.answer(token, { status: "accepted", difficulty: 0.5, forwarded: true });
    s.core.session.answer(token, { status: "rejected", reject: rejectOf("duplicate") });
    expect(s.peer.msgpack()).toEqual([
      { type: "result", seq: 9, verdict: { accepted: true, difficulty: 0.5, forwarded: true } },
      {
        type: "result",
        seq: 9,
        verdict: { accepted: false, code: 22, message: rejectOf("duplicate").message },
      },
    ]);
  });

  test("JSON: results and messages only after a hello (a seed miner never asks for them)", () => {
    const s = setup("json");
    s.conn.start();
    s.peer.sent.length = 0;
    s.conn.onMessage(jsShare("ced4", 77));
    s.core.session.answer(s.core.session.shares[0]!.token, {
      status: "accepted",
      difficulty: 0.5,
      forwarded: false,
    });
    s.conn.message("pool says hi");
    expect(s.peer.sent).toEqual([]);
    s.conn.onMessage(encodeJsonClientMessage({ type: "hello", worker: null }));
    s.conn.onMessage(jsShare("ced4", 78, 4));
    s.core.session.answer(s.core.session.shares[1]!.token, {
      status: "rejected",
      reject: rejectOf("duplicate"),
    });
    s.conn.message("pool says hi");
    expect(s.peer.json()).toEqual([
      { type: "welcome", session: 1, worker: "RDefault.web" },
      {
        type: "result",
        job_id: "ced4",
        nonce: 78,
        id: 4,
        accepted: false,
        code: 22,
        error: rejectOf("duplicate").message,
      },
      { type: "message", text: "pool says hi" },
    ]);
  });

  test("msgpack: pool messages as message frames", () => {
    const s = msgpackReady();
    s.conn.message("maintenance at noon");
    expect(s.peer.msgpack()).toEqual([{ type: "message", text: "maintenance at noon" }]);
  });

  test("a bad frame is answered with its code and counted; the connection stays", () => {
    const s = msgpackReady();
    s.conn.onMessage(Uint8Array.of(0xc1)); // never used in msgpack
    s.conn.onMessage(encodeClientFrame({ type: "share", seq: 1, jobId: "", nonce: new Uint8Array(9) }));
    s.conn.onMessage("{}"); // text on a msgpack connection
    expect(s.peer.msgpack().map((f) => (f as { code: string }).code)).toEqual([
      "E_BAD_FRAME",
      "E_BAD_FIELD",
      "E_FRAME_KIND",
    ]);
    expect(s.counters.badFrames).toBe(3);
    expect(s.conn.closed).toBe(false);
    expect(s.peer.closes).toEqual([]);
  });

  test("JSON: binary frames are E_FRAME_KIND, unknown types E_UNKNOWN_TYPE", () => {
    const s = setup("json");
    s.conn.start();
    s.peer.sent.length = 0;
    s.conn.onMessage(hello());
    s.conn.onMessage('{"type":"mine-for-me"}');
    expect(s.peer.json()).toMatchObject([
      { type: "error", code: "E_FRAME_KIND" },
      { type: "error", code: "E_UNKNOWN_TYPE" },
    ]);
    expect(s.conn.closed).toBe(false);
  });

  test("the 5th bad frame closes with E_TOO_MANY_BAD_FRAMES", () => {
    const s = msgpackReady();
    for (let i = 0; i < 4; i++) s.conn.onMessage(Uint8Array.of(0xc1));
    expect(s.conn.closed).toBe(false);
    s.conn.onMessage(Uint8Array.of(0xc1));
    expect(s.peer.msgpack().map((f) => (f as { code: string }).code)).toEqual([
      ...Array(5).fill("E_BAD_FRAME"),
      "E_TOO_MANY_BAD_FRAMES",
    ]);
    closedWith(s, "E_TOO_MANY_BAD_FRAMES");
    expect(s.counters.badFrames).toBe(5);
  });

  test("an unknown protocol version closes at once with E_VERSION", () => {
    const s = msgpackReady();
    s.conn.onMessage(
      new Uint8Array([0x82, 0xa1, 0x76, 0x02, 0xa1, 0x74, 0xa4, ...new TextEncoder().encode("ping")]),
    );
    expect(lastError(s)).toBe("E_VERSION");
    closedWith(s, "E_VERSION");
  });

  test("a message over the cap → E_FRAME_TOO_LARGE; JSON has its own, larger cap", () => {
    const s = msgpackReady();
    s.conn.onMessage(new Uint8Array(129));
    expect(lastError(s)).toBe("E_FRAME_TOO_LARGE");
    closedWith(s, "E_FRAME_TOO_LARGE");

    const js = setup("json");
    js.conn.start();
    const padded = JSON.stringify({ type: "ping", pad: "x".repeat(500) }); // over 128, under 1024
    js.conn.onMessage(padded);
    expect(js.conn.closed).toBe(false);
    js.conn.onMessage(JSON.stringify({ type: "ping", pad: "x".repeat(1100) }));
    expect(js.peer.json().at(-1)).toMatchObject({ type: "error", code: "E_FRAME_TOO_LARGE" });
    closedWith(js, "E_FRAME_TOO_LARGE");
  });
});

describe("the rate guard", () => {
  test("past the burst (2 s of messageRate) the connection closes with E_RATE_LIMITED", () => {
    const s = msgpackReady(); // the hello used one token
    for (let i = 0; i < 19; i++) s.conn.onMessage(encodeClientFrame({ type: "ping", seq: i }));
    expect(s.conn.closed).toBe(false);
    s.conn.onMessage(encodeClientFrame({ type: "ping", seq: 99 }));
    expect(lastError(s)).toBe("E_RATE_LIMITED");
    closedWith(s, "E_RATE_LIMITED");
    expect(s.peer.msgpack().filter((f) => f.type === "pong").length).toBe(19);
  });

  test("the bucket refills with time: a sustained messageRate is never limited", () => {
    const s = msgpackReady();
    for (let i = 0; i < 100; i++) {
      s.clock.now += 100; // 10 per second
      s.conn.onMessage(encodeClientFrame({ type: "ping", seq: i }));
    }
    expect(s.conn.closed).toBe(false);
  });
});

describe("slow readers", () => {
  test("send queued (−1) with the buffer over the cap → terminated without a close frame, E_SLOW_READER", () => {
    const s = msgpackReady();
    s.peer.status = -1;
    s.peer.buffered = 1000; // at the cap: still fine
    s.conn.work(workOf(v7Job("b1")));
    expect(s.conn.closed).toBe(false);
    s.peer.buffered = 1001;
    s.conn.work(workOf(v7Job("b2")));
    expect(s.peer.terminated).toBe(1);
    expect(s.peer.closes).toEqual([]);
    expect(s.conn.closed).toBe(true);
    expect(s.counters.closed).toEqual({ E_SLOW_READER: 1 });
    expect(s.core.session.closes).toBe(1);
    const sent = s.peer.sent.length;
    s.conn.work(workOf(v7Job("b3")));
    s.conn.message("x");
    expect(s.peer.sent.length).toBe(sent);
  });

  test("a dropped send (0) is a slow reader too", () => {
    const s = msgpackReady();
    s.peer.status = 0;
    s.conn.onMessage(encodeClientFrame({ type: "ping", seq: 1 }));
    expect(s.peer.terminated).toBe(1);
    expect(s.counters.closed).toEqual({ E_SLOW_READER: 1 });
  });

  test("a slow reader found while sending a close's error frame is terminated, not closed twice", () => {
    const s = msgpackReady();
    s.peer.status = -1;
    s.peer.buffered = 5000;
    s.conn.close("E_IDLE_TIMEOUT", "test");
    expect(s.peer.terminated).toBe(1);
    expect(s.peer.closes).toEqual([]);
    expect(s.counters.closed).toEqual({ E_SLOW_READER: 1 });
    expect(s.closedCalls.length).toBe(1);
  });
});

describe("the core's side", () => {
  test("open refused: E_BRIDGE_FULL, and E_BRIDGE_CLOSED becomes E_BRIDGE_CLOSING", () => {
    for (const [thrown, code] of [
      ["E_BRIDGE_FULL", "E_BRIDGE_FULL"],
      ["E_BRIDGE_CLOSED", "E_BRIDGE_CLOSING"],
    ] as const) {
      const core = new FakeCore();
      core.refuse = thrown;
      const s = setup("msgpack", { core });
      s.conn.start();
      s.conn.onMessage(hello());
      expect(lastError(s)).toBe(code);
      closedWith(s, code);
      expect(core.sessions).toEqual([]);
    }
    const core = new FakeCore();
    core.refuse = "E_BRIDGE_FULL";
    const js = setup("json", { core });
    js.conn.start();
    expect(js.peer.json()).toMatchObject([{ type: "error", code: "E_BRIDGE_FULL" }]);
    closedWith(js, "E_BRIDGE_FULL");
  });

  test("the core ends the session: each reason closes with its code, the session is closed once", () => {
    for (const [e, code] of [
      [{ reason: "too-many-invalid", detail: "30 of 40" }, "E_TOO_MANY_INVALID"],
      [{ reason: "rate-limited", detail: "fast" }, "E_RATE_LIMITED"],
      [{ reason: "unauthorized", detail: "no" }, "E_UNAUTHORIZED"],
      [{ reason: "bridge-closing" }, "E_BRIDGE_CLOSING"],
    ] as const) {
      const s = msgpackReady();
      s.core.session.sink.end(e);
      expect(lastError(s)).toBe(code);
      closedWith(s, code);
      expect(s.core.session.closes).toBe(1);
      expect(s.counters.open["ws-msgpack"]).toBe(0);
    }
  });

  test("a bug in the core is contained: E_INTERNAL, logged with its stack, nothing thrown", () => {
    const s = msgpackReady();
    s.core.session.throwOnSubmit = new TypeError("core bug");
    expect(() => s.conn.onMessage(mpShare(1, "ced4", new Uint8Array(9)))).not.toThrow();
    expect(lastError(s)).toBe("E_INTERNAL");
    closedWith(s, "E_INTERNAL");
    expect(s.logs.some((l) => l.includes("internal error") && l.includes("TypeError: core bug"))).toBe(true);

    const core = new FakeCore();
    core.refuse = new RangeError("open bug");
    const o = setup("msgpack", { core });
    o.conn.start();
    expect(() => o.conn.onMessage(hello())).not.toThrow();
    closedWith(o, "E_INTERNAL");
  });

  test("work the connection cannot encode is contained the same way (MinerSink calls never throw)", () => {
    const s = msgpackReady();
    const broken = { ...workOf(v7Job("c1")), extranonce1: new Uint8Array(0) }; // no prefix: a core bug
    expect(() => s.conn.work(broken)).not.toThrow();
    closedWith(s, "E_INTERNAL");
    expect(s.logs.some((l) => l.includes("internal error"))).toBe(true);
  });
});

describe("deadlines (tick)", () => {
  test("no hello within handshakeMs → E_HANDSHAKE_TIMEOUT", () => {
    const s = setup("msgpack");
    s.conn.start();
    s.conn.tick(T0 + LIMITS.handshakeMs);
    expect(s.conn.closed).toBe(false);
    s.conn.tick(T0 + LIMITS.handshakeMs + 1);
    expect(lastError(s)).toBe("E_HANDSHAKE_TIMEOUT");
    closedWith(s, "E_HANDSHAKE_TIMEOUT");
  });

  test("a pending connection times out too (no frame to answer in: just the close)", () => {
    const s = setup(null);
    s.conn.start();
    s.conn.tick(T0 + LIMITS.handshakeMs + 1);
    expect(s.peer.sent).toEqual([]);
    closedWith(s, "E_HANDSHAKE_TIMEOUT");
    expect(s.counters.open["ws-pending"]).toBe(0);
  });

  test("after the hello, silence past idleMs → E_IDLE_TIMEOUT; any message resets it", () => {
    const s = msgpackReady();
    s.clock.now = T0 + 4000;
    s.conn.onMessage(encodeClientFrame({ type: "ping", seq: 1 }));
    s.conn.tick(T0 + 4000 + LIMITS.idleMs);
    expect(s.conn.closed).toBe(false);
    s.conn.tick(T0 + 4000 + LIMITS.idleMs + 1);
    expect(lastError(s)).toBe("E_IDLE_TIMEOUT");
    closedWith(s, "E_IDLE_TIMEOUT");
  });

  test("a JSON seed miner has no handshake to make: only the idle deadline applies", () => {
    const s = setup("json");
    s.conn.start();
    s.conn.tick(T0 + LIMITS.handshakeMs + 1);
    expect(s.conn.closed).toBe(false);
    s.conn.tick(T0 + LIMITS.idleMs + 1);
    closedWith(s, "E_IDLE_TIMEOUT");
  });
});

describe("closing happens once", () => {
  test("close, close again, end, peer close: one close frame, one closed() call, one session close", () => {
    const s = msgpackReady();
    s.conn.close("E_BRIDGE_CLOSING", "stopping");
    s.conn.close("E_INTERNAL", "again");
    s.conn.end({ reason: "too-many-invalid", detail: "late" });
    s.conn.onPeerClose();
    closedWith(s, "E_BRIDGE_CLOSING");
    expect(s.core.session.closes).toBe(1);
    expect(s.peer.msgpack().map((f) => f.type)).toEqual(["error"]);
    s.conn.onMessage(encodeClientFrame({ type: "ping", seq: 1 }));
    s.conn.work(workOf(v7Job("d1")));
    s.conn.result({ token: { seq: 1 }, outcome: { status: "accepted", difficulty: 1, forwarded: false } });
    s.conn.tick(T0 + 10 * LIMITS.idleMs);
    expect(s.peer.sent.length).toBe(1);
    expect(s.counters.open).toEqual({ "ws-msgpack": 0, "ws-json": 0, "ws-pending": 0, stratum: 0 });
  });

  test("the peer going away: closed as 'peer', nothing sent, the session closed", () => {
    const s = msgpackReady();
    s.conn.onPeerClose();
    s.conn.onPeerClose();
    expect(s.peer.closes).toEqual([]);
    expect(s.peer.sent).toEqual([]);
    expect(s.counters.closed).toEqual({ peer: 1 });
    expect(s.core.session.closes).toBe(1);
    expect(s.closedCalls).toEqual([s.conn]);
  });

  test("ended by the core inside open(): that session is closed too, and nothing more is sent", () => {
    const core = new FakeCore();
    core.endInOpen = { reason: "bridge-closing" };
    const s = setup("msgpack", { core });
    s.conn.start();
    s.conn.onMessage(hello());
    closedWith(s, "E_BRIDGE_CLOSING");
    expect(core.session.closes).toBe(1);
    expect(s.peer.msgpack().map((f) => (f as { code?: string }).code)).toEqual(["E_BRIDGE_CLOSING"]);
  });

  test("a slow reader found by the welcome closes the new session", () => {
    const s = setup("msgpack");
    s.conn.start();
    s.peer.status = 0;
    s.conn.onMessage(hello());
    expect(s.peer.terminated).toBe(1);
    expect(s.counters.closed).toEqual({ E_SLOW_READER: 1 });
    expect(s.core.session.closes).toBe(1);
  });

  test("the detection timer does not fire after a close", async () => {
    const s = setup(null, { detectMs: 5 });
    s.conn.start();
    s.conn.onPeerClose();
    await Bun.sleep(30);
    expect(s.core.sessions).toEqual([]);
    expect(s.counters.open).toEqual({ "ws-msgpack": 0, "ws-json": 0, "ws-pending": 0, stratum: 0 });
  });
});
