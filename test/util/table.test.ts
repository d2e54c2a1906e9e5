import { expect, test } from "bun:test";
import { row, thousands } from "../../src/util/table.ts";

test("row: names left, numbers right, two spaces between columns", () => {
  expect(row(["aesni", "1", "1.650"], [8, 3, 6])).toBe("aesni       1   1.650");
});

test("thousands: rounded, comma-separated", () => {
  expect(thousands(1523846.4)).toBe("1,523,846");
});
