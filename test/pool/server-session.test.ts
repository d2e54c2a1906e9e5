// The built-in pool over loopback: the session flow of verus-stratum.md §2–3 as the pool emits it.

import { describe, expect, test } from "bun:test";
import { MAX_TARGET, difficultyToTarget, targetFromHex } from "../../src/protocol/target.ts";
import { decodeNotify } from "../../src/protocol/notify.ts";
import { harness } from "./harness.ts";

const h = harness();

describe("subscribe", () => {
  test("answers [null, xn1] with a 4-byte extranonce1, then set_target, then a clean notify", async () => {
    const pool = h.start({ difficulty: 2 });
    const c = await h.client(pool);
    const sub = await c.request("mining.subscribe", ["ccminer_CPU/3.8.3"]);
    expect(sub.error).toBeNull();
    const result = sub.result as unknown[];
    expect(result).toHaveLength(2);
    expect(result[0]).toBeNull();
    expect(result[1]).toMatch(/^[0-9a-f]{8}$/);
    const target = await c.notification("mining.set_target");
    const notify = await c.notification("mining.notify");
    expect(target.id).toBeNull();
    expect(notify.id).toBeNull();
    expect(target.params).toEqual(["0004000000000000000000000000000000000000000000000000000000000000"]);
    // set_target strictly before the first notify (ccminer misparses notify without it).
    expect(c.received.indexOf(target)).toBeLessThan(c.received.indexOf(notify));
    const n = decodeNotify(null, notify.params!);
    expect(n.cleanJobs).toBe(true);
    expect(n.jobId).toBe(pool.currentJob.id);
  });

  test("forces clean=true on a connection's first job even mid-block", async () => {
    const pool = h.start();
    pool.newJob(); // the current job is now clean=false for everyone already connected
    expect(pool.currentJob.notify.cleanJobs).toBe(false);
    const c = await h.client(pool);
    await c.request("mining.subscribe", []);
    const notify = await c.notification("mining.notify");
    expect(notify.params![7]).toBe(true);
    expect(notify.params![0]).toBe(pool.currentJob.id);
  });

  test.each([
    ["bare", []],
    ["ccminer", ["ccminer_CPU/3.8.3"]],
    ["ccminer reconnect", ["ccminer_CPU/3.8.3", "deadbeefcafebabe0a00000000000000"]],
    ["nheqminer", ["nheqminer/0.8.2", null, "127.0.0.1", "3978"]],
    ["nheqminer, numeric port", ["nheqminer/0.8.2", null, "127.0.0.1", 3978]],
    ["verusProxy", ["VP/0.1.4", null]],
  ])("accepts the %s params shape", async (_, params) => {
    const pool = h.start();
    const c = await h.client(pool);
    const sub = await c.request("mining.subscribe", params);
    expect((sub.result as unknown[])[1]).toMatch(/^[0-9a-f]{8}$/);
    await c.notification("mining.notify");
  });

  test("a subscribe without params member is accepted too", async () => {
    const pool = h.start();
    const c = await h.client(pool);
    c.write('{"id":1,"method":"mining.subscribe"}\n');
    const sub = await c.next((m) => m.id === 1);
    expect((sub.result as unknown[])[1]).toMatch(/^[0-9a-f]{8}$/);
  });

  test("every connection gets its own extranonce1", async () => {
    const pool = h.start();
    const seen = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const c = await h.client(pool);
      const sub = await c.request("mining.subscribe", []);
      seen.add((sub.result as string[])[1]!);
    }
    expect(seen.size).toBe(8);
  });

  test("a tiny difficulty saturates the target at 2^256 - 1", async () => {
    const pool = h.start({ difficulty: 0.0000001 });
    const c = await h.client(pool);
    await c.request("mining.subscribe", []);
    const t = await c.notification("mining.set_target");
    expect(targetFromHex((t.params as string[])[0]!)).toBe(MAX_TARGET);
  });

  test("a fractional difficulty is sent as the pools compute it", async () => {
    const pool = h.start({ difficulty: 0.5 });
    const c = await h.client(pool);
    await c.request("mining.subscribe", []);
    const t = await c.notification("mining.set_target");
    expect(targetFromHex((t.params as string[])[0]!)).toBe(difficultyToTarget(0.5));
  });
});

