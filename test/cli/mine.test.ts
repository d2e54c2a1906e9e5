// `vbridge mine` as a user runs it: bad settings are one line and exit 2; a run against the
// built-in pool (in this process) ends at --duration with the JSON summary alone on stdout; SIGINT
// and SIGTERM stop it cleanly with exit 0.

import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MinerSummary } from "../../src/miner/index.ts";
import { startPool } from "../miner/helpers.ts";
import { cli, oneLine, ROOT } from "./run-cli.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const POOL = ["--pool", "stratum+tcp://127.0.0.1:3956", "--user", "RAddr.w"];

describe("vbridge mine: usage errors", () => {
  test.each([
    [
      ["--impl", "nope", ...POOL],
      /--impl: impl must be one of "auto", "portable", "aesni", "armv8" \(got "nope"\)/,
    ],
    [["--lanes", "9", ...POOL], /^vbridge: --lanes: lanes must be a whole number from 0 to 4 \(got "9"\)$/],
    [["--lanes", "-1", ...POOL], /--lanes: lanes must be a whole number from 0 to 4/],
    [["--lanes", "1.5", ...POOL], /--lanes: lanes must be a whole number from 0 to 4/],
    [["--threads", "0", ...POOL], /--threads: miner\.threads must be a whole number from 1 to 256/],
    [["--threads", "-2", ...POOL], /--threads: miner\.threads must be a whole number/],
    [["--threads", "1.5", ...POOL], /--threads: miner\.threads must be a whole number/],
    [["--pool", "127.0.0.1:3956", "--user", "RAddr.w"], /has no scheme/],
    [["--pool", "http://pool:80", "--user", "RAddr.w"], /unsupported scheme "http:\/\/"/],
    [["--pool", "stratum+tcp://pool", "--user", "RAddr.w"], /has no port/],
    [
      ["-o", "stratum+tcp://a:1", "-o", "stratum+tcp://b:99999", "--user", "RAddr.w"],
      /port 99999 is not in 1\.\.65535/,
    ],
    [
      ["--pool", "stratum+tcp://127.0.0.1:3956"],
      /upstream\.user is required for stratum\+tcp:\/\/127\.0\.0\.1:3956/,
    ],
    [["--duration", "0", ...POOL], /--duration must be a number of seconds above 0/],
    [["--report-interval", "x", ...POOL], /--report-interval/],
    [["--api-port", "70000", ...POOL], /--api-port: miner\.api_port must be a whole number from 0 to 65535/],
    [
      ["--config", "/nonexistent/vbridge.toml", ...POOL],
      /cannot read config file \/nonexistent\/vbridge\.toml/,
    ],
    [["--tls-fingerprint", "abc", ...POOL], /fingerprint must be a SHA-256/],
    [["--bogus", ...POOL], /unknown option --bogus/],
  ])("%p → exit 2", async (args, message) => {
    const r = await cli(["mine", ...args]);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toMatch(message);
    expect(r.stdout).toBe("");
  });
});

test("lanes = 9 in the config file: one line naming the file and the key, exit 2", async () => {
  const dir = mkdtempSync(join(tmpdir(), "vbridge-mine-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, "config.toml");
  writeFileSync(config, "lanes = 9\n");
  const r = await cli(["mine", "--config", config, ...POOL]);
  expect(r.code).toBe(2);
  expect(oneLine(r.stderr)).toBe(`vbridge: ${config}: lanes must be a whole number from 0 to 4 (got 9)`);
  expect(r.stdout).toBe("");
});

describe("vbridge mine: running", () => {
  test("--duration 2 --json --lanes 1: stdout is exactly the summary; accepted shares, none rejected; plain log on stderr", async () => {
    const server = startPool();
    cleanups.push(() => server.stop());
    const r = await cli([
      "mine",
      "-o",
      `stratum+tcp://127.0.0.1:${server.port}`,
      "-u",
      "RAddr.cli",
      "-t",
      "1",
      "--duration",
      "2",
      "--json",
      "--report-interval",
      "1",
      "--lanes",
      "1",
    ]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    const s = JSON.parse(lines[0]!) as MinerSummary;
    expect(s.accepted).toBeGreaterThan(0);
    expect(s.rejected).toBe(0);
    expect(s.invalid).toBe(0);
    expect(s.threads).toHaveLength(1);
    expect(s.hashrate).toBeGreaterThan(0);
    expect(s.uptime_s).toBeGreaterThanOrEqual(2);
    expect(s.pool).toBe(`stratum+tcp://127.0.0.1:${server.port}`);
    expect(server.stats().accepted).toBe(s.accepted);
    expect(r.stderr).toMatch(/1 thread, VerusHash \w+, 1 lane\b/);
    expect(r.stderr).toMatch(/accepted ✓ 1\/1/);
    expect(r.stderr).toMatch(
      /H\/s \[[0-9.]+\], accepted \d+, rejected 0, stale \d+(, unsent \d+)?, diff 10 \(ccminer 4818\.82\)/,
    );
    expect(r.stderr).toMatch(/stopping: --duration 2 s reached/);
    expect(r.stderr).not.toContain("\u001b["); // not a TTY: no colour
  }, 30_000);

  test('no --pool: the configured "builtin" pool runs inside this process, offline', async () => {
    const dir = mkdtempSync(join(tmpdir(), "vbridge-mine-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const config = join(dir, "config.toml");
    writeFileSync(config, '[upstream]\npools = ["builtin"]\n[builtin_pool]\ndifficulty = 0.01\n');
    const r = await cli(["mine", "--config", config, "-t", "1", "--duration", "2", "--json"]);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as MinerSummary;
    expect(s.accepted).toBeGreaterThan(0);
    expect(s.rejected).toBe(0);
    expect(s.pool).toMatch(/^stratum\+tcp:\/\/127\.0\.0\.1:\d+$/);
    expect(r.stderr).toMatch(/builtin pool listening on 127\.0\.0\.1:\d+/);
  }, 30_000);

  test.each(["SIGINT", "SIGTERM"] as const)(
    "%s: workers stop, in-flight shares finish, summary, exit 0",
    async (signal) => {
      const server = startPool();
      cleanups.push(() => server.stop());
      const proc = Bun.spawn(
        [
          process.execPath,
          "src/main.ts",
          "mine",
          "-o",
          `stratum+tcp://127.0.0.1:${server.port}`,
          "-u",
          "RAddr.sig",
          "-t",
          "1",
        ],
        {
          cwd: ROOT,
          stdout: "pipe",
          stderr: "pipe",
        },
      );
      cleanups.push(() => proc.exitCode === null && proc.kill("SIGKILL"));
      const reader = proc.stdout.getReader();
      let out = "";
      const deadline = Date.now() + 20_000;
      while (!/accepted ✓ 3\//.test(out) && Date.now() < deadline) {
        const { value, done } = await reader.read();
        if (done) break;
        out += new TextDecoder().decode(value);
      }
      expect(out).toMatch(/accepted ✓ 3\//);
      proc.kill(signal);
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        out += new TextDecoder().decode(value);
      }
      expect(await proc.exited).toBe(0);
      expect(out).toContain(`stopping: ${signal}`);
      expect(out).toMatch(
        /summary: [0-9.]+ [kM]?H\/s \[[0-9.]+\] over [0-9.]+ s, accepted (\d+)\/\1, rejected 0/,
      );
    },
    30_000,
  );
});
