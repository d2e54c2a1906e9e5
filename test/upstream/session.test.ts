import { describe, expect, test } from "bun:test";
import { difficultyToTarget, targetToHex } from "../../src/protocol/index.ts";
import { UpstreamError } from "../../src/upstream/errors.ts";
import {
  NTIME,
  notifyLine,
  PREV_B,
  resultLine,
  SessionRig,
  setTargetLine,
  share,
  SOLUTION,
  vnompSubscribe,
} from "./helpers.ts";

const T2 = "0004000000000000000000000000000000000000000000000000000000000000";

describe("handshake", () => {
  test("subscribe with our user agent, authorize after its result, ids monotonic", () => {
    const rig = new SessionRig();
    rig.session.start(0);
    expect(rig.sent).toEqual([{ id: 1, method: "mining.subscribe", params: ["vbridge/test"] }]);
    rig.feed(vnompSubscribe(1));
    expect(rig.sent[1]).toEqual({ id: 2, method: "mining.authorize", params: ["RAddr.rig", "hunter2"] });
    expect(rig.session.phase).toBe("subscribed");
    rig.feed(resultLine(2, true));
    expect(rig.session.phase).toBe("authorized");
    expect(rig.of("authorized")).toHaveLength(1);
    expect(rig.raw.every((l) => l.endsWith("\n") && !l.slice(0, -1).includes("\n"))).toBe(true);
  });

  test("the previous subscription id is offered as session id", () => {
    const rig = new SessionRig({ sessionId: "deadbeefcafebabe0a00000000000000" });
    rig.session.start(0);
    expect(rig.sent[0]!.params).toEqual(["vbridge/test", "deadbeefcafebabe0a00000000000000"]);
  });

  test("extranonce.subscribe only when configured, right after authorize", () => {
    const on = new SessionRig({ extranonceSubscribe: true });
    on.handshake();
    expect(on.sent.map((w) => w.method)).toEqual([
      "mining.subscribe",
      "mining.authorize",
      "mining.extranonce.subscribe",
    ]);
    const off = new SessionRig();
    off.handshake();
    expect(off.sent.map((w) => w.method)).toEqual(["mining.subscribe", "mining.authorize"]);
  });

  test.each([
    ["node-stratum-pool", [null, "1ffffff7"], "1ffffff7", null],
    [
      "v-nomp",
      [
        [
          ["mining.set_difficulty", "ab"],
          ["mining.notify", "cd"],
        ],
        "1FFFFFFE",
        8,
      ],
      "1ffffffe",
      "cd",
    ],
    ["verusProxy", [null, "1ffffff70001"], "1ffffff70001", null],
    ["Miningcore", ["conn-17", "a1b2c3", 4], "a1b2c3", "conn-17"],
  ])("subscribe result shape: %s", (_name, result, xn1, subId) => {
    const rig = new SessionRig();
    rig.session.start(0);
    rig.feed(resultLine(1, result));
    const [s] = rig.of("subscribed");
    // Verus miners ignore result[2]: xn1 ‖ xn2 fill the 32-byte nonce (verus-stratum.md §3.1).
    expect(s).toEqual({
      type: "subscribed",
      subscriptionId: subId,
      epoch: 1,
      extranonce1: xn1,
      extranonce2Size: 32 - xn1.length / 2,
    });
    expect(rig.session.extranonce1).toBe(xn1);
  });

  test("subscribe error → E_SUBSCRIBE_FAILED", () => {
    const rig = new SessionRig();
    rig.session.start(0);
    rig.feed(resultLine(1, null, [20, "Other/Unknown", null]));
    expect(rig.of("end")[0]!.reason.code).toBe("E_SUBSCRIBE_FAILED");
    expect(rig.session.phase).toBe("closed");
  });

  test.each([
    ["result false", resultLine(2, false)],
    ["[24, msg, null] (Miningcore)", resultLine(2, null, [24, "Authorization failed", null])],
    ["true beside an error", resultLine(2, true, [20, "bad"])],
  ])("authorize refused (%s) → E_AUTH_FAILED, the password never in the error", (_n, line) => {
    const rig = new SessionRig();
    rig.session.start(0);
    rig.feed(vnompSubscribe(1)).feed(line);
    const [end] = rig.of("end");
    expect(end!.reason.code).toBe("E_AUTH_FAILED");
    expect(JSON.stringify({ m: end!.reason.message, d: end!.reason.detail })).not.toContain("hunter2");
  });
});

