// The WebSocket hardening, on by default: Origin, token, caps, frame sizes, bad frames, slow
// readers, timeouts and floods — each refused or closed with its stable code, and nobody else hurt.

import { describe, expect, test } from "bun:test";
import { encode } from "@msgpack/msgpack";
import { encodeClientFrame, MSGPACK_SUBPROTOCOL } from "../../src/protocol/ws-msgpack.ts";
import { v7Job } from "./fake-core.ts";
import { harness, until } from "./harness.ts";
import { RawWsClient, WsTestClient } from "./ws-client.ts";

const h = harness();
const MSGPACK = { protocols: [MSGPACK_SUBPROTOCOL] };
const hello = encodeClientFrame({ type: "hello", worker: "w", agent: null });

describe("Origin (bridge.origins)", () => {
  test("empty list: same origin only — a foreign page gets 403 and never a socket", async () => {
    const s = h.start();
    const foreign = h.track(await RawWsClient.connect(s.ds.port, "/ws", { Origin: "https://evil.example" }));
    expect(await foreign.status()).toBe(403);
    expect(foreign.received).toContain("E_ORIGIN");
    const same = h.track(
      await RawWsClient.connect(s.ds.port, "/ws", { Origin: `http://127.0.0.1:${s.ds.port}` }),
    );
    expect(await same.status()).toBe(101);
    const otherPort = h.track(await RawWsClient.connect(s.ds.port, "/ws", { Origin: "http://127.0.0.1:1" }));
    expect(await otherPort.status()).toBe(403);
    expect(s.ds.stats().refused.E_ORIGIN).toBe(2);
    expect(s.core.sessions.length).toBe(0);
  });

  test('an allowlist admits exactly its origins; "*" admits any', async () => {
    const s = h.start({ origins: ["https://mine.example.org"] });
    const ok = h.track(await RawWsClient.connect(s.ds.port, "/ws", { Origin: "https://mine.example.org" }));
    expect(await ok.status()).toBe(101);
    const no = h.track(await RawWsClient.connect(s.ds.port, "/ws", { Origin: "http://mine.example.org" }));
    expect(await no.status()).toBe(403);
    const any = h.start({ origins: ["*"] });
    const c = await any.ws("/ws", { ...MSGPACK, headers: { Origin: "https://anything.example" } });
    c.send(hello);
    await c.frame("job");
  });
});

describe("access token (bridge.token)", () => {
  test("missing or wrong → closed with E_UNAUTHORIZED before any session; right → works", async () => {
    const s = h.start({ token: "s3cret" });
    for (const q of ["", "?token=nope"]) {
      const c = await s.ws(`/ws${q}`, MSGPACK);
      expect(await c.closed).toEqual({ code: 4401, reason: "E_UNAUTHORIZED" });
    }
    const c = await s.ws("/ws?token=s3cret", MSGPACK);
    c.send(hello);
    await c.frame("job");
    expect(s.core.sessions.length).toBe(1);
    expect(s.ds.stats().refused.E_UNAUTHORIZED).toBe(2);
    expect(h.logs.join("\n")).not.toContain("s3cret");
  });
});

describe("connection caps", () => {
  test("per address: past bridge.max_connections_per_ip → E_TOO_MANY_FROM_ADDRESS; a slot frees on close", async () => {
    const s = h.start({ max_connections_per_ip: 2 });
    const a = await s.ws("/ws", MSGPACK);
    await s.ws("/ws", MSGPACK);
    const third = await s.ws("/ws", MSGPACK);
    expect(await third.closed).toEqual({ code: 4429, reason: "E_TOO_MANY_FROM_ADDRESS" });
    a.close();
    await until(() => s.ds.stats().open["ws-msgpack"] === 1, "a slot freed");
    const again = await s.ws("/ws", MSGPACK);
    again.send(hello);
    await again.frame("job");
  });

  test("in total: past bridge.max_connections, with only miners holding slots → refused at accept (Stratum and WebSocket share the cap)", async () => {
    const s = h.start({ max_connections: 2 });
    const ws = await s.ws("/ws", MSGPACK);
    ws.send(hello);
    await ws.frame("job");
    const tcp = await s.stratum();
    await tcp.request("mining.subscribe", ["ccminer_CPU/3.8.3"]);
    await tcp.request("mining.authorize", ["RLn1WTymL5G9LHpiEZW29S3otu6bTHKob6.cc383", "x"]);
    // No slot to free: the socket is closed at once, before it can hold a descriptor.
    await expect(s.ws("/ws", MSGPACK)).rejects.toThrow(/closed before open/);
    const tcp2 = await s.stratum();
    await tcp2.waitClosed();
    expect(s.ds.stats().refused.E_TOO_MANY_CONNECTIONS).toBe(2);
    expect(s.ds.sockets()).toMatchObject({ open: 2, pending: 0, max: 2 });
  });

  test("at the cap, the oldest socket that is not yet a miner (idle, never upgraded) is closed to make room", async () => {
    const s = h.start({ max_connections: 2 });
    const miner = await s.ws("/ws", MSGPACK);
    miner.send(hello);
    await miner.frame("job");
    const idle = await Bun.connect({ hostname: "127.0.0.1", port: s.ds.port, socket: { data() {} } });
    await until(() => s.ds.sockets().open === 2, "the idle socket counted");
    expect(s.ds.sockets().pending).toBe(1);
    const health = await fetch(`http://127.0.0.1:${s.ds.port}/health`);
    expect(health.status).toBe(200);
    expect(s.ds.stats().refused.E_EVICTED).toBe(1);
    expect(s.ds.sockets().evicted).toBe(1);
    // The miner was never at risk.
    miner.send(encode({ v: 1, t: "ping" }));
    expect(miner.isClosed).toBe(false);
    idle.end();
  });
});

