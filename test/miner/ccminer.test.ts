// The difficulty ccminer 3.8.3 shows for a pool's target (its target_to_diff_verus of the target's
// compact form, printed with "%g"), pinned to what it printed against v-nomp (field-notes.md).

import { describe, expect, test } from "bun:test";
import { ccminerDifficulty, formatCcminerDifficulty, formatG } from "../../src/miner/ccminer.ts";
import { difficultyToTarget, MAX_TARGET } from "../../src/protocol/index.ts";

const target = (hex: string) => BigInt(`0x${hex.padEnd(64, "0")}`);

describe("ccminer 3.8.3's difficulty", () => {
  test("the three recorded pairs: pool difficulty 200, 64, 20 → 96376.6, 30840.5, 9637.65", () => {
    expect(formatCcminerDifficulty(difficultyToTarget(200))).toBe("96376.6");
    expect(formatCcminerDifficulty(difficultyToTarget(64))).toBe("30840.5");
    expect(formatCcminerDifficulty(difficultyToTarget(20))).toBe("9637.65");
    // The same from the targets as v-nomp sends them.
    expect(formatCcminerDifficulty(target("00000a3d70a3d70a3d80"))).toBe("96376.6");
    expect(formatCcminerDifficulty(target("00002"))).toBe("30840.5");
    expect(formatCcminerDifficulty(target("00006666666666666800"))).toBe("9637.65");
  });

  test("the factor: 0x0f0f0f / 0x080000 for a power-of-two target, the 3-byte significand otherwise", () => {
    expect(ccminerDifficulty(difficultyToTarget(1))).toBe(481.88232421875);
    expect(ccminerDifficulty(difficultyToTarget(64)) / 64).toBe(481.88232421875);
    expect(ccminerDifficulty(difficultyToTarget(200))).toBeCloseTo(96376.55675559689, 8); // 0x0a3d70
    expect(ccminerDifficulty(difficultyToTarget(20))).toBeCloseTo(9637.64705882353, 8); // 0x666666
    // Only the three bytes from the first non-zero one count.
    expect(ccminerDifficulty(target("00000a3d70ff"))).toBe(ccminerDifficulty(target("00000a3d70")));
  });

  test("edges: the largest target, a target shorter than three bytes, zero", () => {
    expect(ccminerDifficulty(MAX_TARGET)).toBe(0x0f0f0f / 0xffffff);
    expect(ccminerDifficulty(0x7fn)).toBe((0x0f0f0f / 0x7f0000) * 2 ** 248); // bytes past the end: 0
    expect(ccminerDifficulty(0n)).toBe(Infinity);
    expect(formatCcminerDifficulty(0n)).toBe("inf");
    expect(() => ccminerDifficulty(-1n)).toThrow(RangeError);
  });

  test('"%g": six significant digits, trailing zeros dropped, exponent form outside 1e-4 … 1e6', () => {
    expect(formatG(481.88232421875)).toBe("481.882");
    expect(formatG(3947580)).toBe("3.94758e+06");
    expect(formatG(999999.5)).toBe("1e+06");
    expect(formatG(481884.9379735801)).toBe("481885");
    expect(formatG(100)).toBe("100");
    expect(formatG(0.5)).toBe("0.5");
    expect(formatG(0.0001234567)).toBe("0.000123457");
    expect(formatG(0.00001234567)).toBe("1.23457e-05");
    expect(formatG(1e300)).toBe("1e+300");
    expect(formatG(0)).toBe("0");
    expect(formatG(NaN)).toBe("nan");
  });
});
