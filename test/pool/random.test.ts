// The seeded generator behind deterministic pools.

import { describe, expect, test } from "bun:test";
import { randomU32, seededRandom } from "../../src/pool/random.ts";

describe("seededRandom", () => {
  test("same seed, same bytes; other seed, other bytes; any length", () => {
    expect(seededRandom(1)(37)).toEqual(seededRandom(1)(37));
    expect(seededRandom(1)(32)).not.toEqual(seededRandom(2)(32));
    expect(seededRandom(1)(3)).toHaveLength(3);
    expect(randomU32(seededRandom(1))).toBe(randomU32(seededRandom(1)));
    expect(() => seededRandom(1.5)).toThrow(RangeError);
  });

  test("bytes look uniform (a coarse check of the mixing)", () => {
    const counts = new Array(256).fill(0);
    for (const b of seededRandom(123)(256 * 200)) counts[b]++;
    expect(Math.min(...counts)).toBeGreaterThan(120);
    expect(Math.max(...counts)).toBeLessThan(280);
  });
});