describe("work: targets and jobs", () => {
  test("set_target and notify before authorize are accepted (node-stratum-pool order)", () => {
    const rig = new SessionRig();
    rig.session.start(0);
    rig.feed(vnompSubscribe(1)).feed(setTargetLine(T2)).feed(notifyLine("cccd"));
    expect(rig.session.phase).toBe("subscribed");
    expect(rig.of("target")).toEqual([
      { type: "target", epoch: 1, target: BigInt("0x" + T2), difficulty: 2, source: "set_target" },
    ]);
    const [job] = rig.of("job");
    expect([job!.job.id, job!.clean, job!.epoch, job!.extranonce1]).toEqual(["cccd", true, 1, "1ffffffe"]);
  });

  test("set_target and notify before the subscribe result are announced once subscribed", () => {
    const rig = new SessionRig();
    rig.session.start(0);
    rig.feed(setTargetLine(T2)).feed(notifyLine("cccd", false));
    expect(rig.events).toEqual([]);
    rig.feed(vnompSubscribe(1));
    expect(rig.events.map((e) => e.type)).toEqual(["subscribed", "target", "job"]);
    expect(rig.of("job")[0]!.clean).toBe(true);
  });

  test("no set_target at all (v-nomp on a difficulty-1 port): difficulty 1's target 0008… is assumed", () => {
    const rig = new SessionRig();
    rig.handshake();
    rig.feed(notifyLine("a1"));
    expect(rig.events.map((e) => e.type)).toEqual(["subscribed", "authorized", "target", "job"]);
    const [t] = rig.of("target");
    expect(targetToHex(t!.target)).toBe("0008" + "0".repeat(60));
    expect(t!.source).toBe("default");
    expect(rig.session.target).toBe(t!.target);
  });

  test("set_difficulty is converted with diff1 = 0x0007ff…", () => {
    const rig = new SessionRig();
    rig.handshake();
    rig.feed(JSON.stringify({ id: null, method: "mining.set_difficulty", params: [8192] }));
    const [t] = rig.of("target");
    expect(targetToHex(t!.target)).toBe("0000004" + "0".repeat(57));
    expect([t!.difficulty, t!.source]).toEqual([8192, "set_difficulty"]);
  });

  test("the first job is clean even when the pool says false (v-nomp quirk); a new prevhash is a new block", () => {
    const rig = new SessionRig();
    rig.handshake();
    rig
      .feed(notifyLine("a1", false))
      .feed(notifyLine("a2", false))
      .feed(notifyLine("b1", false, PREV_B));
    expect(rig.of("job").map((j) => [j.job.id, j.clean])).toEqual([
      ["a1", true],
      ["a2", false],
      ["b1", true],
    ]);
  });
});

