/**
 * The loader's failure modes, each in a fresh process (the library is loaded once per process):
 * one actionable line on stderr, never a stack trace.
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ABI_VERSION } from "../../src/hash/abi.ts";

const ROOT = join(import.meta.dir, "../..");

function selftestWith(lib: string) {
  const p = Bun.spawnSync([process.execPath, "src/main.ts", "selftest"], {
    cwd: ROOT,
    env: { ...process.env, VBRIDGE_NATIVE_LIB: lib },
  });
  return { code: p.exitCode, stderr: p.stderr.toString(), stdout: p.stdout.toString() };
}

describe("native library loader", () => {
  // ABI 1: the previous release, without vh_ctx_set_lanes; ABI 3: a future one with every symbol.
  test.each([1, 3])("a library with ABI version %d is refused, saying which and what to do", (abi) => {
    const dir = mkdtempSync(join(tmpdir(), "vbridge-abi-"));
    const lib = join(dir, `libabi${abi}.so`);
    const cc = Bun.spawnSync([
      "gcc",
      "-shared",
      "-fPIC",
      "-fvisibility=hidden",
      `-DABI=${abi}`,
      "-o",
      lib,
      join(import.meta.dir, "fixtures/abi-other.c"),
    ]);
    expect(cc.exitCode).toBe(0);
    const r = selftestWith(lib);
    rmSync(dir, { recursive: true });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain(`ABI version ${abi}`);
    expect(r.stderr).toContain(`needs ${ABI_VERSION}`);
    expect(r.stderr).toContain("VBRIDGE_NATIVE_LIB");
  });

  test("a library that cannot be opened names the path and the fix", () => {
    const r = selftestWith("/nonexistent/libverushash.so");
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("cannot load /nonexistent/libverushash.so");
    expect(r.stderr).toContain("VBRIDGE_NATIVE_LIB");
  });
});
