// `vbridge bridge` and bare `vbridge` (config mode = "bridge") as a user runs them: one-line usage
// errors with exit 2; running on the built-in pool until SIGTERM, then a clean stop with exit 0.

import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli, oneLine, ROOT } from "./run-cli.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A config file in a temporary directory: built-in pool, ledger beside it, a free HTTP port. */
function tempConfig(extra = ""): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), "vbridge-cli-"));
  dirs.push(dir);
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  const file = join(dir, "config.toml");
  writeFileSync(
    file,
    `mode = "bridge"\n${extra}\n[bridge]\nport = ${port}\nledger = ${JSON.stringify(join(dir, "ledger.sqlite"))}\n`,
  );
  return { dir, file };
}

describe("vbridge bridge: usage errors", () => {
  test.each([
    [["--port", "abc"], /^vbridge: --port: bridge\.port must be a whole number from 1 to 65535/],
    [["--pool", "stratum+tcp://pool.example:3956"], /upstream\.user is required/],
    [["--pool", "http://pool.example", "--user", "RAddr.w"], /unsupported scheme "http:\/\/"/],
    [["--stratum-port", "-1"], /bridge\.stratum_port/],
    [["--bogus"], /unknown option --bogus/],
    [["--ledger", "/nonexistent-dir/x/ledger.sqlite"], /cannot open the share ledger \/nonexistent-dir/],
    // Nothing listens on port 1: refused at once.
    [
      ["--ledger", "postgres://vbridge:secret@127.0.0.1:1/vbridge"],
      /cannot connect to PostgreSQL at postgres:\/\/vbridge:\*\*\*@/,
    ],
    [["--workers", "0"], /bridge\.workers/],
  ])("%p → exit 2, one line", async (argv, message) => {
    const { file } = tempConfig();
    const r = await cli(["bridge", "--config", file, ...argv]);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toMatch(message);
  });
});

async function runUntilAuthorized(argv: string[]): Promise<{ code: number; out: string }> {
  const proc = Bun.spawn([process.execPath, "src/main.ts", ...argv], {
    cwd: ROOT,
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, DEBUG: "", POOL_URL: "", WS_PORT: "" },
  });
  try {
    const reader = proc.stdout.getReader();
    let out = "";
    const deadline = Date.now() + 10_000;
    while (!/upstream #1 authorized/.test(out) && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      out += new TextDecoder().decode(value);
    }
    expect(out).toMatch(/upstream #1 authorized/);
    proc.kill("SIGTERM");
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      out += new TextDecoder().decode(value);
    }
    return { code: await proc.exited, out };
  } finally {
    if (proc.exitCode === null) proc.kill("SIGKILL");
  }
}

describe("vbridge bridge: running", () => {
  test("on the built-in pool until SIGTERM, then a summary and exit 0", async () => {
    const { file } = tempConfig();
    const r = await runUntilAuthorized([
      "bridge",
      "--config",
      file,
      "--pool",
      "builtin",
      "--pass",
      "s3cret-pass",
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/builtin pool listening on 127\.0\.0\.1:\d+/);
    expect(r.out).toMatch(/bridge stopped: 0 sessions/);
    expect(r.out).not.toContain("s3cret-pass");
  });

  test("bare `vbridge` runs the mode of the config file", async () => {
    const { file } = tempConfig();
    const r = await runUntilAuthorized(["--config", file]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/bridge started/);
  });
});
