import { describe, expect, test } from "bun:test";
import { printable } from "../../src/util/text.ts";

describe("printable", () => {
  test("no control characters, bounded", () => {
    expect(printable("a\nb\u0007")).toBe('"a?b?"');
    expect(printable("x".repeat(100))).toBe(JSON.stringify("x".repeat(80) + "…"));
    expect(printable("x".repeat(10), 4)).toBe(JSON.stringify("xxxx…"));
  });
});