describe("other methods", () => {
  test("authorize accepts any ADDRESS[.WORKER] and ignores the password", async () => {
    const pool = h.start();
    const c = await h.client(pool);
    for (const user of [
      "RLn1WTymL5G9LHpiEZW29S3otu6bTHKob6",
      "RLn1WTymL5G9LHpiEZW29S3otu6bTHKob6.rig-1",
      "name@.w",
    ]) {
      const r = await c.request("mining.authorize", [user, "d=123"]);
      expect(r).toMatchObject({ result: true, error: null });
    }
    const noPassword = await c.request("mining.authorize", ["RAddr"]);
    expect(noPassword.result).toBe(true);
  });

  test("authorize before subscribe works (as at v-nomp)", async () => {
    const pool = h.start();
    const c = await h.client(pool);
    expect((await c.request("mining.authorize", ["RAddr.w", "x"])).result).toBe(true);
  });

  test.each([[""], [".worker"], ["  "]])("authorize of %p fails with the 24 shape", async (user) => {
    const pool = h.start();
    const c = await h.client(pool);
    const r = await c.request("mining.authorize", [user, "x"]);
    expect(r.result).toBe(false);
    expect(r.error).toEqual([24, "unauthorized worker", null]);
  });

  test("extranonce.subscribe → true, ping → pong, unknown method → [20, unknown method]", async () => {
    const pool = h.start();
    const c = await h.client(pool);
    expect(await c.request("mining.extranonce.subscribe", [])).toMatchObject({ result: true, error: null });
    expect(await c.request("mining.ping", [])).toMatchObject({ result: "pong", error: null });
    expect(await c.request("mining.frobnicate", [1])).toMatchObject({
      result: null,
      error: [20, "unknown method"],
    });
    expect(h.logs.some((l) => l.includes('unknown method "mining.frobnicate"'))).toBe(true);
  });

  test("a known method with unusable params is answered with 20 and the connection survives", async () => {
    const pool = h.start();
    const c = await h.client(pool);
    const r = await c.request("mining.authorize", []);
    expect((r.error as unknown[])[0]).toBe(20);
    const s = await c.request("mining.submit", ["w", "1"]);
    expect((s.error as unknown[])[0]).toBe(20);
    expect(await c.request("mining.ping", [])).toMatchObject({ result: "pong" });
  });

  test("string ids are echoed", async () => {
    const pool = h.start();
    const c = await h.client(pool);
    c.write('{"params":[],"method":"mining.ping","id":"abc"}\n');
    expect(await c.next((m) => m.id === "abc")).toMatchObject({ result: "pong" });
  });

  test("an unknown notification (id null) gets no reply", async () => {
    const pool = h.start();
    const c = await h.client(pool);
    c.send({ id: null, method: "mining.whatever", params: [] });
    expect(await c.request("mining.ping", [])).toMatchObject({ result: "pong" });
    expect(c.received.filter((m) => m.id === null && !("method" in m))).toEqual([]);
  });
});

describe("listening", () => {
  test("port 0 binds an ephemeral port; a port in use is E_POOL_LISTEN", () => {
    const pool = h.start();
    expect(pool.port).toBeGreaterThan(0);
    expect(pool.host).toBe("127.0.0.1");
    expect(() => h.start({ port: pool.port })).toThrow(expect.objectContaining({ code: "E_POOL_LISTEN" }));
    expect(h.logs[0]).toMatch(
      new RegExp(`^pool listening on 127\\.0\\.0\\.1:${pool.port}, difficulty 1000, hasher \\w+$`),
    );
  });
});