describe("submits", () => {
  function ready(): { rig: SessionRig; epoch: number } {
    const rig = new SessionRig();
    const epoch = rig.handshake();
    rig.feed(setTargetLine(T2)).feed(notifyLine("a1"));
    return { rig, epoch };
  }

  test("the submit line: worker, job, nTime, xn2, solution verbatim", () => {
    const { rig, epoch } = ready();
    rig.session.submit(share(epoch, "a1", 7), 1, 0);
    expect(rig.submits()[0]).toEqual({
      id: 3,
      method: "mining.submit",
      params: ["RAddr.rig", "a1", NTIME, "7".padStart(56, "0"), SOLUTION],
    });
  });

  test("at most 3 in flight, the rest queued in order; responses matched by id, out of order", () => {
    const { rig, epoch } = ready();
    for (let i = 0; i < 6; i++) rig.session.submit(share(epoch, "a1", i), 100 + i, 0);
    expect(rig.submits().map((w) => w.id)).toEqual([3, 4, 5]);
    expect([rig.session.submitsInFlight, rig.session.submitsWaiting]).toEqual([3, 3]);
    rig.feed(resultLine(5, null, [22, "duplicate share"])); // the third answered first
    rig.feed(resultLine(3, true));
    expect(rig.submits().map((w) => (w.params as string[])[3]!.slice(-1))).toEqual(["0", "1", "2", "3", "4"]);
    rig
      .feed(resultLine(4, true))
      .feed(resultLine(7, true))
      .feed(resultLine(6, true))
      .feed(resultLine(8, true));
    expect(rig.outcomes()).toEqual([
      [102, "rejected"],
      [100, "accepted"],
      [101, "accepted"],
      [104, "accepted"],
      [103, "accepted"],
      [105, "accepted"],
    ]);
    const rej = rig.of("result")[0]!.outcome;
    expect(rej).toEqual({
      status: "rejected",
      reject: { code: 22, reason: "duplicate", message: "duplicate share" },
    });
  });

  test("submits before authorize wait for it", () => {
    const rig = new SessionRig();
    rig.session.start(0);
    rig.feed(vnompSubscribe(1)).feed(notifyLine("a1"));
    rig.session.submit(share(rig.session.epoch!, "a1"), 1, 0);
    expect(rig.submits()).toHaveLength(0);
    rig.feed(resultLine(2, true));
    expect(rig.submits()).toHaveLength(1);
  });

  test("a clean job makes queued shares of dead jobs stale (never sent); in-flight ones still get answers", () => {
    const { rig, epoch } = ready();
    for (let i = 0; i < 5; i++) rig.session.submit(share(epoch, "a1", i), i, 0);
    rig.feed(notifyLine("b1", true, PREV_B));
    expect(rig.outcomes()).toEqual([
      [3, "stale"],
      [4, "stale"],
    ]);
    expect(rig.of("result")[0]!.outcome).toEqual({ status: "stale", reason: "job-gone" });
    rig.feed(resultLine(3, null, [21, "job not found"]));
    expect(rig.of("result")[2]!.outcome).toMatchObject({
      status: "rejected",
      reject: { code: 21, reason: "job-not-found" },
    });
    expect(rig.submits()).toHaveLength(3);
    rig.session.submit(share(epoch, "a1", 9), 9, 0); // the old job, after the new block
    expect(rig.of("result").at(-1)).toMatchObject({
      token: 9,
      outcome: { status: "stale", reason: "job-gone" },
    });
    rig.session.submit(share(epoch, "b1", 10), 10, 0); // the answered slot is free again
    expect(rig.submits().map((w) => (w.params as string[])[1])).toEqual(["a1", "a1", "a1", "b1"]);
  });

  test("a share from another epoch is stale", () => {
    const { rig, epoch } = ready();
    rig.session.submit(share(epoch - 1, "a1"), 1, 0);
    expect(rig.of("result")[0]!.outcome).toEqual({ status: "stale", reason: "old-epoch" });
    expect(rig.submits()).toHaveLength(0);
  });

  test.each([
    [
      "[code, msg] with result null",
      resultLine(3, null, [23, "low difficulty share of 0.00028299997610799595"]),
      { code: 23, reason: "low-difficulty", shareDifficulty: 0.00028299997610799595 },
    ],
    [
      "[code, msg, null]",
      resultLine(3, null, [24, "unauthorized worker", null]),
      { code: 24, reason: "unauthorized" },
    ],
    [
      "result false with an error (verusProxy)",
      resultLine(3, false, [21, "pool not found"]),
      { code: 21, reason: "job-not-found" },
    ],
    ["result false, no error", resultLine(3, false), { code: -1, reason: "unspecified" }],
    ["result null, no error", resultLine(3, null), { code: -1, reason: "unspecified" }],
    [
      "error object",
      resultLine(3, null, { code: 20, message: "ntime out of range" }),
      { code: 20, reason: "ntime-out-of-range" },
    ],
  ])("reject shape: %s", (_n, line, reject) => {
    const { rig, epoch } = ready();
    rig.session.submit(share(epoch, "a1"), 1, 0);
    rig.feed(line);
    expect(rig.of("result")[0]!.outcome).toMatchObject({ status: "rejected", reject });
  });

  test("the waiting list is capped: the overflow is reported dropped", () => {
    const rig = new SessionRig({ maxQueuedSubmits: 2 });
    const epoch = rig.handshake();
    rig.feed(notifyLine("a1"));
    for (let i = 0; i < 6; i++) rig.session.submit(share(epoch, "a1", i), i, 0);
    expect(rig.outcomes()).toEqual([[5, "dropped"]]);
  });

  test("drain stops new submits; idle once the window is empty", () => {
    const { rig, epoch } = ready();
    rig.session.submit(share(epoch, "a1", 0), 0, 0);
    rig.session.drain();
    rig.session.submit(share(epoch, "a1", 1), 1, 0);
    expect([rig.submits().length, rig.session.idle]).toEqual([1, false]);
    rig.feed(resultLine(3, true));
    expect([rig.submits().length, rig.session.idle]).toEqual([1, true]);
  });

  test("oversized share fields are the caller's bug (a RangeError), not a line that trips the flood guard", () => {
    const { rig, epoch } = ready();
    expect(() => rig.session.submit({ ...share(epoch, "a1"), solution: SOLUTION + "00" }, 1, 0)).toThrow(
      RangeError,
    );
  });
});

