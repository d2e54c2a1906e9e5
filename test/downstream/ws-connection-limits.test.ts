// WsConnection (src/downstream/ws-connection.ts) as a unit, its limits and how it ends: bad frames,
// frame size, the message rate, slow readers, the core refusing or ending a session or failing,
// the handshake and idle deadlines, and closing exactly once. Fakes and a set clock
// (ws-connection-harness.ts); codes are asserted, never prose.

import { describe, expect, test } from "bun:test";
import { encodeClientFrame } from "../../src/protocol/ws-msgpack.ts";
import {
  v7Job,
  workOf,
  FakeCore,
  LIMITS,
  T0,
  setup,
  hello,
  mpShare,
  msgpackReady,
  closedWith,
  lastError,
} from "./ws-connection-harness.ts";

describe("bad frames", () => {
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

  test("the error frame for a share's bad field carries the share's i (docs/protocol.md §3)", () => {
    const s = msgpackReady();
    s.conn.onMessage(encodeClientFrame({ type: "share", seq: 41, jobId: "", nonce: new Uint8Array(9) }));
    s.conn.onMessage(encodeClientFrame({ type: "share", seq: 42, jobId: "ced4", nonce: new Uint8Array(16) }));
    s.conn.onMessage(Uint8Array.of(0xc1));
    expect(s.peer.msgpack()).toMatchObject([
      { type: "error", code: "E_BAD_FIELD", seq: 41 },
      { type: "error", code: "E_BAD_FIELD", seq: 42 },
      { type: "error", code: "E_BAD_FRAME", seq: null },
    ]);
    expect(s.core.session.shares).toEqual([]);
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

  test("an oversize first frame, before any protocol was chosen, closes without opening a session", () => {
    const s = setup(null);
    s.conn.start();
    s.conn.onMessage(JSON.stringify({ type: "ping", pad: "x".repeat(1100) }));
    closedWith(s, "E_FRAME_TOO_LARGE");
    expect(s.core.sessions).toEqual([]);
    expect(s.peer.sent).toEqual([]); // no work, no welcome
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
