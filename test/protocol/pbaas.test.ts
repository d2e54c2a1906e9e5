import { describe, expect, test } from "bun:test";
import { bytesToHex, hexToBytes } from "../../src/protocol/hex.ts";
import {
  assembleInput,
  clearedCopy,
  firstPreHeaderHashOf,
  poolRuleChecks,
  poolRuleOutcome,
  preHeaderOf,
} from "../../src/protocol/pbaas.ts";
import {
  HASH_INPUT_BYTES,
  minerRuleClears,
  pbaasHeaderCountOf,
  solutionVersionOf,
} from "../../src/protocol/layout.ts";
import { blake2b256 } from "./blake2b.ts";
import { pbaasVectors, rawclientTemplate, shareVectors, testPreHeaderHash } from "./fixtures.ts";

const shares = shareVectors();
const minerBuilt = (i: number) =>
  hexToBytes(shares[i]!.header140Hex_asMinerBuiltIt + shares[i]!.submitParams[4]);

describe("the test BLAKE2b (personalised) itself", () => {
  test("matches Python's hashlib.blake2b(digest_size=32, person=b'VerusDefaultHash')", () => {
    const person = new TextEncoder().encode("VerusDefaultHash");
    expect(bytesToHex(blake2b256(new TextEncoder().encode("abc"), person))).toBe(
      "1afb51fc986ddb007ed78fd2ebd0977dd65714c41174981739a88c16f30fd4eb",
    );
    expect(
      bytesToHex(
        blake2b256(
          Uint8Array.from({ length: 196 }, (_, i) => i),
          person,
        ),
      ),
    ).toBe("3d1f530ff2849a1ef8e87cf8a714eeb484261c7bf87248bb0512b0e2568e8ff0");
  });
});

describe("rules and layout (verushash.md §1, §3)", () => {
  test("solution version and header count of the recorded shares", () => {
    expect(
      shares.map((_, i) => [solutionVersionOf(minerBuilt(i)), pbaasHeaderCountOf(minerBuilt(i))]),
    ).toEqual([
      [7, 1],
      [7, 1],
      [7, 1],
      [4, 0],
      [6, 246], // ccminer 3.7.1 fills the solution with garbage; v6 never clears
    ]);
    expect(shares.map((_, i) => minerRuleClears(minerBuilt(i)))).toEqual(shares.map((s) => s.pbaasCleared));
    expect(shares.map((_, i) => poolRuleChecks(minerBuilt(i)))).toEqual(shares.map((s) => s.pbaasCleared));
  });

  test("clearing the miner-built bytes gives exactly the bytes the pool hashed", () => {
    shares.forEach((s, i) => {
      const input = minerBuilt(i);
      expect(input.length).toBe(HASH_INPUT_BYTES);
      expect(bytesToHex(s.pbaasCleared ? clearedCopy(input) : input)).toBe(s.hashInput1487Hex);
    });
  });

  test("clearing is a copy, and idempotent", () => {
    const input = minerBuilt(0);
    const before = bytesToHex(input);
    const once = clearedCopy(input);
    expect(bytesToHex(input)).toBe(before);
    expect(clearedCopy(once)).toEqual(once);
  });

  test("the pre-header with the daemon's nonce hashes to the template's hashPreHeader (pool rule)", () => {
    const nonce = hexToBytes(rawclientTemplate().nonce).reverse(); // display order → header order
    for (const i of [0, 1]) {
      const input = minerBuilt(i);
      input.set(nonce, 108);
      const pre = preHeaderOf(input);
      expect(pre.subarray(96, 128)).toEqual(nonce); // nNonce before nBits
      expect(pre.subarray(128, 132)).toEqual(input.subarray(104, 108));
      expect(testPreHeaderHash(input)).toEqual(firstPreHeaderHashOf(input));
      expect(poolRuleOutcome(input, testPreHeaderHash)).toBe("clear");
      // The miner's own nonce (xn1 ‖ xn2) is a mismatch: why a bridge uses the miner rule.
      expect(poolRuleOutcome(minerBuilt(i), testPreHeaderHash)).toBe("mismatch");
      // Already cleared bytes have an all-zero pre-header and are hashed as they are.
      expect(
        poolRuleOutcome(clearedCopy(input), () => {
          throw new Error("not called");
        }),
      ).toBe("already-cleared");
    }
  });

  test("vectors/verushash.json: real v7/v8 blocks and the synthetic PBaaS cases", () => {
    const vs = pbaasVectors();
    expect(vs.map((v) => v.id).sort()).toEqual([
      "chain-2549501",
      "chain-4141500",
      "pbaas-mismatch",
      "pbaas-precleared",
      "pbaas-valid-0",
      "pbaas-valid-1",
      "pbaas-valid-2",
    ]);
    for (const v of vs) {
      const input = hexToBytes(v.input_hex);
      expect(minerRuleClears(input)).toBe(true);
      if (v.canonical_input_hex) expect(bytesToHex(clearedCopy(input))).toBe(v.canonical_input_hex);
      const outcome = poolRuleOutcome(input, testPreHeaderHash);
      if (v.id === "pbaas-mismatch") expect(outcome).toBe("mismatch");
      else if (v.id === "pbaas-precleared") expect(outcome).toBe("already-cleared");
      else expect(outcome).toBe("clear");
      expect(v.pool_hash2b2_hex === "f".repeat(64)).toBe(outcome === "mismatch");
    }
  });

  test("assembleInput puts fd4005 between header and solution; wrong sizes are programmer errors", () => {
    const input = assembleInput(new Uint8Array(140).fill(1), new Uint8Array(1344).fill(2));
    expect(bytesToHex(input.subarray(139, 144))).toBe("01fd400502");
    expect(() => assembleInput(new Uint8Array(139), new Uint8Array(1344))).toThrow(RangeError);
    expect(() => assembleInput(new Uint8Array(140), new Uint8Array(1343))).toThrow(RangeError);
    expect(() => preHeaderOf(new Uint8Array(1486))).toThrow(RangeError);
  });
});
