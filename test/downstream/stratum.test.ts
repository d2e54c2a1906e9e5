// The Stratum TCP server with a raw client and a fake core: the pool dialect of verus-stratum.md
// §11 "Downstream", byte by byte where miners split their writes, and its caps.

import { describe, expect, test } from "bun:test";
import { bytesToHex } from "../../src/protocol/hex.ts";
import { parseSubmit } from "../../src/protocol/submit.ts";
import { difficultyToTarget, targetToHex } from "../../src/protocol/target.ts";
import { v7Job } from "./fake-core.ts";
import { harness, until } from "./harness.ts";

const h = harness();
const WORKER = "RLn1WTymL5G9LHpiEZW29S3otu6bTHKob6.cc383";

describe("Stratum: the handshake as ccminer 3.8.3 sees it", () => {
  test("subscribe → [null, xn1] (2 elements), then set_target, then a clean notify — notifications with id null", async () => {
    const s = h.start();
    const c = await s.stratum();
    const sub = await c.request("mining.subscribe", ["ccminer_CPU/3.8.3"]);
    const session = s.core.sessions[0]!;
    expect(sub.result).toEqual([null, bytesToHex(session.extranonce1)]);
    expect(sub.error).toBeNull();
    const setTarget = await c.notification("mining.set_target");
    const notify = await c.notification("mining.notify");
    expect(c.received.map((m) => m.method ?? "reply")).toEqual([
      "reply",
      "mining.set_target",
      "mining.notify",
    ]);
    expect(setTarget).toEqual({
      id: null,
      method: "mining.set_target",
      params: [targetToHex(difficultyToTarget(8))],
    });
    expect(notify.id).toBeNull();
    expect(notify.params![0]).toBe("ced4");
    expect(notify.params![7]).toBe(true);
    expect(session.hello).toMatchObject({
      transport: "stratum",
      remote: "127.0.0.1",
      agent: "ccminer_CPU/3.8.3",
    });
    const auth = await c.request("mining.authorize", [WORKER, "x"]);
    expect(auth).toMatchObject({ result: true, error: null });
    expect(session.authorizations).toEqual([{ user: WORKER, password: "x" }]);
  });

  test('the small requests: extranonce.subscribe → true, mining.ping → "pong", unknown → [20, "unknown method"]', async () => {
    const s = h.start();
    const c = await s.stratum();
    expect((await c.request("mining.extranonce.subscribe", [])).result).toBe(true);
    expect((await c.request("mining.ping", [])).result).toBe("pong");
    expect(await c.request("mining.fly", [])).toMatchObject({ result: null, error: [20, "unknown method"] });
    expect(await c.request("mining.suggest_target", ["00".repeat(32)])).toMatchObject({
      result: false,
      error: [20, "Not supported.", null],
    });
    expect((await c.request("mining.get_transactions", [])).result).toEqual([]);
  });

  test("submit before authorize → 24, authorized before subscribe → 25 (3-element errors, §5 order); then verdicts from the core", async () => {
    const s = h.start();
    const c = await s.stratum();
    const params = (job: string, tailHex: string) => [
      WORKER,
      job,
      "de2d016b",
      "00".repeat(26),
      "fd4005" + "00".repeat(1329) + tailHex,
    ];
    expect(await c.request("mining.submit", params("ced4", "00".repeat(15)))).toMatchObject({
      result: null,
      error: [24, "unauthorized worker", null],
    });
    const sub = await c.request("mining.subscribe", ["ccminer_CPU/3.8.3"]);
    const xn1 = (sub.result as string[])[1]!;
    expect(await c.request("mining.submit", params("ced4", "00".repeat(15)))).toMatchObject({
      result: null,
      error: [24, "unauthorized worker", null],
    });
    await c.request("mining.authorize", [WORKER, "x"]);
    const tail = xn1 + "00".repeat(15 - xn1.length / 2);
    expect(await c.request("mining.submit", params("ced4", tail))).toMatchObject({
      result: true,
      error: null,
    });
    expect(await c.request("mining.submit", params("gone", tail))).toMatchObject({
      result: null,
      error: [21, "job not found"],
    });
    expect(await c.request("mining.submit", params("ced4", "00".repeat(15)))).toMatchObject({
      result: null,
      error: [20, "invalid solution, pool nonce missing"],
    });
    const recorded = s.core.sessions[0]!.shares[0]!;
    expect(recorded.share).toEqual(
      parseSubmit({
        jobId: "ced4",
        nTime: "de2d016b",
        extranonce2: "00".repeat(26),
        solution: params("ced4", tail)[4]!,
      }),
    );
    expect(typeof recorded.token).toBe("number");
    const early = await s.stratum();
    expect(await early.request("mining.authorize", [WORKER, "x"])).toMatchObject({
      result: true,
      error: null,
    });
    expect(await early.request("mining.submit", params("ced4", "00".repeat(15)))).toMatchObject({
      result: null,
      error: [25, "not subscribed", null],
    });
  });

  test("lines split into 1-byte writes and several lines in one write are both read", async () => {
    const s = h.start();
    const c = await s.stratum();
    const lines =
      '{"id":1,"method":"mining.subscribe","params":["x"]}\n{"params":["' +
      WORKER +
      '","x"],"id":2,"method":"mining.authorize"}\r\n';
    for (const ch of lines) {
      c.write(ch);
      await Bun.sleep(0);
    }
    expect((await c.next((m) => m.id === 1)).result).toHaveLength(2);
    expect((await c.next((m) => m.id === 2)).result).toBe(true);
    c.write('{"id":3,"method":"mining.ping","params":[]}\n{"id":4,"method":"mining.ping","params":[]}\n');
    expect((await c.next((m) => m.id === 4)).result).toBe("pong");
  });

  test("a subscribe before the core has work is answered when the first work arrives", async () => {
    const s = h.start({}, {}, new (await import("./fake-core.ts")).FakeCore(null));
    const c = await s.stratum();
    c.send({ id: 7, method: "mining.subscribe", params: [] });
    await Bun.sleep(50);
    expect(c.received).toEqual([]);
    s.core.publish(v7Job("aa01"), false);
    expect((await c.next((m) => m.id === 7)).result).toHaveLength(2);
    expect((await c.notification("mining.notify")).params![7]).toBe(true); // the first job is clean even if the core's is not
  });
});

