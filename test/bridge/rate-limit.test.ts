// The share rate limiter (token bucket with a debt limit), pure.

import { describe, expect, test } from "bun:test";
import { ShareRateLimiter } from "../../src/bridge/rate-limit.ts";

describe("ShareRateLimiter", () => {
  test("a burst of rate × 2 passes, then shares are limited, then the flood is exceeded", () => {
    const r = new ShareRateLimiter(5, 0);
    const verdicts = Array.from({ length: 21 }, () => r.take(0));
    expect(verdicts.slice(0, 10)).toEqual(Array(10).fill("ok"));
    expect(verdicts.slice(10, 19)).toEqual(Array(9).fill("limited"));
    expect(verdicts[19]).toBe("exceeded"); // a whole burst of debt
  });

  test("tokens come back at the rate; a steady rate at the limit is never refused", () => {
    const r = new ShareRateLimiter(2, 0);
    for (let t = 0; t < 100_000; t += 500) expect(r.take(t)).toBe("ok");
    const s = new ShareRateLimiter(2, 0);
    for (let i = 0; i < 4; i++) s.take(0);
    expect(s.take(0)).toBe("limited");
    expect(s.take(1000)).toBe("ok"); // debt of 1, +2 tokens, −1
  });

  test("a clock going backwards gives no tokens", () => {
    const r = new ShareRateLimiter(1, 10_000);
    r.take(10_000);
    r.take(10_000);
    expect(r.take(0)).toBe("limited");
  });

  test("forgive clears the debt, not the refusals", () => {
    const r = new ShareRateLimiter(1, 0);
    for (let i = 0; i < 3; i++) r.take(0); // burst 2, then one in debt
    r.forgive();
    expect(r.take(0)).toBe("limited");
    expect(r.take(0)).toBe("exceeded"); // a burst of debt counted from the forgiveness
  });

  test("a fractional rate still allows one share", () => {
    expect(new ShareRateLimiter(0.1, 0).take(0)).toBe("ok");
    expect(() => new ShareRateLimiter(0, 0)).toThrow(RangeError);
  });
});
