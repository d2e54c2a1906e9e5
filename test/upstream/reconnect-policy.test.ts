import { describe, expect, test } from "bun:test";
import { backoffDelay, PoolRotation } from "../../src/upstream/reconnect-policy.ts";

describe("backoffDelay", () => {
  const o = { baseMs: 1000, maxMs: 30_000, jitter: 0.5 };

  test("doubles per consecutive failure and stops at max (no jitter drawn)", () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((k) => backoffDelay(o, k, 0))).toEqual([
      1000, 2000, 4000, 8000, 16000, 30000, 30000,
    ]);
  });

  test("jitter scales each step into [1 − jitter, 1]", () => {
    expect(backoffDelay(o, 3, 0.5)).toBe(3000);
    expect(backoffDelay(o, 3, 0.999999)).toBe(2000);
    for (let k = 1; k < 40; k++) {
      const d = backoffDelay(o, k, 0.7);
      expect(d).toBeLessThanOrEqual(o.maxMs);
      expect(d).toBeGreaterThanOrEqual(Math.min(o.maxMs, o.baseMs * 2 ** (k - 1)) * 0.5 - 1);
    }
  });

  test("no failure, no delay; huge counts do not overflow", () => {
    expect(backoffDelay(o, 0, 0)).toBe(0);
    expect(backoffDelay(o, 1e9, 0)).toBe(30_000);
  });
});

describe("PoolRotation", () => {
  test("moves on after N consecutive failures, wraps round, healthy resets the count", () => {
    const r = new PoolRotation(3, 2);
    expect([r.fail(), r.current]).toEqual([false, 0]);
    expect([r.fail(), r.current]).toEqual([true, 1]);
    expect(r.onBackup).toBe(true);
    r.fail();
    r.healthy();
    expect([r.fail(), r.current]).toEqual([false, 1]);
    expect([r.fail(), r.current]).toEqual([true, 2]);
    r.fail();
    expect([r.fail(), r.current]).toEqual([true, 0]);
  });

  test("a single pool never moves", () => {
    const r = new PoolRotation(1, 1);
    expect([r.fail(), r.fail(), r.current]).toEqual([false, false, 0]);
  });

  test("toPrimary", () => {
    const r = new PoolRotation(2, 1);
    r.fail();
    expect(r.current).toBe(1);
    r.toPrimary();
    expect([r.current, r.failures, r.onBackup]).toEqual([0, 0, false]);
  });
});
