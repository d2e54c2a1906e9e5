import { describe, expect, test } from "bun:test";
import { Hasher } from "../../src/hash/hasher.ts";
import { availableImpls } from "../../src/hash/impl.ts";
import { EMBEDDED_VECTORS, runSelftest } from "../../src/hash/selftest.ts";
import { shared } from "./shared-vectors.ts";

describe("selftest", () => {
  // If this fails, regenerate: bun scripts/gen-selftest-vectors.ts
  test("the embedded vectors are generated from the current shared ones", () => {
    expect(EMBEDDED_VECTORS).toEqual(shared);
  });

  test.each(availableImpls())("%s passes every embedded check", (impl) => {
    const h = Hasher.open(impl);
    const r = runSelftest(h);
    h.close();
    expect(r.failures).toEqual([]);
    expect(r.failed).toBe(0);
    expect(r.passed).toBeGreaterThan(EMBEDDED_VECTORS.vectors.length);
  });

  test("a wrong expectation is a named failure, and the other checks still run", () => {
    const bad = structuredClone(EMBEDDED_VECTORS);
    const victim = bad.vectors.find((v) => v.raw !== undefined)!;
    victim.raw = "00".repeat(32);
    bad.mining.steps[5]!.hash = "11".repeat(32);
    const h = Hasher.open("portable");
    const good = runSelftest(h);
    const r = runSelftest(h, bad);
    h.close();
    expect(r.failed).toBe(3); // the raw vector, and step 5 by jobHash and by plain hash
    expect(r.passed).toBe(good.passed - 3);
    expect(r.failures.some((f) => f.startsWith(`${victim.id} raw`))).toBe(true);
  });
});
