import { describe, expect, test } from "bun:test";
import { availableImpls, bestImpl } from "../../src/hash/impl.ts";
import { cli, oneLine } from "./run-cli.ts";

describe("vbridge selftest", () => {
  test("checks every available implementation, one ok line each, exit 0", async () => {
    const r = await cli(["selftest"]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines.map((l) => l.split(/\s+/)[0])).toEqual(availableImpls());
    for (const l of lines) expect(l).toMatch(/ ok +\d+ passed, 0 failed$/);
  });

  test("--impl auto checks the best implementation only", async () => {
    const r = await cli(["selftest", "--impl", "auto"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^${bestImpl()} +ok`));
    expect(r.stdout.trimEnd().split("\n")).toHaveLength(1);
  });

  test("an unknown implementation: exit 2, one line", async () => {
    const r = await cli(["selftest", "--impl", "fast"]);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toContain('unknown implementation "fast"');
  });
});