describe("frames", () => {
  test("a msgpack message over bridge.max_frame_bytes → closed 1009 E_FRAME_TOO_LARGE", async () => {
    const s = h.start({ max_frame_bytes: 1024 });
    const c = await s.ws("/ws", MSGPACK);
    c.send(encode({ v: 1, t: "ping", pad: new Uint8Array(2000) }));
    expect(await c.closed).toEqual({ code: 1009, reason: "E_FRAME_TOO_LARGE" });
    expect(s.ds.stats().closed.E_FRAME_TOO_LARGE).toBe(1);
  });

  test("bad frames: a coded error frame each, closed at the 5th; another session never notices", async () => {
    const s = h.start();
    const good = await s.ws("/ws", MSGPACK);
    good.send(hello);
    const job = await good.frame("job");
    const bad = await s.ws("/ws", MSGPACK);
    bad.send(hello);
    await bad.frame("job");
    const garbage = [
      Uint8Array.of(0xc1),
      encode([1, 2]),
      encode({ v: 1, t: "nope" }),
      encode({ v: 1, t: "share", i: 1, j: "a", n: [1] }),
      "text",
    ];
    const codes = ["E_BAD_FRAME", "E_BAD_FRAME", "E_UNKNOWN_TYPE", "E_BAD_FIELD", "E_FRAME_KIND"];
    for (const [i, g] of garbage.entries()) {
      bad.send(g);
      expect((await bad.frame("error")).code).toBe(codes[i]!);
    }
    expect(await bad.frame("error")).toMatchObject({ code: "E_TOO_MANY_BAD_FRAMES" });
    expect(await bad.closed).toEqual({ code: 4400, reason: "E_TOO_MANY_BAD_FRAMES" });
    // The other session still mines: new work, shares, results.
    s.core.publish(v7Job("ced9"), false);
    expect((await good.frame("job")).jobId).toBe("ced9");
    good.send(
      encodeClientFrame({
        type: "share",
        seq: 5,
        jobId: "ced9",
        nonce: new Uint8Array(15 - job.prefix.length),
      }),
    );
    expect((await good.frame("result")).verdict.accepted).toBe(true);
    expect(s.ds.stats().badFrames).toBe(5);
  });

  test("an unknown protocol version is fatal: E_VERSION, close 4406", async () => {
    const s = h.start();
    const c = await s.ws("/ws", MSGPACK);
    c.send(encode({ v: 2, t: "hello" }));
    expect(await c.frame("error")).toMatchObject({ code: "E_VERSION" });
    expect(await c.closed).toEqual({ code: 4406, reason: "E_VERSION" });
  });
});

describe("slow readers, deadlines and floods", () => {
  test("a client that stops reading is cut off (E_SLOW_READER), never silently skipped", async () => {
    const s = h.start({}, { maxBufferedBytes: 32 * 1024 });
    const raw = h.track(await RawWsClient.connect(s.ds.port, `/ws?protocol=json`));
    expect(await raw.status()).toBe(101);
    await until(() => s.core.sessions.length === 1, "the session opened");
    raw.pause();
    const session = s.core.sessions[0]!;
    // Push work until the kernel buffers are full and Bun's buffer passes our cap.
    for (let i = 0; i < 20_000 && !session.closed; i++) {
      s.core.publish(v7Job(`j${i}`), false);
      if (i % 50 === 0) await Bun.sleep(1);
    }
    await until(() => session.closed, "the slow reader's session closed");
    expect(s.ds.stats().closed.E_SLOW_READER).toBe(1);
    expect(s.ds.stats().open["ws-json"]).toBe(0);
  });

  test("no hello within bridge.handshake_timeout → E_HANDSHAKE_TIMEOUT; silence past bridge.idle_timeout → E_IDLE_TIMEOUT", async () => {
    const s = h.start({ handshake_timeout: 0.2, idle_timeout: 0.4 });
    const silent = await s.ws("/ws", MSGPACK);
    expect(await silent.closed).toEqual({ code: 4408, reason: "E_HANDSHAKE_TIMEOUT" });
    const idle = await s.ws("/ws", MSGPACK);
    idle.send(hello);
    await idle.frame("job");
    expect(await idle.closed).toEqual({ code: 4408, reason: "E_IDLE_TIMEOUT" });
  });

  test("a message flood → E_RATE_LIMITED", async () => {
    const s = h.start({ max_shares_per_second: 1 });
    const c = await s.ws("/ws", MSGPACK);
    c.send(hello);
    await c.frame("job");
    for (let i = 0; i < 1000; i++) c.send(encodeClientFrame({ type: "ping", seq: i }));
    expect(await c.closed).toEqual({ code: 4429, reason: "E_RATE_LIMITED" });
  });

  test("stop() closes every miner with 1001 E_BRIDGE_CLOSING and frees the sessions", async () => {
    const s = h.start();
    const c = await s.ws("/ws", MSGPACK);
    c.send(hello);
    await c.frame("job");
    await s.ds.stop();
    expect(await c.closed).toEqual({ code: 1001, reason: "E_BRIDGE_CLOSING" });
    expect(s.core.sessions[0]!.closed).toBe(true);
    await expect(WsTestClient.open(s.url())).rejects.toThrow();
  });
});
