// The invalid-share window, pure.

import { describe, expect, test } from "bun:test";
import { InvalidShareWindow } from "../../src/bridge/invalid-window.ts";

describe("InvalidShareWindow", () => {
  test("no verdict before minShares; ≥ 50 % invalid of the last 100 ends it", () => {
    const w = new InvalidShareWindow();
    for (let i = 0; i < 19; i++) expect(w.record(false)).toBe(false);
    expect(w.record(false)).toBe(true); // 20 of 20
  });

  test("valid shares dilute; old outcomes fall out of the window", () => {
    const w = new InvalidShareWindow({ size: 10, minShares: 4, maxInvalidRatio: 0.5 });
    for (let i = 0; i < 6; i++) w.record(true);
    for (let i = 0; i < 4; i++) expect(w.record(false)).toBe(false); // 4 of 10
    expect(w.record(false)).toBe(true); // 5 of 10: the oldest valid one fell out
    for (let i = 0; i < 10; i++) w.record(true);
    expect(w.invalid).toBe(0);
    expect(w.count).toBe(10);
  });

  test("bad options are programmer errors", () => {
    expect(() => new InvalidShareWindow({ size: 0, minShares: 1, maxInvalidRatio: 0.5 })).toThrow(RangeError);
    expect(() => new InvalidShareWindow({ size: 10, minShares: 11, maxInvalidRatio: 0.5 })).toThrow(
      RangeError,
    );
    expect(() => new InvalidShareWindow({ size: 10, minShares: 1, maxInvalidRatio: 0 })).toThrow(RangeError);
  });
});
