import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import pkg from "../../package.json";
import { resolveOptions, type PoolClientOptions } from "../../src/upstream/options.ts";

const base: PoolClientOptions = { pools: ["stratum+tcp://127.0.0.1:3956"], user: "RAddr.w" };

describe("resolveOptions", () => {
  test("defaults: vbridge/<version>, 3 submits in flight, password x, TLS verifying", () => {
    const o = resolveOptions(base);
    expect(o.userAgent).toBe(`vbridge/${pkg.version}`);
    expect([o.maxInFlightSubmits, o.failoverAfter, o.returnToPrimary, o.submitTimeoutMs]).toEqual([
      3,
      3,
      true,
      30_000,
    ]);
    expect(o.pools[0]).toMatchObject({ user: "RAddr.w", password: "x", tls: { ca: null, pin: null } });
    expect(Object.isFrozen(o)).toBe(true);
  });

  test("per-pool user, password and TLS override the client-wide ones", () => {
    const o = resolveOptions({
      ...base,
      password: "d=4",
      tls: { fingerprint: "00".repeat(32) },
      pools: [
        "stratum+ssl://127.0.0.1:1",
        {
          url: "stratum+ssl://127.0.0.1:2",
          user: "RBackup.w",
          password: "p2",
          tls: { caFile: join(import.meta.dir, "fixtures/localhost-cert.pem") },
        },
      ],
    });
    expect(o.pools[0]).toMatchObject({
      user: "RAddr.w",
      password: "d=4",
      tls: { pin: "00".repeat(32), ca: null },
    });
    expect(o.pools[1]!.user).toBe("RBackup.w");
    expect(o.pools[1]!.tls.ca).toContain("BEGIN CERTIFICATE");
  });

  test.each([
    [{ pools: ["http://x:1"] }, "E_POOL_URL"],
    [{ pools: [] }, "E_POOL_CONFIG"],
    [{ pools: Array(17).fill("stratum+tcp://a:1") }, "E_POOL_CONFIG"],
    [{ user: " " }, "E_POOL_CONFIG"],
    [{ maxInFlightSubmits: 4 }, "E_POOL_CONFIG"], // the flood guard: never more than 3
    [{ maxInFlightSubmits: 1.5 }, "E_POOL_CONFIG"],
    [{ submitTimeoutMs: 0 }, "E_POOL_CONFIG"],
    [{ backoff: { jitter: 2 } }, "E_POOL_CONFIG"],
    [{ backoff: { baseMs: 100, maxMs: 10 } }, "E_POOL_CONFIG"],
    [{ tls: { fingerprint: "abc" } }, "E_TLS_PIN_FORMAT"],
    [{ tls: { caFile: "/nonexistent/ca.pem" } }, "E_TLS_CA_FILE"],
  ] as [Partial<PoolClientOptions>, string][])("%j → %s", (o, code) => {
    expect(() => resolveOptions({ ...base, ...o })).toThrow(expect.objectContaining({ code }));
  });
});
