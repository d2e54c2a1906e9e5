// util/range.ts: the one numeric-setting check, and the phrase every layer's messages use.

import { describe, expect, test } from "bun:test";
import { inRange, rangePhrase, toNumber, type Range } from "../../src/util/range.ts";

describe("inRange", () => {
  test.each<[unknown, Range, boolean]>([
    [1, { whole: true, min: 1, max: 256 }, true],
    [0, { whole: true, min: 1, max: 256 }, false],
    [1.5, { whole: true, min: 1, max: 256 }, false],
    [257, { whole: true, min: 1, max: 256 }, false],
    [0, { min: 0, max: 10, exclusiveMin: true }, false],
    [1e-9, { min: 0, max: 10, exclusiveMin: true }, true],
    [Number.NaN, { min: 0, max: Infinity }, false],
    [Infinity, { min: 0, max: Infinity }, false],
    ["5", { min: 0, max: 10 }, false],
  ])("%p in %p: %p", (n, r, ok) => {
    expect(inRange(n, r)).toBe(ok);
  });
});

test("toNumber: blank strings and non-numbers are NaN", () => {
  expect(toNumber(" 7 ")).toBe(7);
  expect(toNumber("")).toBeNaN();
  expect(toNumber("  ")).toBeNaN();
  expect(toNumber(true)).toBeNaN();
  expect(toNumber(2.5)).toBe(2.5);
});

test("rangePhrase: the wording of every layer's messages", () => {
  expect(rangePhrase({ whole: true, min: 1, max: 65535 })).toBe("a whole number from 1 to 65535");
  expect(rangePhrase({ min: 0, exclusiveMin: true, max: 1e15 })).toBe("a number above 0 to 1000000000000000");
  expect(rangePhrase({ min: 0, exclusiveMin: true, max: Infinity })).toBe("a number above 0");
  expect(rangePhrase({ whole: true, min: 1, max: Infinity })).toBe("a whole number >= 1");
  expect(rangePhrase({ seconds: true, min: 0, exclusiveMin: true, max: 3600 })).toBe(
    "a number of seconds above 0 and at most 3600",
  );
});