describe("extranonce.subscribe is never waited for", () => {
  test.each([
    ["Miningcore: no reply at all", null],
    [
      "node-stratum-pool: false + [20, Not supported., null]",
      resultLine(3, false, [20, "Not supported.", null]),
    ],
    ["v-nomp: true", resultLine(3, true)],
  ])("%s", (_n, reply) => {
    const rig = new SessionRig({ extranonceSubscribe: true });
    const epoch = rig.handshake();
    if (reply !== null) rig.feed(reply);
    rig.feed(notifyLine("a1"));
    rig.session.submit(share(epoch, "a1"), 1, 0);
    expect(rig.submits()).toHaveLength(1);
    expect(rig.of("end")).toHaveLength(0);
    rig.session.tick(10 * 60_000); // the unanswered extranonce.subscribe has no deadline; the submit does
    expect(rig.of("end").map((e) => e.reason.code)).toEqual(["E_CALL_TIMEOUT"]);
  });
});

describe("timeouts", () => {
  test("subscribe unanswered → E_CALL_TIMEOUT at exactly its deadline", () => {
    const rig = new SessionRig({ subscribeTimeoutMs: 5000 });
    rig.session.start(1000);
    expect(rig.session.nextDeadline()).toBe(6000);
    rig.session.tick(5999);
    expect(rig.of("end")).toHaveLength(0);
    rig.session.tick(6000);
    expect(rig.of("end")[0]!.reason).toMatchObject({
      code: "E_CALL_TIMEOUT",
      detail: { method: "subscribe" },
    });
  });

  test("authorize unanswered → E_CALL_TIMEOUT", () => {
    const rig = new SessionRig({ authorizeTimeoutMs: 100 });
    rig.session.start(0);
    rig.feed(vnompSubscribe(1), 50);
    expect(rig.session.nextDeadline()).toBe(150);
    rig.session.tick(150);
    expect(rig.of("end")[0]!.reason.detail).toMatchObject({ method: "authorize" });
  });

  test("a stalled submit is reported timeout, then the session ends: others in flight lost, queued stale", () => {
    const rig = new SessionRig({ submitTimeoutMs: 1000 });
    const epoch = rig.handshake();
    rig.feed(notifyLine("a1"));
    rig.session.submit(share(epoch, "a1", 0), 0, 0);
    for (let i = 1; i < 5; i++) rig.session.submit(share(epoch, "a1", i), i, 500);
    rig.session.tick(1000);
    expect(rig.outcomes()).toEqual([
      [0, "timeout"],
      [1, "lost"],
      [2, "lost"],
      [3, "stale"],
      [4, "stale"],
    ]);
    expect(rig.of("result")[1]!.outcome).toEqual({ status: "lost", reason: "E_CALL_TIMEOUT" });
    expect(rig.of("result")[3]!.outcome).toEqual({ status: "stale", reason: "disconnected" });
    expect(rig.of("end")[0]!.reason.code).toBe("E_CALL_TIMEOUT");
    rig.feed(resultLine(3, true)); // a late answer after the end changes nothing
    expect(rig.of("result")).toHaveLength(5);
  });
});

