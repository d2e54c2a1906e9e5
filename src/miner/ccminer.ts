/**
 * The difficulty ccminer 3.8.3 (monkins1010 line) prints for a pool's target: `Stratum difficulty
 * set to 96376.6` for pool difficulty 200, 30840.5 for 64, 9637.65 for 20 (field-notes.md,
 * "Difficulty"). Shown next to the pool's figure in `vbridge mine`'s lines so that an operator
 * comparing the two programs sees the same number.
 *
 * ccminer's verus_stratum_set_target turns the 32-byte target (big-endian hex) into compact bits:
 * the exponent is 32 − f, f the index of the first non-zero byte, and the significand its three
 * bytes from there; then target_to_diff_verus(bits) = ldexp(0x0f0f0f / significand, 8 · (0x20 −
 * exponent)) = 0x0f0f0f / significand · 256^f. For a power-of-two target that is 481.88232421875 ×
 * the pool difficulty (0x0f0f0f / 0x080000); otherwise the three-byte significand truncates, so the
 * ratio moves in the sixth digit (481.88278 at 200). ccminer prints it with "%g".
 */
import { MAX_TARGET } from "../protocol/index.ts";

/** ccminer 3.8.3's target_to_diff_verus of the compact form of `target`. Target 0: Infinity (C's x / 0). */
export function ccminerDifficulty(target: bigint): number {
  if (target < 0n || target > MAX_TARGET) throw new RangeError("target outside 0 … 2^256 − 1");
  if (target === 0n) return Infinity;
  const bytes = (target.toString(16).length + 1) >> 1; // significant bytes: 32 − f
  const leadingZeroBytes = 32 - bytes;
  // The three bytes from the first non-zero one; bytes past the end of the 32 count as 0.
  const shift = BigInt(8 * (bytes - 3));
  const significand = Number(shift >= 0n ? target >> shift : target << -shift) & 0xffffff;
  return (0x0f0f0f / significand) * 2 ** (8 * leadingZeroBytes);
}

/** C's printf("%g"): 6 significant digits, trailing zeros dropped, exponent form outside 1e-4 … 1e6. */
export function formatG(x: number, precision = 6): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  const [mantissa, exp] = x.toExponential(precision - 1).split("e") as [string, string];
  const e = Number(exp);
  const trim = (s: string) => (s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s);
  if (e < -4 || e >= precision)
    return `${trim(mantissa)}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
  return trim(x.toFixed(precision - 1 - e));
}

/** The figure ccminer 3.8.3 shows for `target`, as it shows it: "96376.6". */
export function formatCcminerDifficulty(target: bigint): string {
  return formatG(ccminerDifficulty(target));
}