describe("Stratum: work that follows", () => {
  test("set_target precedes a notify whenever the difficulty changed", async () => {
    const s = h.start();
    const c = await s.stratum();
    await c.request("mining.subscribe", []);
    await c.notification("mining.set_target");
    await c.notification("mining.notify");
    s.core.publish(v7Job("ced5"), false);
    expect((await c.notification("mining.notify")).params!.slice(0, 1)).toEqual(["ced5"]);
    expect(c.received.filter((m) => m.method === "mining.set_target").length).toBe(1); // unchanged: not repeated
    s.core.sessions[0]!.difficulty = 16;
    s.core.publish(v7Job("ced6"), true);
    const n = c.received.length;
    const target = await c.notification("mining.set_target");
    const notify = await c.notification("mining.notify");
    expect(c.received.slice(n)).toEqual([target, notify]);
    expect(target.params).toEqual([targetToHex(difficultyToTarget(16))]);
    expect(notify.params![7]).toBe(true);
  });

  test("a new lease: set_extranonce for miners that subscribed to it, client.reconnect here then a close (E_RELEASED) for the rest", async () => {
    const s = h.start({}, { reconnectSpreadSeconds: 0, releaseGraceMs: 20 });
    const a = await s.stratum();
    await a.request("mining.extranonce.subscribe", []);
    await a.request("mining.subscribe", []);
    await a.notification("mining.notify");
    const b = await s.stratum();
    await b.request("mining.subscribe", []);
    await b.notification("mining.notify");
    for (const session of s.core.sessions)
      session.extranonce1 = Uint8Array.of(0xaa, 0xbb, 0xcc, 0xdd, 0, session.id);
    s.core.publish(v7Job("cee0"), false);
    const set = await a.notification("mining.set_extranonce");
    expect(set.params).toEqual([bytesToHex(s.core.sessions[0]!.extranonce1), 26]);
    expect((await a.notification("mining.notify")).params![7]).toBe(true);
    // Changed by issue 10: b is first sent back to this bridge (the port as a string), then closed.
    const reconnect = await b.notification("client.reconnect");
    expect(reconnect).toEqual({
      id: null,
      method: "client.reconnect",
      params: ["127.0.0.1", String(s.ds.stratumPort), 0],
    });
    await b.waitClosed();
    expect(s.ds.stats().closed.E_RELEASED).toBe(1);
    expect(b.received.filter((m) => m.method === "mining.notify")).toHaveLength(1); // none for the new lease
  });

  test("reconnectTo (NAT, port mapping) overrides the address client.reconnect sends", async () => {
    const s = h.start({}, { reconnectSpreadSeconds: 0, reconnectTo: { host: "miners.example", port: 3333 } });
    const c = await s.stratum();
    await c.request("mining.subscribe", []);
    s.core.sessions[0]!.extranonce1 = Uint8Array.of(0xaa, 0xbb, 0, 0, 0, 1);
    s.core.publish(v7Job("cee2"), true);
    expect((await c.notification("client.reconnect")).params).toEqual(["miners.example", "3333", 0]);
  });

  test("bridge.public_host (behind a proxy or NAT) is the host client.reconnect names, on the port the miner used", async () => {
    const s = h.start({ public_host: "pool.example.org" }, { reconnectSpreadSeconds: 0 });
    const c = await s.stratum();
    await c.request("mining.subscribe", []);
    s.core.sessions[0]!.extranonce1 = Uint8Array.of(0xaa, 0xbb, 0, 0, 0, 1);
    s.core.publish(v7Job("cee3"), true);
    const params = (await c.notification("client.reconnect")).params;
    expect(params).toEqual(["pool.example.org", String(s.ds.stratumPort), 0]);
  });

  test("re-leased miners without extranonce.subscribe are told to wait 0..reconnectSpreadSeconds at random, and stay open until then", async () => {
    const s = h.start({}, { reconnectSpreadSeconds: 5, releaseGraceMs: 60_000 });
    const clients = [];
    for (let i = 0; i < 12; i++) {
      const c = await s.stratum();
      await c.request("mining.subscribe", []);
      clients.push(c);
    }
    for (const session of s.core.sessions)
      session.extranonce1 = Uint8Array.of(0xaa, 0xbb, 0, 0, 0, session.id);
    s.core.publish(v7Job("cee1"), true);
    const waits: number[] = [];
    for (const c of clients) {
      const params = (await c.notification("client.reconnect")).params!;
      expect(params.slice(0, 2)).toEqual(["127.0.0.1", String(s.ds.stratumPort)]);
      waits.push(params[2] as number);
    }
    expect(waits.every((w) => Number.isInteger(w) && w >= 0 && w <= 5)).toBe(true);
    expect(new Set(waits).size).toBeGreaterThan(1); // 12 equal draws of 6 values: p = 6^-11
    expect(s.ds.stats().closed.E_RELEASED ?? 0).toBe(0);
    expect(s.ds.stats().open.stratum).toBe(12);
  });

  test("pool messages become client.show_message; the core ending a session closes it", async () => {
    const s = h.start();
    const c = await s.stratum();
    await c.request("mining.subscribe", []);
    s.core.sessions[0]!.sink.message!("equihash VRSC block 3911208");
    expect((await c.notification("client.show_message")).params).toEqual(["equihash VRSC block 3911208"]);
    s.core.sessions[0]!.sink.end({ reason: "rate-limited", detail: "too fast" });
    await c.waitClosed();
    expect(s.ds.stats().closed.E_RATE_LIMITED).toBe(1);
  });
});