describe("pool requests and oddities", () => {
  test("client.show_message (with id), client.get_version and mining.ping are answered; we never send mining.ping", () => {
    const rig = new SessionRig();
    rig.handshake();
    rig.feed(
      JSON.stringify({ id: 7, method: "client.show_message", params: ["equihash VRSC block 3911208"] }),
    );
    rig.feed(JSON.stringify({ id: null, method: "client.show_message", params: ["hello"] }));
    rig.feed(JSON.stringify({ id: 8, method: "client.get_version", params: [] }));
    rig.feed(JSON.stringify({ id: 9, method: "mining.ping", params: [] }));
    rig.feed(JSON.stringify({ id: 10, method: "mining.something_new", params: [1] }));
    expect(rig.sent.slice(2)).toEqual([
      { id: 7, result: true, error: null },
      { id: 8, result: "vbridge/test", error: null },
      { id: 9, result: "pong", error: null },
      { id: 10, result: null, error: [20, "unknown method"] },
    ]);
    expect(rig.of("message").map((m) => m.text)).toEqual(["equihash VRSC block 3911208", "hello"]);
    expect(rig.sent.some((w) => w.method === "mining.ping")).toBe(false);
  });

  test.each([
    [
      "port as a number",
      ["pool2.example.com", 3333, 5],
      { host: "pool2.example.com", port: 3333, waitMs: 5000 },
    ],
    [
      "port as a string (nheqminer style)",
      ["pool2.example.com", "3334"],
      { host: "pool2.example.com", port: 3334, waitMs: 0 },
    ],
    ["no params: same place", [], { host: null, port: null, waitMs: 0 }],
  ])("client.reconnect (%s) ends the session with a redirect", (_n, params, redirect) => {
    const rig = new SessionRig();
    rig.handshake();
    rig.feed(JSON.stringify({ id: null, method: "client.reconnect", params }));
    const [end] = rig.of("end");
    expect(end!.reason.code).toBe("E_POOL_RECONNECT");
    expect(end!.redirect).toEqual(redirect);
  });

  test("mining.set_extranonce: a new epoch, queued work stale, the newest job re-announced clean", () => {
    const rig = new SessionRig();
    const epoch = rig.handshake();
    rig.feed(notifyLine("a1"));
    for (let i = 0; i < 4; i++) rig.session.submit(share(epoch, "a1", i), i, 0);
    rig.feed(JSON.stringify({ id: null, method: "mining.set_extranonce", params: ["1ffffff8", 28] }));
    expect(rig.session.epoch).toBe(epoch + 1);
    expect(rig.of("extranonce")).toEqual([
      {
        type: "extranonce",
        previousEpoch: epoch,
        epoch: epoch + 1,
        extranonce1: "1ffffff8",
        extranonce2Size: 28,
      },
    ]);
    expect(rig.outcomes()).toEqual([[3, "stale"]]);
    expect(rig.of("job").at(-1)).toMatchObject({ epoch: epoch + 1, clean: true, extranonce1: "1ffffff8" });
    rig.session.submit(share(epoch, "a1", 9), 9, 0);
    expect(rig.of("result").at(-1)!.outcome).toEqual({ status: "stale", reason: "old-epoch" });
  });

  test.each([
    ["not JSON", "{nope", "E_BAD_JSON"],
    ["a JSON array", "[1,2]", "E_NOT_OBJECT"],
    [
      "a malformed notify",
      JSON.stringify({ id: null, method: "mining.notify", params: ["x"] }),
      "E_BAD_PARAMS",
    ],
    ["a malformed set_target", setTargetLine("00ff"), "E_BAD_PARAMS"],
    ["a submit answered with a string", resultLine(3, "ok"), "E_BAD_RESULT"],
  ])("%s → E_POOL_PROTOCOL ends the session, pending shares reported", (_n, line, protocolCode) => {
    const rig = new SessionRig();
    const epoch = rig.handshake();
    rig.feed(notifyLine("a1"));
    rig.session.submit(share(epoch, "a1"), 1, 0);
    rig.feed(line);
    const [end] = rig.of("end");
    expect(end!.reason.code).toBe("E_POOL_PROTOCOL");
    expect(end!.reason.detail).toEqual({ protocolCode });
    expect(rig.of("result")).toHaveLength(1);
    expect(rig.of("result")[0]!.outcome.status).toBe("lost");
  });

  test("a response to nothing we asked is ignored", () => {
    const rig = new SessionRig();
    rig.handshake();
    rig.feed(resultLine(99, true)).feed(resultLine("abc", true)).feed(resultLine(null, true));
    expect(rig.of("end")).toHaveLength(0);
  });

  test("close(): in-flight lost with the reason's code, queued stale; later submits stale", () => {
    const rig = new SessionRig();
    const epoch = rig.handshake();
    rig.feed(notifyLine("a1"));
    for (let i = 0; i < 4; i++) rig.session.submit(share(epoch, "a1", i), i, 0);
    rig.session.close(new UpstreamError("E_CONNECTION_RESET", "reset"));
    rig.session.close(new UpstreamError("E_CONNECTION_RESET", "again")); // idempotent
    expect(rig.of("result").map((r) => r.outcome)).toEqual([
      { status: "lost", reason: "E_CONNECTION_RESET" },
      { status: "lost", reason: "E_CONNECTION_RESET" },
      { status: "lost", reason: "E_CONNECTION_RESET" },
      { status: "stale", reason: "disconnected" },
    ]);
    rig.session.submit(share(epoch, "a1", 9), 9, 0);
    expect(rig.of("result").at(-1)!.outcome).toEqual({ status: "stale", reason: "disconnected" });
    expect(rig.of("end")).toHaveLength(0); // close() is the driver's word, not a session decision
  });

  test("difficulty 1 target matches the protocol helper", () => {
    expect(new SessionRig().session.target).toBe(difficultyToTarget(1));
  });
});

