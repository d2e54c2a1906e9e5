// verusd-rpc-util.ts — two small helpers of the verusd simulator's RPC answers (test/support/verusd.ts):
// base58check decoding for validateaddress, and the network difficulty as pools print it.

import { createHash } from "node:crypto";
import { bytesEqual } from "../../src/util/hex.ts";

const B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/** Base58check payload (version byte ‖ data), or null if not base58 or the checksum is wrong. */
export function b58checkDecode(s: string): Uint8Array | null {
  if (s.length === 0 || s.length > 120) return null;
  let n = 0n;
  for (const c of s) {
    const d = B58.indexOf(c);
    if (d < 0) return null;
    n = n * 58n + BigInt(d);
  }
  const hex = n === 0n ? "" : n.toString(16);
  const body = Buffer.from(hex.padStart(hex.length + (hex.length % 2), "0"), "hex");
  let zeros = 0;
  while (zeros < s.length && s[zeros] === "1") zeros++;
  const all = new Uint8Array(zeros + body.length);
  all.set(body, zeros);
  if (all.length < 5) return null;
  const payload = all.subarray(0, all.length - 4);
  const sum = createHash("sha256").update(createHash("sha256").update(payload).digest()).digest();
  return bytesEqual(new Uint8Array(sum.subarray(0, 4)), all.subarray(all.length - 4))
    ? payload.slice()
    : null;
}

/** diff1 / target, diff1 = 0x0007ff…ff (verus-stratum.md §6), rounded to 3 decimals. */
export function diff1Difficulty(target: bigint): number {
  const diff1 = (1n << 243n) - 1n;
  if (target <= 0n) return 0;
  return Math.round((Number(diff1) / Number(target)) * 1000) / 1000;
}
