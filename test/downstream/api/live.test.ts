// /api/v1/live (Server-Sent Events) and route promises on our HTTP/1.1 connection: events arrive
// every second, the number of streams is capped, the server's stop ends them; a pending API answer
// keeps pipelined requests in order and keep-alive as before.

import { describe, expect, test } from "bun:test";
import { startApiStack } from "./stack.ts";

/** Reads `data:` events from an SSE response until `n` arrived or `ms` passed. */
async function events(r: Response, n: number, ms: number): Promise<{ retry: boolean; data: unknown[] }> {
  const reader = r.body!.getReader();
  const decoder = new TextDecoder();
  const deadline = Date.now() + ms;
  let text = "";
  const data: unknown[] = [];
  while (data.length < n && Date.now() < deadline) {
    const next = await Promise.race([reader.read(), Bun.sleep(deadline - Date.now()).then(() => null)]);
    if (next === null || next.done) break;
    text += decoder.decode(next.value, { stream: true });
    let i: number;
    while ((i = text.indexOf("\n\n")) >= 0) {
      const block = text.slice(0, i);
      text = text.slice(i + 2);
      if (block.startsWith("data: ")) data.push(JSON.parse(block.slice(6)));
    }
  }
  void reader.cancel().catch(() => {});
  return { retry: true, data };
}

describe("live events", () => {
  test("text/event-stream: retry, then at least two summaries within 3 s", async () => {
    const s = startApiStack();
    const r = await fetch(`${s.base}/api/v1/live`);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("text/event-stream");
    expect(r.headers.get("cache-control")).toBe("no-store");
    expect(r.headers.get("content-length")).toBeNull();
    const { data } = await events(r, 2, 3000);
    expect(data.length).toBeGreaterThanOrEqual(2);
    expect(data[0]).toHaveProperty("hashrate.total");
    expect(data[1]).toHaveProperty("results.accepted");
  });

  test("the streams are capped (503 E_API_LIVE_FULL); a closed one frees its place; stop ends them", async () => {
    const s = startApiStack({}, 1);
    const first = await fetch(`${s.base}/api/v1/live`);
    expect(first.status).toBe(200);
    const full = await fetch(`${s.base}/api/v1/live`);
    expect(full.status).toBe(503);
    expect(((await full.json()) as { error: { code: string } }).error.code).toBe("E_API_LIVE_FULL");
    await first.body!.cancel();
    let again: Response | null = null;
    for (let i = 0; i < 100 && again?.status !== 200; i++) {
      await Bun.sleep(20);
      again = await fetch(`${s.base}/api/v1/live`);
      if (again.status !== 200) await again.text();
    }
    expect(again!.status).toBe(200);
    // The server stopping ends the stream (the body finishes, no hang).
    const reading = (async () => {
      const reader = again!.body!.getReader();
      for (;;) if ((await reader.read()).done) return "ended";
    })().catch(() => "ended");
    await s.ds.stop();
    expect(await Promise.race([reading, Bun.sleep(3000).then(() => "hung")])).toBe("ended");
  });

  test("a pending API answer: pipelined requests are answered in order, the connection kept alive", async () => {
    const s = startApiStack();
    for (let i = 0; i < 250 && (await s.get("/health")).status !== 200; i++) await Bun.sleep(20);
    let got = "";
    const sock = await Bun.connect({
      hostname: "127.0.0.1",
      port: s.ds.port,
      socket: { data: (_s, d) => void (got += d.toString()) },
    });
    const req = (p: string) => `GET ${p} HTTP/1.1\r\nHost: x\r\n\r\n`;
    sock.write(req("/api/v1/workers") + req("/health") + req("/api/v1/summary"));
    const deadline = Date.now() + 5000;
    while ((got.match(/HTTP\/1\.1 /g) ?? []).length < 3 && Date.now() < deadline) await Bun.sleep(10);
    const heads = [...got.matchAll(/HTTP\/1\.1 (\d+)[^]*?Content-Length: \d+\r\nConnection: (\S+)/g)];
    expect(heads.map((m) => [m[1], m[2]])).toEqual([
      ["200", "keep-alive"],
      ["200", "keep-alive"],
      ["200", "keep-alive"],
    ]);
    expect(got.indexOf('{"workers"')).toBeLessThan(got.indexOf('"ok":'));
    expect(got.indexOf('"ok":')).toBeLessThan(got.indexOf('"version"'));
    // And the same socket carries on.
    sock.write(req("/api/v1/miners"));
    while (!got.includes('{"miners"') && Date.now() < deadline + 5000) await Bun.sleep(10);
    expect(got).toContain('{"miners":[]}');
    sock.end();
  });

  test("a socket closed while its answer is pending: nothing breaks, the server answers the next", async () => {
    const s = startApiStack();
    const sock = await Bun.connect({ hostname: "127.0.0.1", port: s.ds.port, socket: { data() {} } });
    sock.write("GET /api/v1/workers HTTP/1.1\r\nHost: x\r\n\r\n");
    sock.terminate();
    await Bun.sleep(50);
    expect((await s.get("/api/v1/summary")).status).toBe(200);
  });

  test("more pipelined while an answer is pending than a few heads: cut, E_HTTP_TOO_LARGE", async () => {
    const s = startApiStack();
    let closed = false;
    const sock = await Bun.connect({
      hostname: "127.0.0.1",
      port: s.ds.port,
      socket: { data() {}, close: () => void (closed = true) },
    });
    // The async route holds what follows it; 4 × 8 KiB heads' worth is the cap.
    sock.write("GET /api/v1/workers HTTP/1.1\r\nHost: x\r\n\r\n" + "A".repeat(4 * 8 * 1024 + 1));
    const end = Date.now() + 5000;
    while (!closed && Date.now() < end) await Bun.sleep(10);
    expect(closed).toBe(true);
    expect(s.ds.stats().refused.E_HTTP_TOO_LARGE).toBe(1);
    expect((await s.get("/api/v1/summary")).status).toBe(200);
  });
});