describe("Stratum: caps and access", () => {
  test("a line over bridge.max_line_bytes closes the connection (E_FRAME_TOO_LARGE)", async () => {
    const s = h.start({ max_line_bytes: 4096 });
    const c = await s.stratum();
    c.write('{"id":1,"method":"mining.subscribe","params":["' + "x".repeat(5000));
    await c.waitClosed();
    expect(s.ds.stats().closed.E_FRAME_TOO_LARGE).toBe(1);
  });

  test("one read of 30 pipelined v7 submits (≈ 85 KB of complete lines) is answered, not closed: caps are per line", async () => {
    const s = h.start();
    const c = await s.stratum();
    const sub = await c.request("mining.subscribe", []);
    const xn1 = (sub.result as string[])[1]!;
    await c.request("mining.authorize", [WORKER, "x"]);
    const tail = xn1 + "00".repeat(15 - xn1.length / 2);
    const submit = (id: number) =>
      JSON.stringify({
        id,
        method: "mining.submit",
        params: [WORKER, "ced4", "de2d016b", "00".repeat(26), "fd4005" + "00".repeat(1329) + tail],
      }) + "\n";
    const burst = Array.from({ length: 30 }, (_, i) => submit(5000 + i)).join("");
    expect(burst.length).toBeGreaterThan(64 * 1024);
    c.write(burst);
    await c.next((m) => m.id === 5029);
    expect(c.received.filter((m) => typeof m.id === "number" && m.id >= 5000)).toHaveLength(30);
    expect(s.ds.stats().closed).toEqual({});
    expect(s.core.sessions[0]!.shares).toHaveLength(30);
  });

  test("lines that are not JSON-RPC: an error reply each (id null), closed at the 5th", async () => {
    const s = h.start();
    const c = await s.stratum();
    for (let i = 0; i < 4; i++) {
      c.write("not json\n");
      expect(await c.next()).toMatchObject({
        id: null,
        result: null,
        error: [20, "E_BAD_JSON: line is not valid JSON"],
      });
    }
    c.write('{"id":9,"method":"mining.submit","params":[1]}\n');
    const reply = await c.next();
    expect([
      reply.id,
      (reply.error as unknown[])[0],
      String((reply.error as unknown[])[1]).startsWith("E_BAD_PARAMS"),
    ]).toEqual([9, 20, true]);
    await c.waitClosed();
    expect(s.ds.stats().closed.E_TOO_MANY_BAD_FRAMES).toBe(1);
  });

  test("with bridge.token, the authorize password must be it: else 24 and a close; never logged", async () => {
    const s = h.start({ token: "tok3n" });
    const bad = await s.stratum();
    expect(await bad.request("mining.authorize", [WORKER, "x"])).toMatchObject({
      result: false,
      error: [24, "unauthorized worker", null],
    });
    await bad.waitClosed();
    const good = await s.stratum();
    expect((await good.request("mining.authorize", [WORKER, "tok3n"])).result).toBe(true);
    expect(h.logs.join("\n")).not.toContain("tok3n");
  });

  test("no subscribe + authorize within bridge.handshake_timeout → closed; the slot is freed", async () => {
    const s = h.start({ handshake_timeout: 0.2, max_connections_per_ip: 1 });
    const c = await s.stratum();
    await c.waitClosed();
    expect(s.ds.stats().closed.E_HANDSHAKE_TIMEOUT).toBe(1);
    await until(() => s.ds.stats().open.stratum === 0, "slot freed");
    const again = await s.stratum();
    expect((await again.request("mining.ping", [])).result).toBe("pong");
  });
});