describe("upstream difficulty extremes: a coded warning, the previous target kept, the session stays", () => {
  const setDiff = (d: unknown) => JSON.stringify({ id: null, method: "mining.set_difficulty", params: [d] });
  test.each([
    ["set_difficulty 0", setDiff(0), "E_BAD_PARAMS"],
    ["set_difficulty −1", setDiff(-1), "E_BAD_PARAMS"],
    ['set_difficulty "NaN"', setDiff("NaN"), "E_BAD_PARAMS"],
    [
      "set_difficulty 1e309 (Infinity)",
      '{"id":null,"method":"mining.set_difficulty","params":[1e309]}',
      "E_BAD_PARAMS",
    ],
    ["set_difficulty 1e300 (target 0)", setDiff(1e300), undefined],
    ["set_difficulty 1e16", setDiff(1e16), undefined],
    ["set_target 0", setTargetLine("0".repeat(64)), undefined],
    ["set_target 1", setTargetLine("0".repeat(63) + "1"), undefined],
  ])("%s", (_n, line, protocolCode) => {
    const rig = new SessionRig();
    const epoch = rig.handshake();
    rig.feed(setTargetLine(T2)).feed(notifyLine("a1"));
    rig.session.submit(share(epoch, "a1"), 1, 0);
    rig.feed(line);
    expect(rig.of("end")).toEqual([]);
    const [w] = rig.of("warning");
    expect(w!.error.code).toBe("E_POOL_DIFFICULTY");
    expect(w!.error.detail.protocolCode).toBe(protocolCode);
    expect(w!.error.detail.kept).toBe(T2.replace(/^0+/, ""));
    expect(targetToHex(rig.session.target)).toBe(T2);
    expect(rig.of("target").map((t) => t.difficulty)).toEqual([2]); // nothing announced for it
    expect(rig.session.phase).toBe("authorized");
    rig.feed(resultLine(3, true));
    expect(rig.outcomes()).toEqual([[1, "accepted"]]);
  });

  test("before any target: difficulty 1 stays; a sane difficulty afterwards is taken", () => {
    const rig = new SessionRig();
    rig.handshake();
    rig.feed(setDiff(0)).feed(setDiff(16384));
    expect(rig.of("warning").map((w) => w.error.code)).toEqual(["E_POOL_DIFFICULTY"]);
    expect(rig.of("target").map((t) => [t.difficulty, t.source])).toEqual([[16384, "set_difficulty"]]);
  });

  test("the easiest target (2^256 − 1, a tiny difficulty) is a target, not an error", () => {
    const rig = new SessionRig();
    rig.handshake();
    rig.feed(setTargetLine("f".repeat(64))).feed(setDiff(0.00001));
    expect(rig.of("warning")).toEqual([]);
    expect(rig.of("target")).toHaveLength(2);
  });
});

