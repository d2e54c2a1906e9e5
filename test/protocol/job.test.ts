import { describe, expect, test } from "bun:test";
import { bytesToHex, hexToBytes } from "../../src/protocol/hex.ts";
import { Job, nonceOf } from "../../src/protocol/job.ts";
import { decodeNotify } from "../../src/protocol/notify.ts";
import { compactToTarget, targetFromHex } from "../../src/protocol/target.ts";
import { shareVectors } from "./fixtures.ts";

const shares = shareVectors();
const jobOf = (i: number) => new Job(decodeNotify(null, shares[i]!.notifyParams));

describe("Job from a notify (verus-stratum.md §4)", () => {
  test("facts of the recorded jobs", () => {
    const j = jobOf(0);
    expect(j.id).toBe("cccd");
    expect(j.nTime).toBe(0x6b012bc8);
    expect(j.nBits).toBe(0x1b026205);
    expect(j.solutionVersion).toBe(7);
    expect(j.solutionVersionHex).toBe("07000000");
    expect(j.pbaasHeaderCount).toBe(1);
    expect(j.pbaasCleared).toBe(true);
    expect(j.blockTarget).toBe(compactToTarget(0x1b026205));
    expect(j.daemonNonce).toBeNull();
    expect(shares.map((_, i) => jobOf(i).pbaasCleared)).toEqual(shares.map((s) => s.pbaasCleared));
  });

  test('trimmed templates ("04", "06") are zero-padded to 1344 bytes', () => {
    const j = jobOf(3);
    expect(j.solutionVersionHex).toBe("04000000");
    const t = j.template();
    expect(t.length).toBe(1344);
    expect(t[0]).toBe(4);
    expect(t.subarray(1).every((b) => b === 0)).toBe(true);
    t[0] = 9; // a copy
    expect(j.template()[0]).toBe(4);
    expect(jobOf(4).solutionVersionHex).toBe("06000000");
  });

  test("the header the miner built: version ‖ prev ‖ merkle ‖ sapling ‖ nTime ‖ nBits ‖ xn1 ‖ xn2", () => {
    shares.forEach((s, i) => {
      const nonce = nonceOf(hexToBytes(s.extranonce1), hexToBytes(s.submitParams[3]!));
      expect(bytesToHex(jobOf(i).header(nonce))).toBe(s.header140Hex_asMinerBuiltIt);
    });
  });

  test("hash input and submit from (xn1, xn2, tail) reproduce the recorded shares", () => {
    // Share 4 (ccminer 3.7.1) filled the whole solution with garbage: not template + tail.
    for (const i of [0, 1, 2, 3]) {
      const s = shares[i]!;
      const job = jobOf(i);
      const xn1 = hexToBytes(s.extranonce1);
      const xn2 = hexToBytes(s.submitParams[3]!);
      const tail = hexToBytes(s.submitParams[4]!.slice(-30));
      expect(bytesToHex(job.hashInput(xn1, xn2, tail))).toBe(
        s.header140Hex_asMinerBuiltIt + s.submitParams[4],
      );
      expect(job.submitParams(s.submitParams[0]!, xn2, tail)).toEqual({
        worker: s.submitParams[0]!,
        jobId: s.submitParams[1]!,
        nTime: s.submitParams[2]!,
        extranonce2: s.submitParams[3]!,
        solution: s.submitParams[4]!,
      });
    }
  });

  test("a ccminer 3.8.3 tail starts with extranonce1 (verus-stratum.md §4.1)", () => {
    expect(shares[2]!.submitParams[4]!.slice(-30)).toBe(
      "1ffffff9000000" + shares[2]!.submitParams[4]!.slice(-16),
    );
  });

  test("options: the daemon nonce (copied) and a block target", () => {
    const nonce = new Uint8Array(32).fill(7);
    const j = new Job(decodeNotify(null, shares[0]!.notifyParams), {
      daemonNonce: nonce,
      blockTarget: targetFromHex("f".repeat(64)),
    });
    nonce[0] = 0;
    expect(j.daemonNonce![0]).toBe(7);
    expect(j.blockTarget).toBe((1n << 256n) - 1n);
    expect(
      () => new Job(decodeNotify(null, shares[0]!.notifyParams), { daemonNonce: new Uint8Array(31) }),
    ).toThrow(RangeError);
  });

  test("wrong byte sizes are programmer errors", () => {
    const j = jobOf(0);
    expect(() => j.header(new Uint8Array(31))).toThrow(RangeError);
    expect(() => j.solution(new Uint8Array(14))).toThrow(RangeError);
    expect(() => nonceOf(new Uint8Array(4), new Uint8Array(27))).toThrow(RangeError);
    expect(() => j.hashInput(new Uint8Array(4), new Uint8Array(28), new Uint8Array(16))).toThrow(RangeError);
  });
});
