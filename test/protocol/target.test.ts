import { describe, expect, test } from "bun:test";
import { hexToBytes } from "../../src/protocol/hex.ts";
import {
  bitcoinStyleDifficulty,
  ccminerDisplayDifficulty,
  compactToTarget,
  DIFF1,
  difficultyToTarget,
  hashToDisplayHex,
  leBytesToBigInt,
  MAX_TARGET,
  meetsTarget,
  networkDifficulty,
  poolShareDifficulty,
  shareDifficulty,
  targetFromHex,
  targetToDifficulty,
  targetToHex,
  targetToLE,
} from "../../src/protocol/target.ts";
import { prng, shareVectors } from "./fixtures.ts";

const hex64 = (prefix: string) => prefix.padEnd(64, "0");

describe("difficulty → target, as the pools compute it (verus-stratum.md §3.4)", () => {
  test.each([
    [1, "0008"],
    [2, "0004"],
    [8192, "0000004"],
    [16384, "0000002"],
    // vardiff values from ccminer383-vs-vnomp-vardiff.control.jsonl
    [160, "00000ccccccccccccd"],
  ])("difficulty %p → %s…", (d, prefix) => {
    expect(targetToHex(difficultyToTarget(d))).toBe(hex64(prefix));
  });

  test("the recorded vardiff targets convert to a difficulty and back exactly", () => {
    for (const prefix of ["0004", "00000ccccccccccccd", "00000170a3d70a3fe9f"]) {
      const t = targetFromHex(hex64(prefix));
      expect(difficultyToTarget(targetToDifficulty(t))).toBe(t);
    }
    expect(targetToDifficulty(targetFromHex(hex64("00000ccccccccccccd")))).toBe(160);
    expect(targetToDifficulty(targetFromHex(hex64("00000170a3d70a3fe9f")))).toBe(1422.22222222);
  });

  test("diff1 is 0x0007ff…ff, and difficulty 1 rounds to 2^243 like the pools' double", () => {
    expect(targetToHex(DIFF1)).toBe("0007" + "f".repeat(60));
    expect(difficultyToTarget(1)).toBe(DIFF1 + 1n);
  });

  test("tiny difficulties saturate at 2^256 − 1", () => {
    expect(difficultyToTarget(0.0000001)).toBe(MAX_TARGET);
    expect(difficultyToTarget(2 ** -13)).toBe(MAX_TARGET); // exactly 2^256
    expect(difficultyToTarget(2 ** -12)).toBe(1n << 255n);
    expect(targetToHex(difficultyToTarget(1e-300))).toBe("f".repeat(64));
  });

  test("huge difficulties floor towards 0", () => {
    expect(difficultyToTarget(2 ** 243)).toBe(1n);
    expect(difficultyToTarget(2 ** 244)).toBe(0n);
  });

  test.each([0, -1, NaN, Infinity, -Infinity])("difficulty %p is E_BAD_DIFFICULTY", (d) => {
    expect(() => difficultyToTarget(d)).toThrow(expect.objectContaining({ code: "E_BAD_DIFFICULTY" }));
  });

  test("round trips over many difficulties stay within one double ulp", () => {
    const rnd = prng(7);
    for (let i = 0; i < 2000; i++) {
      const d = Math.exp(rnd() * 40 - 8); // e^-8 .. e^32: neither saturated nor floored to few bits
      const back = targetToDifficulty(difficultyToTarget(d));
      expect(Math.abs(back - d) / d).toBeLessThan(1e-15);
    }
  });
});

describe("target encodings", () => {
  test("hex ⇄ bigint ⇄ little-endian bytes", () => {
    const rnd = prng(11);
    for (let i = 0; i < 500; i++) {
      let t = 0n;
      for (let j = 0; j < 8; j++) t = (t << 32n) | BigInt(Math.floor(rnd() * 2 ** 32));
      const hex = targetToHex(t);
      expect(hex).toHaveLength(64);
      expect(targetFromHex(hex)).toBe(t);
      expect(targetFromHex(hex.toUpperCase())).toBe(t);
      const le = targetToLE(t);
      expect(hashToDisplayHex(le)).toBe(hex); // LE bytes reversed = big-endian hex
      expect(leBytesToBigInt(le)).toBe(t);
    }
  });

  test("set_target 0004… is target[30] = 0x04 in the native scan's little-endian bytes", () => {
    const le = targetToLE(targetFromHex(hex64("0004")));
    expect(le[30]).toBe(4);
    expect(le.filter((b) => b !== 0)).toHaveLength(1);
  });

  test.each(["", "00", hex64("0004") + "00", "g".repeat(64)])("bad target hex %p is E_BAD_HEX", (h) => {
    expect(() => targetFromHex(h)).toThrow(expect.objectContaining({ code: "E_BAD_HEX" }));
  });

  test("targets outside 256 bits are E_BAD_TARGET", () => {
    expect(() => targetToHex(MAX_TARGET + 1n)).toThrow(expect.objectContaining({ code: "E_BAD_TARGET" }));
    expect(() => targetToLE(-1n)).toThrow(expect.objectContaining({ code: "E_BAD_TARGET" }));
    expect(() => targetToDifficulty(0n)).toThrow(expect.objectContaining({ code: "E_BAD_TARGET" }));
  });
});

