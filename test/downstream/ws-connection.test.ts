// WsConnection (src/downstream/ws-connection.ts) as a unit, the conversation: which protocol a
// client speaks, hello → welcome → work, shares turned into the core's MinerShare tails, local
// rejects, results and messages. Fakes and a set clock (ws-connection-harness.ts): no socket, no
// pool, no hashing; frames and codes are asserted, never prose. Limits and closes:
// ws-connection-limits.test.ts.

import { describe, expect, test } from "bun:test";
import type { MsgpackServerFrame } from "../../src/protocol/ws-msgpack.ts";
import type { JsonServerMessage } from "../../src/protocol/ws-json.ts";
import { encodeClientFrame } from "../../src/protocol/ws-msgpack.ts";
import { encodeJsonClientMessage } from "../../src/protocol/ws-json.ts";
import { rejectOf } from "../../src/protocol/reject.ts";
import {
  v7Job,
  XN1,
  XN1_NEW,
  workOf,
  FakeCore,
  setup,
  hello,
  mpShare,
  jsShare,
  msgpackReady,
  closedWith,
  lastError,
  until,
} from "./ws-connection-harness.ts";

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
      {
        share: {
          kind: "tail",
          jobId: "ced4",
          tail: Uint8Array.of(...XN1, ...nonce),
          announced: expect.anything(),
        },
        token: { seq: 5 },
      },
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
      {
        share: { kind: "tail", jobId: "ced4", tail, announced: expect.anything() },
        token: { jobId: "ced4", nonce: 0x04030201, id: "x1" },
      },
    ]);
  });

  test("a job re-sent under a new lease gets its own wire id; each share keeps the prefix it was hashed with", () => {
    const s = msgpackReady();
    const job = v7Job();
    s.conn.work(workOf(job, XN1_NEW, true));
    // Issue 10: a lease frame now precedes the job of a new prefix (its own test below).
    expect(s.peer.msgpack().map((f) => f.type)).toEqual(["lease", "job"]);
    const renamed = s.peer.msgpack()[1] as Extract<MsgpackServerFrame, { type: "job" }>;
    expect(renamed.jobId).toBe("ced4~1");
    expect(renamed.prefix).toEqual(XN1_NEW);
    const nonce = new Uint8Array(9).fill(7);
    s.conn.onMessage(mpShare(1, "ced4", nonce));
    s.conn.onMessage(mpShare(2, "ced4~1", nonce));
    expect(s.core.session.shares.map((x) => x.share)).toEqual([
      { kind: "tail", jobId: "ced4", tail: Uint8Array.of(...XN1, ...nonce), announced: expect.anything() },
      {
        kind: "tail",
        jobId: "ced4",
        tail: Uint8Array.of(...XN1_NEW, ...nonce),
        announced: expect.anything(),
      },
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

describe("results and messages", () => {
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
});

describe("re-lease and pause (issue 10)", () => {
  test("msgpack: a new prefix is announced by a lease frame right before its job, which is clean", () => {
    const s = msgpackReady();
    s.conn.work(workOf(v7Job("ced5"), XN1, false));
    expect(s.peer.msgpack().map((f) => f.type)).toEqual(["job"]); // same prefix: no lease
    s.peer.sent.length = 0;
    s.conn.work(workOf(v7Job("ced6"), XN1_NEW, false));
    const frames = s.peer.msgpack();
    expect(frames).toMatchObject([
      { type: "lease", prefix: XN1_NEW },
      { type: "job", jobId: "ced6", clean: true, prefix: XN1_NEW },
    ]);
    expect(s.conn.closed).toBe(false);
    s.peer.sent.length = 0;
    s.conn.work(workOf(v7Job("ced7"), XN1_NEW, false));
    expect(s.peer.msgpack()).toMatchObject([{ type: "job", clean: false }]);
  });

  test("JSON: just the new work (its data and solution carry the prefix)", () => {
    const s = setup("json");
    s.conn.start();
    s.conn.onMessage(hello());
    s.peer.sent.length = 0;
    s.conn.work(workOf(v7Job("ced6"), XN1_NEW, false));
    const m = s.peer.json();
    expect(m.map((x) => x.type)).toEqual(["work"]);
    const work = (m[0] as Extract<JsonServerMessage, { type: "work" }>).work;
    expect(work.solution.slice(1329, 1329 + XN1_NEW.length)).toEqual([...XN1_NEW]);
  });

  test("pause: msgpack idle frame once, until work resumes; JSON idle only after a hello", () => {
    const s = msgpackReady();
    s.conn.pause("pool lost");
    s.conn.pause("pool lost");
    expect(s.peer.msgpack()).toEqual([{ type: "idle", reason: "pool lost" }]);
    s.peer.sent.length = 0;
    s.conn.work(workOf(v7Job("ced5"), XN1, true));
    s.conn.pause("pool lost again");
    expect(s.peer.msgpack().map((f) => f.type)).toEqual(["job", "idle"]);
    expect(s.conn.closed).toBe(false);

    const seed = setup("json");
    seed.conn.start();
    seed.peer.sent.length = 0;
    seed.conn.pause("pool lost");
    expect(seed.peer.sent).toEqual([]); // an old seed miner never sees additions
    seed.conn.onMessage('{"type":"hello","worker":"RMiner.rig"}');
    seed.peer.sent.length = 0;
    seed.conn.pause("pool lost");
    expect(seed.peer.json()).toEqual([{ type: "idle", reason: "pool lost" }]);
  });

  test("a pause while the session opens drops the held work; the client is told right after the welcome", () => {
    class PausingCore extends FakeCore {
      override open(...args: Parameters<FakeCore["open"]>) {
        const session = super.open(...args); // pushes work inside open(), as the real core may
        args[1].pause!("no pool");
        return session;
      }
    }
    const s = setup("msgpack", { core: new PausingCore() });
    s.conn.start();
    s.conn.onMessage(hello());
    expect(s.peer.msgpack()).toMatchObject([{ type: "welcome" }, { type: "idle", reason: "no pool" }]);
    s.peer.sent.length = 0;
    s.conn.work(workOf(v7Job("ced9"), XN1, false));
    expect(s.peer.msgpack()).toMatchObject([{ type: "job", jobId: "ced9", clean: true }]);
  });
});
