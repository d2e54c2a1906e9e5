// The fd budget: the limits read through FFI agree with the kernel's /proc view, the raise works
// in a child started under a low limit (also as a compiled binary), and the budget arithmetic
// keeps the servers below the soft limit.

import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  connectionBudget,
  LOW_SOFT_LIMIT,
  openFds,
  parseProcLimits,
  raiseFdLimit,
  readFdLimits,
  type FdLimits,
} from "../../src/net/fd-limit.ts";

const MODULE = resolve(import.meta.dir, "../../src/net/fd-limit.ts");

/** A child that lowers its own soft limit to 512 through libc (Bun raised it at startup), raises it back. */
const CHILD = `
import { dlopen, FFIType } from "bun:ffi";
import { readFileSync } from "node:fs";
import { raiseFdLimit, readFdLimits } from ${JSON.stringify(MODULE)};
const { symbols } = dlopen("libc.so.6", { setrlimit: { args: [FFIType.i32, FFIType.ptr], returns: FFIType.i32 } });
const atStart = readFdLimits();
const lowered = symbols.setrlimit(7, new BigUint64Array([512n, BigInt(atStart.hard)]));
const low = readFdLimits();
const procLow = readFileSync("/proc/self/limits", "utf8");
const raised = raiseFdLimit();
const proc = readFileSync("/proc/self/limits", "utf8");
console.log(JSON.stringify({ atStart, lowered, low, procLow, raised, proc }));
`;

interface ChildReport {
  atStart: FdLimits;
  lowered: number;
  low: FdLimits;
  procLow: string;
  raised: FdLimits;
  proc: string;
}

function checkChild(r: ChildReport): void {
  expect(r.atStart).toEqual({ soft: 1024, hard: 1024 }); // Bun raised 512 → 1024 on its own
  expect(r.lowered).toBe(0);
  expect(r.low).toEqual({ soft: 512, hard: 1024 });
  expect(parseProcLimits(r.procLow)).toEqual(r.low);
  expect(r.raised).toEqual({ soft: 1024, hard: 1024 });
  expect(parseProcLimits(r.proc)).toEqual({ soft: 1024, hard: 1024 }); // the kernel agrees
}

function run(cmd: string[], cwd?: string): string {
  const p = Bun.spawnSync(cmd, { cwd, stdout: "pipe", stderr: "pipe", timeout: 30_000 });
  if (p.exitCode !== 0) throw new Error(`${cmd.join(" ")}: exit ${p.exitCode}: ${p.stderr.toString()}`);
  return p.stdout.toString();
}

describe("reading and raising RLIMIT_NOFILE", () => {
  test("readFdLimits agrees with /proc/self/limits", () => {
    const fromProc = parseProcLimits(readFileSync("/proc/self/limits", "utf8"));
    expect(fromProc).not.toBeNull();
    expect(readFdLimits()).toEqual(fromProc!);
  });

  test("raiseFdLimit in this process: soft equals hard afterwards", () => {
    const after = raiseFdLimit();
    expect(Object.keys(after).sort()).toEqual(["hard", "soft"]);
    expect(typeof after.soft).toBe("number");
    // An unlimited hard limit cannot be the soft one: the kernel's fs.nr_open is the most then.
    const nrOpen = Number(readFileSync("/proc/sys/fs/nr_open", "utf8"));
    expect(after.soft).toBe(Number.isFinite(after.hard) ? after.hard : nrOpen);
    expect(readFdLimits()).toEqual(after);
  });

  test("a child under prlimit 512:1024 raises a lowered soft limit back to 1024", () => {
    const out = run(["prlimit", "--nofile=512:1024", process.execPath, "-e", CHILD]);
    checkChild(JSON.parse(out) as ChildReport);
  });

  test("the same from a `bun build --compile` binary", () => {
    const dir = mkdtempSync(join(tmpdir(), "vbridge-fd-"));
    try {
      const entry = join(dir, "child.ts");
      writeFileSync(entry, CHILD);
      const exe = join(dir, "child");
      run([process.execPath, "build", "--compile", entry, "--outfile", exe]);
      checkChild(JSON.parse(run(["prlimit", "--nofile=512:1024", exe])) as ChildReport);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("parseProcLimits: numbers, unlimited, garbage", () => {
    const line = (s: string, h: string) =>
      `Limit                     Soft Limit           Hard Limit           Units\n` +
      `Max open files            ${s}                 ${h}                 files\n`;
    expect(parseProcLimits(line("1024", "4096"))).toEqual({ soft: 1024, hard: 4096 });
    expect(parseProcLimits(line("unlimited", "unlimited"))).toEqual({ soft: Infinity, hard: Infinity });
    expect(parseProcLimits(line("x", "1"))).toBeNull();
    expect(parseProcLimits("")).toBeNull();
  });

  test("openFds counts at least stdin, stdout, stderr and more", () => {
    expect(openFds()).toBeGreaterThan(3);
  });
});

describe("connectionBudget", () => {
  const lim = (soft: number, hard = soft): FdLimits => ({ soft, hard });

  test("20000 configured under a soft limit of 1024: lowered, with a warning that says how to fix it", () => {
    const b = connectionBudget(20_000, lim(1024), 10);
    expect(b.reserve).toBe(10 + 64);
    expect(b.maxConnections).toBe(1024 - 74);
    expect(b.warnings).toHaveLength(2); // lowered, and low
    expect(b.warnings[0]).toContain("20000");
    expect(b.warnings[0]).toContain(String(1024 - 74));
    expect(b.warnings[0]).toContain("LimitNOFILE");
    expect(b.warnings.every((w) => !w.includes("\n"))).toBe(true);
  });

  test("20000 configured with the default soft limit 20000: a sixteenth is kept back", () => {
    const b = connectionBudget(20_000, lim(20_000), 12);
    expect(b.reserve).toBe(12 + 1250);
    expect(b.maxConnections).toBe(20_000 - 1262);
    expect(b.warnings).toHaveLength(1);
  });

  test("500 configured with soft 65536: unchanged, no warning", () => {
    const b = connectionBudget(500, lim(65_536), 20);
    expect(b).toEqual({ maxConnections: 500, reserve: 20 + 4096, warnings: [] });
  });

  test("unknown open count: 32 assumed", () => {
    expect(connectionBudget(500, lim(65_536), null).reserve).toBe(32 + 4096);
  });

  test("an unlimited soft limit keeps the configured cap", () => {
    const b = connectionBudget(1_000_000, lim(Infinity), 9);
    expect(b).toEqual({ maxConnections: 1_000_000, reserve: 9 + 64, warnings: [] });
  });

  test("tiny soft limits never give less than 1, and warn", () => {
    for (const soft of [0, 1, 16, 64, 94, 95]) {
      const b = connectionBudget(64, lim(soft), 30);
      expect(b.maxConnections).toBe(1);
      expect(b.warnings.length).toBe(2);
    }
  });

  test("a soft limit just under 4096 that still fits the cap only warns that it is low", () => {
    const b = connectionBudget(100, lim(LOW_SOFT_LIMIT - 1), 10);
    expect(b.maxConnections).toBe(100);
    expect(b.warnings).toHaveLength(1);
    expect(b.warnings[0]).toContain("low");
  });
});
