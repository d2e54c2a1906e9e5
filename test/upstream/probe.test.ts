import { afterEach, describe, expect, test } from "bun:test";
import type { UpstreamError } from "../../src/upstream/errors.ts";
import { probePool } from "../../src/upstream/probe.ts";
import { DEFAULT_TLS_POLICY } from "../../src/upstream/tls.ts";
import { connectTransport } from "../../src/upstream/transport.ts";
import { parsePoolUrl } from "../../src/upstream/url.ts";
import { FakePool, refusedPort } from "./fake-pool.ts";
import { resultLine } from "./helpers.ts";

const cleanups: (() => unknown)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function pool(o: ConstructorParameters<typeof FakePool>[0] = {}): FakePool {
  const p = new FakePool(o);
  cleanups.push(() => p.stop());
  return p;
}

function probe(url: string, timeoutMs = 2000): Promise<UpstreamError | null> {
  return new Promise((resolve) => {
    const p = probePool(
      {
        endpoint: parsePoolUrl(url),
        tls: DEFAULT_TLS_POLICY,
        userAgent: "vbridge/test",
        timeoutMs,
        maxLineBytes: 16384,
        connect: connectTransport,
      },
      resolve,
    );
    cleanups.push(() => p.cancel());
  });
}

describe("probePool", () => {
  test("a pool that answers subscribe is healthy; the probe never authorizes and hangs up", async () => {
    const p = pool();
    expect(await probe(p.url)).toBeNull();
    await Bun.sleep(20);
    expect(p.conns[0]!.lines.map((l) => JSON.parse(l).method)).toEqual(["mining.subscribe"]);
    expect(p.conns[0]!.closed).toBe(true);
  });

  test("refused, a subscribe error, and silence are all unhealthy, with their codes", async () => {
    expect((await probe(`stratum+tcp://127.0.0.1:${refusedPort()}`))?.code).toBe("E_CONNECT_REFUSED");
    const failing = pool({ onLine: (c, _l, m) => (c.send(resultLine(m.id, null, [20, "busy"])), true) });
    expect((await probe(failing.url))?.code).toBe("E_SUBSCRIBE_FAILED");
    const silent = pool({ onLine: () => true });
    expect((await probe(silent.url, 100))?.code).toBe("E_CALL_TIMEOUT");
  });

  test("cancel(): no verdict afterwards", async () => {
    const silent = pool({ onLine: () => true });
    let called = false;
    const p = probePool(
      {
        endpoint: parsePoolUrl(silent.url),
        tls: DEFAULT_TLS_POLICY,
        userAgent: "x",
        timeoutMs: 50,
        maxLineBytes: 16384,
        connect: connectTransport,
      },
      () => (called = true),
    );
    p.cancel();
    await Bun.sleep(100);
    expect(called).toBe(false);
  });
});
