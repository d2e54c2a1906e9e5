/**
 * Behaviour only: the benchmark runs (worker threads included) and prints the promised shape. The
 * 30 s caps only bound a loaded machine: each run is a fixed number of short measurements.
 */
import { describe, expect, test } from "bun:test";
import { Hasher } from "../../src/hash/hasher.ts";
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
    expect(Object.keys(lines[0]).sort()).toEqual(["impl", "lanes", "mhs", "threads", "verdicts_per_s"]);
    expect(lines[0]).toMatchObject({ impl: "portable", threads: 2 });
    const portable = Hasher.open("portable"); // lanes 0 by default: the fastest, resolved
    expect(lines[0].lanes).toBe(portable.lanes);
    portable.close();
    expect(lines[0].mhs).toBeGreaterThan(0);
    expect(lines[0].verdicts_per_s).toBeGreaterThan(0);
  }, 30_000);

  test("--lanes 1 --threads 1 --json: every scan line says lanes 1, the count in effect", async () => {
    const r = await cli(["bench", "--lanes", "1", "--seconds", "0.2", "--json", "--threads", "1"]);
    expect(r.code).toBe(0);
    const scans = r.stdout
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l))
      .filter((l) => !("bench" in l));
    expect(scans.map((l) => [l.impl, l.lanes, l.threads])).toEqual(availableImpls().map((i) => [i, 1, 1]));
  }, 30_000);

  test("the table has a lanes column", async () => {
    const r = await cli([
      "bench",
      "--impl",
      "portable",
      "--lanes",
      "3",
      "--threads",
      "1",
      "--seconds",
      "0.05",
    ]);
    expect(r.code).toBe(0);
    const [head, line] = r.stdout.split("\n");
    expect(head!.split(/\s+/).slice(0, 3)).toEqual(["impl", "lanes", "threads"]);
    expect(line!.split(/\s+/).slice(0, 3)).toEqual(["portable", "3", "1"]);
  }, 30_000);

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
  }, 30_000);

  test.each([
    [["--threads", "0"], /--threads must be a whole number/],
    [["--seconds", "soon"], /--seconds must be a number of seconds/],
    [["--impl", "gpu"], /unknown implementation "gpu"/],
    [["--lanes", "5"], /--lanes must be a whole number from 0 to 4 \(got "5"\)/],
    [["--lanes", "-1"], /--lanes must be a whole number from 0 to 4/],
    [["--lanes", "two"], /--lanes must be a whole number from 0 to 4/],
  ])("bad options %p: exit 2, one line", async (args, message) => {
    const r = await cli(["bench", ...args]);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toMatch(message);
  });
});
