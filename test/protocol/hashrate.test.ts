import { expect, test } from "bun:test";
import { HASHES_PER_DIFFICULTY, HashrateWindow } from "../../src/protocol/hashrate.ts";

test("difficulty over the window becomes hashes per second; old buckets fall out", () => {
  const w = new HashrateWindow(60, 0);
  w.add(5_000, 3);
  // 10 s after start: the elapsed time, not the window, is the divisor
  expect(w.hashrate(10_000)).toBe((3 * HASHES_PER_DIFFICULTY) / 10);
  w.add(15_000, 3);
  expect(w.hashrate(50_000)).toBe((6 * HASHES_PER_DIFFICULTY) / 50);
  // the window is the current 10 s bucket and the 5 before it: at 60 s the 0..10 s bucket is
  // out, at 70 s the 10..20 s one too
  expect(w.hashrate(60_000)).toBe((3 * HASHES_PER_DIFFICULTY) / 60);
  expect(w.hashrate(70_000)).toBe(0);
  // a slot reused by a later bucket starts from zero
  w.add(125_000, 1);
  expect(w.hashrate(125_000)).toBe(HASHES_PER_DIFFICULTY / 60);
});

test("the window must be a whole number of buckets", () => {
  expect(() => new HashrateWindow(15, 0)).toThrow(RangeError);
});