describe("share difficulty of a hash", () => {
  test("reproduces poolShareDiff (recorded truncated to 6 decimals) and meetsTarget of the 5 accepted shares", () => {
    for (const v of shareVectors()) {
      const hash = hexToBytes(v.verusHash22_rawLE);
      expect(hashToDisplayHex(hash)).toBe(v.verusHash22_displayBE);
      expect(Math.trunc(shareDifficulty(hash) * 1e6) / 1e6).toBe(v.poolShareDiff);
      expect(meetsTarget(hash, targetFromHex(v.setTarget))).toBe(v.meetsTarget);
    }
  });

  test("v-nomp's share difficulty keeps 12 hex digits of the hash: the two recorded low-difficulty texts", () => {
    // Hashes (memory order) of the two low-difficulty rejects in the transcripts, from the native hash.
    const low = [
      [
        "4e8afa0561581e7cddd57267d51376e7aac9f2ded6db40698a0d9941ba8d6c6e",
        0.00028299997610799595,
        0.00028299997610799584,
      ],
      [
        "81fe68b5716aa37cae2aed49f46fa1cfa1866ecc0b1af9c660fe1a424fd60587",
        0.00023144239111018048,
        0.0002314423911101789,
      ],
    ] as const;
    for (const [hex, pool, exact] of low) {
      expect(poolShareDifficulty(hexToBytes(hex))).toBe(pool);
      expect(shareDifficulty(hexToBytes(hex))).toBe(exact);
    }
    // Small values are converted exactly, as by the pool.
    const small = new Uint8Array(32);
    small[6] = 0x1f; // 0x1f << 48 < 2^53
    expect(poolShareDifficulty(small)).toBe(shareDifficulty(small));
    expect(poolShareDifficulty(new Uint8Array(32))).toBe(Infinity);
  });

  test("hash bytes are little-endian: hash[31] is the most significant", () => {
    const h = new Uint8Array(32);
    h[31] = 0x00;
    h[30] = 0x04;
    const t = targetFromHex(hex64("0004"));
    expect(meetsTarget(h, t)).toBe(true);
    h[0] = 1;
    expect(meetsTarget(h, t)).toBe(false);
    expect(shareDifficulty(new Uint8Array(32))).toBe(Infinity);
    expect(shareDifficulty(new Uint8Array(32).fill(0xff))).toBe(2 ** -13); // the pool rule's "mismatch"
  });
});

describe("display difficulties", () => {
  test("ccminer shows pool diff 2 as 63.999, 8192 as 262140, 16384 as 524280", () => {
    expect(ccminerDisplayDifficulty(difficultyToTarget(2)).toFixed(3)).toBe("63.999");
    expect(ccminerDisplayDifficulty(difficultyToTarget(8192))).toBe(262140);
    expect(ccminerDisplayDifficulty(difficultyToTarget(16384))).toBe(524280);
    expect(ccminerDisplayDifficulty(0n)).toBe(0);
  });

  test("bloxminer's Bitcoin-style difficulty is 1 at 0xffff·2^208", () => {
    expect(bitcoinStyleDifficulty(0xffffn << 208n)).toBe(1);
  });
});

describe("compact nBits", () => {
  test("bits 1b026205 give the getblocktemplate target and ≈ 14 419 362 941", () => {
    expect(targetToHex(compactToTarget(0x1b026205))).toBe(hex64("0000000000026205"));
    expect(Math.round(networkDifficulty(0x1b026205) / 1000)).toBe(14419363);
  });

  test("a sign bit or an over-long target is E_BAD_TARGET", () => {
    expect(() => compactToTarget(0x1b826205)).toThrow(expect.objectContaining({ code: "E_BAD_TARGET" }));
    expect(() => compactToTarget(0x22010000)).toThrow(expect.objectContaining({ code: "E_BAD_TARGET" }));
    expect(compactToTarget(0x03123456)).toBe(0x123456n);
    expect(compactToTarget(0x01123456)).toBe(0x12n);
  });
});