describe("no job after authorize", () => {
  test("E_NO_JOB once noJobTimeoutMs passed without a notify", () => {
    const rig = new SessionRig({ noJobTimeoutMs: 500 });
    rig.handshake(); // authorized at t = 0, no notify
    expect(rig.session.nextDeadline()).toBe(500);
    rig.session.tick(499);
    expect(rig.of("end")).toEqual([]);
    rig.session.tick(500);
    expect(rig.of("end").map((e) => e.reason.code)).toEqual(["E_NO_JOB"]);
  });

  test.each([
    ["a notify after authorize disarms it", [vnompSubscribe(1), resultLine(2, true), notifyLine("a1")]],
    [
      "a notify before authorize (v-nomp order) never arms it",
      [vnompSubscribe(1), notifyLine("a1"), resultLine(2, true)],
    ],
  ])("%s", (_n, lines) => {
    const rig = new SessionRig({ noJobTimeoutMs: 500 });
    rig.session.start(0);
    for (const l of lines) rig.feed(l);
    expect(rig.session.nextDeadline()).toBeNull();
    rig.session.tick(10_000);
    expect(rig.of("end")).toEqual([]);
  });
});

describe("client.reconnect to a host we did not choose", () => {
  test("refused: a coded warning, no end, the session goes on", () => {
    const rig = new SessionRig({ allowRedirect: (h) => h === "pool2.example.com" });
    const epoch = rig.handshake();
    rig.feed(notifyLine("a1"));
    rig.feed(JSON.stringify({ id: null, method: "client.reconnect", params: ["evil.example.com", 3333, 0] }));
    expect(rig.of("end")).toEqual([]);
    expect(rig.of("warning").map((w) => [w.error.code, w.error.detail.host])).toEqual([
      ["E_POOL_REDIRECT_REFUSED", "evil.example.com"],
    ]);
    rig.session.submit(share(epoch, "a1"), 1, 0);
    expect(rig.submits()).toHaveLength(1);
    rig.feed(
      JSON.stringify({ id: null, method: "client.reconnect", params: ["pool2.example.com", 3333, 0] }),
    );
    expect(rig.of("end").map((e) => e.reason.code)).toEqual(["E_POOL_RECONNECT"]);
  });
});

describe("hurry: miners are waiting", () => {
  test("a pool silent after the connect: E_NO_JOB at the deadline, while still subscribing", () => {
    const rig = new SessionRig();
    rig.session.start(0);
    rig.session.hurry(3000);
    expect(rig.session.nextDeadline()).toBe(3000);
    rig.session.tick(3000);
    expect(rig.of("end").map((e) => [e.reason.code, e.reason.detail.phase])).toEqual([
      ["E_NO_JOB", "subscribing"],
    ]);
  });

  test("a job before authorize does not disarm it; authorize then does; a working session ignores it", () => {
    const rig = new SessionRig();
    rig.session.start(0);
    rig.session.hurry(3000);
    rig.feed(vnompSubscribe(1)).feed(notifyLine("a1"));
    expect(rig.session.nextDeadline()).toBe(3000);
    rig.feed(resultLine(2, true));
    expect(rig.session.nextDeadline()).toBeNull();
    rig.session.hurry(10);
    rig.session.tick(10_000);
    expect(rig.of("end")).toEqual([]);
  });
});
