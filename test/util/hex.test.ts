import { describe, expect, test } from "bun:test";
import { hexToBytes, HexError, bytesToHex } from "../../src/util/hex.ts";

describe("hex", () => {
  test("round-trips either case and prints lowercase", () => {
    expect(bytesToHex(hexToBytes("00ffA0bC"))).toBe("00ffa0bc");
    expect(hexToBytes("")).toEqual(new Uint8Array(0));
  });

  test("odd length is E_HEX_ODD", () => {
    expect(() => hexToBytes("abc")).toThrow(expect.objectContaining({ code: "E_HEX_ODD" }));
  });

  test("a non-hex character is E_HEX_CHAR, naming its position", () => {
    const err = (() => {
      try {
        hexToBytes("00zz");
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(HexError);
    expect(err).toMatchObject({ code: "E_HEX_CHAR" });
    expect((err as Error).message).toContain("character 3");
  });

  test("whitespace and 0x prefixes are not hex", () => {
    expect(() => hexToBytes("0x00")).toThrow(expect.objectContaining({ code: "E_HEX_CHAR" }));
    expect(() => hexToBytes("00 11")).toThrow(expect.objectContaining({ code: "E_HEX_CHAR" }));
  });

  test("bytesToHex respects views into larger buffers", () => {
    const all = Uint8Array.from([1, 2, 3, 4]);
    expect(bytesToHex(all.subarray(1, 3))).toBe("0203");
  });
});
