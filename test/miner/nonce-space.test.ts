// The nonce-space layout: tail = xn1 ‖ worker ‖ round ‖ counter, extranonce2 = zeros; no two
// (worker, round, counter) give the same tail; an extranonce1 too long to fit is a coded error.

import { describe, expect, test } from "bun:test";
import { NONCE_TAIL_BYTES } from "../../src/hash/index.ts";
import {
  fillTail,
  MAX_EXTRANONCE1_BYTES,
  nonceLayout,
  roundBytesFor,
  tailFor,
} from "../../src/miner/nonce-space.ts";
import { bytesToHex, hexToBytes } from "../../src/protocol/index.ts";
import { codeOf } from "../support/errors.ts";

const XN1 = hexToBytes("1ffffff9");

describe("nonce layout", () => {
  test("a 4-byte extranonce1 (v-nomp): 6 round bytes, 28 zero bytes of extranonce2", () => {
    const l = nonceLayout(XN1);
    expect(l.roundBytes).toBe(6);
    expect(l.rounds).toBe(2 ** 48);
    expect(bytesToHex(l.extranonce2)).toBe("00".repeat(28));
    expect(bytesToHex(l.extranonce1)).toBe("1ffffff9");
  });

  test("tail bytes: xn1, worker, round little-endian, counter little-endian at [11..14]", () => {
    expect(bytesToHex(tailFor(XN1, 0, 0, 0))).toBe("1ffffff9" + "00" + "000000000000" + "00000000");
    expect(bytesToHex(tailFor(XN1, 3, 0x0201, 0x58bf))).toBe("1ffffff9" + "03" + "010200000000" + "bf580000");
    expect(bytesToHex(tailFor(XN1, 255, 2 ** 40, 0xffffffff))).toBe(
      "1ffffff9" + "ff" + "000000000001" + "ffffffff",
    );
  });

  test("no two workers, rounds or counters share a tail, and every tail starts with extranonce1", () => {
    const seen = new Set<string>();
    let n = 0;
    for (const worker of [0, 1, 2, 255])
      for (const round of [0, 1, 2, 256, 2 ** 32])
        for (const counter of [0, 1, 0xff, 0x100, 0xffffffff]) {
          const t = tailFor(XN1, worker, round, counter);
          expect(t.length).toBe(NONCE_TAIL_BYTES);
          expect(bytesToHex(t.subarray(0, 4))).toBe("1ffffff9");
          seen.add(bytesToHex(t));
          n++;
        }
    expect(seen.size).toBe(n);
  });

  test("extranonce1 length: up to 9 bytes fit (one round byte left); 10 is E_MINER_XN1_TOO_LONG", () => {
    expect(MAX_EXTRANONCE1_BYTES).toBe(9);
    expect(roundBytesFor(1)).toBe(9);
    expect(roundBytesFor(9)).toBe(1);
    const nine = hexToBytes("aabbccddeeff001122");
    expect(nonceLayout(nine).extranonce2).toHaveLength(23);
    expect(bytesToHex(tailFor(nine, 1, 7, 9))).toBe("aabbccddeeff001122" + "01" + "07" + "09000000");
    expect(codeOf(() => nonceLayout(new Uint8Array(10)))).toBe("E_MINER_XN1_TOO_LONG");
    expect(codeOf(() => tailFor(new Uint8Array(11), 0, 0, 0))).toBe("E_MINER_XN1_TOO_LONG");
  });

  test("rounds wrap where the round bytes end (256 rounds of 2^32 with a 9-byte extranonce1)", () => {
    const nine = new Uint8Array(9).fill(1);
    expect(nonceLayout(nine).rounds).toBe(256);
    expect(tailFor(nine, 0, 256, 5)).toEqual(tailFor(nine, 0, 0, 5));
    expect(tailFor(nine, 0, 255, 5)).not.toEqual(tailFor(nine, 0, 0, 5));
  });

  test("fillTail rewrites everything but leaves the counter to the scan", () => {
    const tail = new Uint8Array(NONCE_TAIL_BYTES).fill(0xee);
    fillTail(tail, XN1, 1, 1);
    expect(bytesToHex(tail)).toBe("1ffffff9" + "01" + "010000000000" + "00000000");
    expect(() => fillTail(tail, XN1, 256, 0)).toThrow(RangeError);
    expect(() => fillTail(tail, XN1, 0, -1)).toThrow(RangeError);
    expect(() => fillTail(new Uint8Array(14), XN1, 0, 0)).toThrow(RangeError);
  });
});
