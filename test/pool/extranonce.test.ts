// extranonce1 allocation: unique while live, no zero byte, reproducible.

import { describe, expect, test } from "bun:test";
import { Extranonce1Allocator } from "../../src/pool/extranonce.ts";

describe("Extranonce1Allocator", () => {
  test("values are 8 hex digits, unique while live, never with a zero byte", () => {
    const a = new Extranonce1Allocator(0, 0);
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const v = a.allocate();
      expect(v).toMatch(/^[0-9a-f]{8}$/);
      expect(v.match(/../g)!.includes("00")).toBe(false);
      seen.add(v);
    }
    expect(seen.size).toBe(10_000);
    expect(a.liveCount).toBe(10_000);
  });

  test("released values leave the live set; the sequence is reproducible", () => {
    const a = new Extranonce1Allocator(7, 9);
    const b = new Extranonce1Allocator(7, 9);
    const x = a.allocate();
    expect(b.allocate()).toBe(x);
    a.release(x);
    expect(a.liveCount).toBe(0);
  });
});
