// The parts the pool's, the bridge's and the miner's summary lines share.

import { describe, expect, test } from "bun:test";
import { byCode, countOf, formatHashrate, hashrateUnit } from "../../src/util/format.ts";

describe("summary parts", () => {
  test("hashrate units (estimates from shares: two decimals)", () => {
    expect(formatHashrate(0)).toBe("0.00 H/s");
    expect(formatHashrate(1_500_000)).toBe("1.50 MH/s");
    expect(formatHashrate(2.5e12)).toBe("2.50 TH/s");
  });

  test("the unit is the largest in which the rate is at least 1", () => {
    expect(hashrateUnit(999)).toEqual({ name: "H/s", size: 1 });
    expect(hashrateUnit(1000)).toEqual({ name: "kH/s", size: 1000 });
    expect(hashrateUnit(5e15)).toEqual({ name: "TH/s", size: 1e12 });
  });

  test("counts and rejects by code", () => {
    expect([countOf(1, "session"), countOf(0, "session"), countOf(2, "block candidate")]).toEqual([
      "1 session",
      "0 sessions",
      "2 block candidates",
    ]);
    expect(byCode({})).toBe("");
    expect(byCode({ 21: 1, 23: 2 })).toBe(" (21: 1, 23: 2)");
  });
});
