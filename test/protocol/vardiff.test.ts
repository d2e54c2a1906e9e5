// Vardiff decisions, driven by an explicit clock.

import { describe, expect, test } from "bun:test";
import { Vardiff, vardiffOptionsProblem, type VardiffOptions } from "../../src/protocol/vardiff.ts";

const O: VardiffOptions = {
  targetShareSeconds: 10,
  retargetSeconds: 60,
  variancePercent: 30,
  minDifficulty: 0.01,
  maxDifficulty: 100,
};
const s = (n: number) => n * 1000;

describe("Vardiff", () => {
  test("nothing changes before the window is retargetSeconds old", () => {
    const v = new Vardiff(O, 0);
    for (let i = 0; i < 50; i++) expect(v.onShare(s(1), 1)).toBeNull();
    expect(v.onTick(s(59), 1)).toBeNull();
  });

  test("shares on target keep the difficulty", () => {
    const v = new Vardiff(O, 0);
    let r: number | null = null;
    for (let i = 1; i <= 6; i++) r = v.onShare(s(10 * i), 1);
    expect(r).toBeNull();
  });

  test("fast shares raise it by target/average, at most x4", () => {
    const a = new Vardiff(O, 0);
    for (let i = 1; i < 12; i++) a.onShare(s(i), 1);
    expect(a.onShare(s(60), 1)).toBeCloseTo(2); // 12 shares in 60 s: every 5 s → ×2
    const b = new Vardiff(O, 0);
    for (let i = 1; i < 100; i++) b.onShare(s(0.1 * i), 1);
    expect(b.onShare(s(60), 1)).toBe(4);
  });

  test("no shares for a window eases it down, at most ÷4 per step", () => {
    const v = new Vardiff(O, 0);
    expect(v.onTick(s(60), 1)).toBe(0.25);
    // The window restarted: the next step needs another full window.
    expect(v.onTick(s(61), 0.25)).toBeNull();
    expect(v.onTick(s(120), 0.25)).toBe(0.0625);
  });

  test("slow shares lower it by target/average", () => {
    const v = new Vardiff(O, 0);
    v.onShare(s(30), 1);
    expect(v.onShare(s(60), 1)).toBeCloseTo(1 / 3); // every 30 s
  });

  test("results stay within [min, max]; at a bound there is nothing to change", () => {
    const low = new Vardiff(O, 0);
    expect(low.onTick(s(60), 0.02)).toBe(0.01);
    expect(low.onTick(s(120), 0.01)).toBeNull();
    const high = new Vardiff(O, 0);
    for (let i = 1; i < 100; i++) high.onShare(s(0.1 * i), 50);
    expect(high.onShare(s(60), 50)).toBe(100);
  });

  test.each([
    ["targetShareSeconds", { targetShareSeconds: 0 }],
    ["retargetSeconds", { retargetSeconds: -1 }],
    ["variancePercent", { variancePercent: 100 }],
    ["min above max", { minDifficulty: 5, maxDifficulty: 1 }],
    ["NaN min", { minDifficulty: NaN }],
  ])("bad options (%s) are named by vardiffOptionsProblem and refused by the constructor", (_, bad) => {
    expect(vardiffOptionsProblem({ ...O, ...bad })).toBeString();
    expect(() => new Vardiff({ ...O, ...bad }, 0)).toThrow(RangeError);
  });

  test("good options have no problem", () => {
    expect(vardiffOptionsProblem(O)).toBeNull();
  });
});
