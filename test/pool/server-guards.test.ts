// The pool's defences, as v-nomp's (verus-stratum.md §1, §7): malformed lines and floods close
// the socket; lines split anywhere still work; stop() closes everyone.

import { describe, expect, test } from "bun:test";
import { FLOOD_GUARD_BYTES } from "../../src/pool/index.ts";
import { TestClient } from "./client.ts";
import { handshake, harness } from "./harness.ts";
import { findShare } from "./shares.ts";

const h = harness();
const EASY = 0.001;

/** `n` distinct real submit lines (≈ 2.8 KB each). */
async function submitLines(n: number, pool: ReturnType<typeof h.start>) {
  const c = await h.client(pool);
  const hs = await handshake(c);
  const lines: string[] = [];
  let start = 0;
  for (let i = 0; i < n; i++) {
    const s = findShare(h.hasher(), {
      notify: hs.notify,
      extranonce1: hs.extranonce1,
      target: hs.target,
      start,
    });
    start = s.counter + 1;
    lines.push(JSON.stringify({ id: 10 + i, method: "mining.submit", params: s.params }) + "\n");
  }
  return { c, lines };
}

describe("closing", () => {
  test("a line that is not JSON closes the socket", async () => {
    const pool = h.start();
    const c = await h.client(pool);
    c.write("this is not json\n");
    await c.waitClosed();
    expect(pool.stats().closes).toEqual({ E_MALFORMED: 1 });
  });

  test.each([
    ["an array", "[1,2,3]"],
    ["a number", "42"],
    ["an object that is not JSON-RPC", '{"foo":1}'],
  ])("JSON that is %s closes the socket", async (_, line) => {
    const pool = h.start();
    const c = await h.client(pool);
    c.write(line + "\n");
    await c.waitClosed();
  });

  test("lines before the malformed one in the same read are still answered", async () => {
    const pool = h.start();
    const c = await h.client(pool);
    c.write('{"id":1,"method":"mining.ping","params":[]}\n{oops\n');
    await c.waitClosed();
    expect(c.received).toContainEqual({ id: 1, result: "pong", error: null });
  });

  test(`more than ${FLOOD_GUARD_BYTES} bytes without a newline closes the socket`, async () => {
    const pool = h.start();
    const c = await h.client(pool);
    c.write("x".repeat(FLOOD_GUARD_BYTES + 1));
    await c.waitClosed();
    expect(pool.stats().closes).toEqual({ E_FRAME_TOO_LARGE: 1 });
  });

  test("4 pipelined submits in one write trip the flood guard (as at v-nomp)", async () => {
    const pool = h.start({ difficulty: EASY });
    const { c, lines } = await submitLines(4, pool);
    const burst = lines.join("");
    expect(burst.length).toBeGreaterThan(FLOOD_GUARD_BYTES);
    c.write(burst);
    await c.waitClosed();
    expect(pool.stats().closes).toEqual({ E_FRAME_TOO_LARGE: 1 });
  });

  test("3 pipelined submits stay under the guard and are all answered", async () => {
    const pool = h.start({ difficulty: EASY });
    const { c, lines } = await submitLines(3, pool);
    expect(lines.join("").length).toBeLessThan(FLOOD_GUARD_BYTES);
    c.write(lines.join(""));
    for (let i = 0; i < 3; i++) expect(await c.next((m) => m.id === 10 + i)).toMatchObject({ result: true });
    expect(c.closed).toBe(false);
  });

  test("with the flood guard off, 4 pipelined submits are answered", async () => {
    const pool = h.start({ difficulty: EASY, floodGuardBytes: null });
    const { c, lines } = await submitLines(4, pool);
    c.write(lines.join(""));
    for (let i = 0; i < 4; i++) expect(await c.next((m) => m.id === 10 + i)).toMatchObject({ result: true });
  });

  test("stop() closes every connection and the listener", async () => {
    const pool = h.start();
    const a = await h.client(pool);
    const b = await h.client(pool);
    await a.request("mining.subscribe", []);
    await b.request("mining.ping", []);
    const final = pool.stop();
    await a.waitClosed();
    await b.waitClosed();
    expect(final.connections).toBe(0);
    expect(final.closes).toEqual({ E_POOL_CLOSING: 2 });
    expect(pool.stop().closes).toEqual({ E_POOL_CLOSING: 2 }); // idempotent
    expect(TestClient.connect(pool.port)).rejects.toThrow();
  });

  test("the idle timeout closes a connection that has not submitted, at a job broadcast", async () => {
    const pool = h.start({ difficulty: EASY, idleTimeoutSeconds: 600, clock: h.clock });
    const idle = await h.client(pool);
    const busy = await h.client(pool);
    await handshake(idle);
    const hs = await handshake(busy);
    h.advance(599_000);
    const share = findShare(h.hasher(), {
      notify: hs.notify,
      extranonce1: hs.extranonce1,
      target: hs.target,
    });
    expect((await busy.request("mining.submit", share.params)).result).toBe(true);
    h.advance(2_000);
    pool.newJob();
    await idle.waitClosed();
    expect(busy.closed).toBe(false);
    await busy.notification("mining.notify");
    expect(pool.stats().closes).toEqual({ E_IDLE_TIMEOUT: 1 });
  });

  test("more connections than allowed are refused", async () => {
    const pool = h.start({ maxConnections: 2 });
    const a = await h.client(pool);
    const b = await h.client(pool);
    await a.request("mining.ping", []);
    await b.request("mining.ping", []);
    const c = await h.client(pool);
    await c.waitClosed();
    expect(await a.request("mining.ping", [])).toMatchObject({ result: "pong" });
  });
});

describe("framing", () => {
  test("lines written 1 byte at a time still work", async () => {
    const pool = h.start();
    const c = await h.client(pool);
    const line =
      '{"id":1,"method":"mining.subscribe","params":["ccminer_CPU/3.8.3"]}\r\n{"id":2,"method":"mining.ping","params":[]}\n';
    for (const ch of line) {
      c.write(ch);
      await Bun.sleep(0); // one event-loop turn per byte, so the reads really are split
    }
    expect((await c.next((m) => m.id === 1)).result).toBeArray();
    expect(await c.next((m) => m.id === 2)).toMatchObject({ result: "pong" });
    await c.notification("mining.notify");
  });

  test("several requests in one write are answered in order", async () => {
    const pool = h.start();
    const c = await h.client(pool);
    c.write(
      '{"id":1,"method":"mining.ping"}\n\n{"id":2,"method":"mining.ping"}\n{"id":3,"method":"mining.ping"}\n',
    );
    await c.next((m) => m.id === 3);
    expect(c.received.map((m) => m.id)).toEqual([1, 2, 3]);
  });
});
