import { describe, expect, test } from "bun:test";
import { meetsTargetLE } from "../../src/protocol/target.ts";

const le = (top: number, low = 0) => {
  const b = new Uint8Array(32);
  b[31] = top;
  b[0] = low;
  return b;
};

describe("meetsTargetLE", () => {
  test("byte 31 is the most significant", () => {
    expect(meetsTargetLE(le(1, 0xff), le(2, 0))).toBe(true);
    expect(meetsTargetLE(le(2, 0), le(1, 0xff))).toBe(false);
  });

  test("equal to the target passes (hash ≤ target)", () => {
    expect(meetsTargetLE(le(7, 7), le(7, 7))).toBe(true);
  });

  test("lower bytes decide when the top ones tie", () => {
    expect(meetsTargetLE(le(7, 8), le(7, 7))).toBe(false);
    expect(meetsTargetLE(le(7, 6), le(7, 7))).toBe(true);
  });
});
