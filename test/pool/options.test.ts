// Option defaults and the one check of every value.

import { describe, expect, test } from "bun:test";
import { resolvePoolOptions } from "../../src/pool/options.ts";

describe("resolvePoolOptions", () => {
  test("defaults: loopback, port 3956, difficulty 1000, flood guard on, vardiff off", () => {
    const o = resolvePoolOptions({});
    expect(o).toMatchObject({
      host: "127.0.0.1",
      port: 3956,
      difficulty: 1000,
      floodGuardBytes: 10_240,
      vardiff: null,
      idleTimeoutSeconds: null,
    });
    expect(Object.isFrozen(o)).toBe(true);
  });

  test("vardiff fills its defaults around the start difficulty", () => {
    const o = resolvePoolOptions({ difficulty: 8, vardiff: {} });
    expect(o.vardiff).toEqual({
      targetShareSeconds: 10,
      retargetSeconds: 60,
      variancePercent: 30,
      minDifficulty: 8 / 1024,
      maxDifficulty: 8 * 1024,
    });
  });

  test.each([
    ["negative difficulty", { difficulty: -1 }],
    ["NaN difficulty", { difficulty: NaN }],
    ["a difficulty no hash can meet", { difficulty: 1e300 }],
    ["port 65536", { port: 65536 }],
    ["fractional port", { port: 1.5 }],
    ["zero job interval", { jobIntervalSeconds: 0 }],
    ["tiny flood guard", { floodGuardBytes: 100 }],
    ["empty host", { host: " " }],
    ["bad vardiff", { vardiff: { minDifficulty: 5, maxDifficulty: 1 } }],
    ["fractional seed", { seed: 0.5 }],
  ])("%s is E_POOL_OPTIONS", (_, bad) => {
    expect(() => resolvePoolOptions(bad)).toThrow(expect.objectContaining({ code: "E_POOL_OPTIONS" }));
  });

  test("a tiny difficulty is fine (its target saturates)", () => {
    expect(resolvePoolOptions({ difficulty: 0.0000001 }).difficulty).toBe(0.0000001);
  });
});
