// config.test.ts — bridge.workers as the configuration reads it: a count 1..256 or "auto", from the
// file or --workers; anything else stops `vbridge bridge` with one line naming it, exit 2.

import { afterAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../../src/config/index.ts";
import { childEnv, ROOT, tempDir } from "../e2e/stack.ts";

const dir = tempDir();
afterAll(() => dir.remove());

function file(name: string, workers: string): string {
  const p = join(dir.path, name);
  writeFileSync(p, `[bridge]\nworkers = ${workers}\nledger = ""\n`);
  return p;
}

async function bridge(args: string[]): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const proc = Bun.spawn([process.execPath, "src/main.ts", "bridge", ...args], {
    cwd: ROOT,
    env: childEnv(),
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), 20_000);
  const [stdout, stderr] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ]);
  await proc.exited;
  clearTimeout(timer);
  return { code: proc.exitCode, stderr, stdout };
}

describe("bridge.workers", () => {
  test("a count or auto; 1 by default", () => {
    expect(loadConfig({ file: null, env: {} }).bridge.workers).toBe(1);
    expect(loadConfig({ file: file("three.toml", "3"), env: {} }).bridge.workers).toBe(3);
    expect(loadConfig({ file: file("auto.toml", '"auto"'), env: {} }).bridge.workers).toBe("auto");
    expect(
      loadConfig({ file: null, env: {}, flags: [{ key: "bridge.workers", value: "4", flag: "--workers" }] })
        .bridge.workers,
    ).toBe(4);
  });

  for (const [what, args] of [
    ["workers = 0", () => ["--config", file("zero.toml", "0")]],
    ['workers = "lots"', () => ["--config", file("lots.toml", '"lots"')]],
    ["workers = 257", () => ["--config", file("many.toml", "257")]],
    ["workers = 1.5", () => ["--config", file("half.toml", "1.5")]],
    ["--workers 0", () => ["--config", file("ok.toml", "1"), "--workers", "0"]],
  ] as const)
    test(`${what}: one line naming bridge.workers, exit 2`, async () => {
      const r = await bridge(args());
      expect({ code: r.code, lines: r.stderr.trim().split("\n").length, stdout: r.stdout }).toEqual({
        code: 2,
        lines: 1,
        stdout: "",
      });
      expect(r.stderr).toContain('bridge.workers must be a whole number from 1 to 256 or "auto"');
    }, 30_000);
});
