import { describe, expect, test } from "bun:test";
import {
  bytesEqual,
  bytesToHex,
  concatBytes,
  hexToBytes,
  isAllZero,
  isHex,
  readU32LE,
} from "../../src/protocol/hex.ts";
import { codeOf } from "../support/errors.ts";

describe("hex", () => {
  test("round trip, either case in, lowercase out", () => {
    const b = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(hexToBytes(bytesToHex(b))).toEqual(b);
    expect(bytesToHex(hexToBytes("00fFaB"))).toBe("00ffab");
    expect(hexToBytes("")).toEqual(new Uint8Array(0));
  });

  test("strict: odd length, bad digits (never a silent truncation like Buffer), wrong size", () => {
    expect(codeOf(() => hexToBytes("abc"))).toBe("E_BAD_HEX");
    expect(codeOf(() => hexToBytes("c82b016g"))).toBe("E_BAD_HEX");
    expect(codeOf(() => hexToBytes("0x00"))).toBe("E_BAD_HEX");
    expect(codeOf(() => hexToBytes(" 0"))).toBe("E_BAD_HEX");
    expect(codeOf(() => hexToBytes("0ā"))).toBe("E_BAD_HEX");
    expect(codeOf(() => hexToBytes("00", 2))).toBe("E_BAD_HEX");
    expect(hexToBytes("0000", 2)).toEqual(new Uint8Array(2));
  });

  test("isHex", () => {
    expect(["", "00", "aBcD", "0123456789abcdef"].every(isHex)).toBe(true);
    expect(["0", "0g", "Ā0", "0 "].some(isHex)).toBe(false);
  });

  test("little-endian and byte helpers", () => {
    expect(readU32LE(hexToBytes("c82b016b"), 0)).toBe(0x6b012bc8);
    expect(readU32LE(hexToBytes("ffffffff"), 0)).toBe(0xffffffff);
    expect(bytesEqual(hexToBytes("0102"), hexToBytes("0102"))).toBe(true);
    expect(bytesEqual(hexToBytes("0102"), hexToBytes("010203"))).toBe(false);
    expect(isAllZero(new Uint8Array(196))).toBe(true);
    expect(bytesToHex(concatBytes(hexToBytes("01"), new Uint8Array(0), hexToBytes("0203")))).toBe("010203");
  });
});
