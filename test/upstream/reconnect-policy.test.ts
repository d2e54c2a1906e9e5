import { describe, expect, test } from "bun:test";
import {
  backoffDelay,
  DEFAULT_URGENT_BACKOFF,
  PoolRotation,
  REFUSED_RETRY_MAX_MS,
  retryPolicy,
} from "../../src/upstream/reconnect-policy.ts";

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

  test("next: an unusable pool is left at once, whatever the count; a single pool stays", () => {
    const r = new PoolRotation(3, 3);
    r.fail();
    expect([r.next(), r.current, r.failures]).toEqual([true, 1, 0]);
    expect([r.next(), r.next(), r.current]).toEqual([true, true, 0]);
    const one = new PoolRotation(1, 3);
    expect([one.next(), one.current]).toEqual([false, 0]);
  });
});

describe("the urgent policy (miners attached)", () => {
  test("first retry within 250 ms, capped at 5 s, jitter kept", () => {
    const d = (k: number, r: number) => backoffDelay(DEFAULT_URGENT_BACKOFF, k, r);
    expect([1, 2, 3, 4, 5, 6, 50].map((k) => d(k, 0))).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000]);
    expect(d(1, 0.999)).toBeGreaterThanOrEqual(125);
    expect(d(7, 0.999)).toBeLessThan(5000);
  });

  test("retryPolicy: the long one without miners; the fast one with; a refused pool knocked every second", () => {
    const normal = { baseMs: 1000, maxMs: 60_000, jitter: 0.5 };
    expect(retryPolicy(normal, null, "E_CONNECT_REFUSED")).toBe(normal);
    expect(retryPolicy(normal, DEFAULT_URGENT_BACKOFF, "E_CONNECTION_CLOSED")).toBe(DEFAULT_URGENT_BACKOFF);
    expect(retryPolicy(normal, DEFAULT_URGENT_BACKOFF, "E_CONNECT_REFUSED")).toEqual({
      baseMs: 250,
      maxMs: REFUSED_RETRY_MAX_MS,
      jitter: 0.5,
    });
    const tight = { baseMs: 100, maxMs: 400, jitter: 0 }; // reconnect_max_delay below a second stays
    expect(retryPolicy(normal, tight, "E_CONNECT_REFUSED")).toBe(tight);
  });
});
