/** Behaviour only: the benchmark runs (worker threads included) and prints the promised shape. */
import { describe, expect, test } from "bun:test";
import { availableImpls } from "../../src/hash/impl.ts";
import { cli, oneLine } from "./run-cli.ts";

describe("vbridge bench", () => {
  test("--json --threads 2: one object per implementation with the documented fields", async () => {
    const r = await cli(["bench", "--impl", "portable", "--threads", "2", "--seconds", "0.1", "--json"]);
    expect(r.code).toBe(0);
    const all = r.stdout
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    // Then one share-path line per transport (issue 9's numbers).
    const lines = all.filter((l) => !("bench" in l));
    expect(all.filter((l) => "bench" in l)).toEqual([
      { bench: "share-path", transport: "ws-msgpack", verdicts_per_s: expect.any(Number) },
      { bench: "share-path", transport: "stratum", verdicts_per_s: expect.any(Number) },
    ]);
    expect(all.filter((l) => "bench" in l).every((l) => l.verdicts_per_s > 0)).toBe(true);
    expect(lines).toHaveLength(1);
    expect(Object.keys(lines[0]).sort()).toEqual(["impl", "mhs", "threads", "verdicts_per_s"]);
    expect(lines[0]).toMatchObject({ impl: "portable", threads: 2 });
    expect(lines[0].mhs).toBeGreaterThan(0);
    expect(lines[0].verdicts_per_s).toBeGreaterThan(0);
  });

  test("default thread counts are 1 and one per core, for every implementation", async () => {
    const r = await cli(["bench", "--seconds", "0.05", "--json"]);
    expect(r.code).toBe(0);
    const seen = r.stdout
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as { impl: string; threads: number })
      .filter((l) => l.impl !== undefined);
    expect([...new Set(seen.map((l) => l.impl))]).toEqual(availableImpls());
    expect(seen.filter((l) => l.threads === 1)).toHaveLength(availableImpls().length);
  });

  test.each([
    [["--threads", "0"], /--threads must be a whole number/],
    [["--seconds", "soon"], /--seconds must be a number of seconds/],
    [["--impl", "gpu"], /unknown implementation "gpu"/],
  ])("bad options %p: exit 2, one line", async (args, message) => {
    const r = await cli(["bench", ...args]);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toMatch(message);
  });
});
