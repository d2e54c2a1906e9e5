import { describe, expect, test } from "bun:test";
import { availableImpls, bestImpl, IMPL_NAMES, parseImpl, resolveImpl } from "../../src/hash/impl.ts";

describe("implementations", () => {
  test("names are the config values of spec §8, in VH_IMPL_* order", () => {
    expect([...IMPL_NAMES]).toEqual(["portable", "aesni", "armv8"]);
  });

  test("portable runs everywhere; the best one is available", () => {
    expect(availableImpls()).toContain("portable");
    expect(availableImpls()).toContain(bestImpl());
  });

  test("x86-64 and arm64 hosts have their own fast path compiled in, never the other's", () => {
    if (process.arch === "x64") expect(availableImpls()).not.toContain("armv8");
    if (process.arch === "arm64") expect(availableImpls()).not.toContain("aesni");
  });

  test("auto resolves to the best one", () => {
    expect(resolveImpl("auto")).toBe(bestImpl());
  });

  test("parseImpl accepts the names and auto, and nothing else", () => {
    for (const n of ["auto", ...IMPL_NAMES]) expect(parseImpl(n)).toBe(n as never);
    for (const bad of ["", "AESNI", "aes", "native"]) {
      expect(() => parseImpl(bad)).toThrow(expect.objectContaining({ code: "E_IMPL_UNKNOWN" }));
    }
  });
});
