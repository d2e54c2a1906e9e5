// `vbridge pool` as a user runs it: bad flags are one line and exit 2; a running pool serves
// miners and stops cleanly with a summary on SIGINT.

import { describe, expect, test } from "bun:test";
import { cli, oneLine, ROOT } from "./run-cli.ts";
import { TestClient } from "../pool/client.ts";

describe("vbridge pool: usage errors", () => {
  test.each([
    [["--diff", "-1"], /--diff: builtin_pool\.difficulty must be a number above 0/],
    [["--diff", "abc"], /--diff: builtin_pool\.difficulty must be a number above 0/],
    [["--diff", "1e300"], /--diff: builtin_pool\.difficulty must be a number above 0 to 1000000000000000/],
    [["--port", "70000"], /--port: builtin_pool\.port must be a whole number from 0 to 65535/],
    [["--port", "-1"], /--port/],
    [["--job-interval", "0"], /--job-interval/],
    [["--block-interval", "x"], /--block-interval/],
    [["--min-diff", "1"], /--min-diff needs --vardiff/],
    [["--vardiff", "--max-diff", "0"], /--max-diff must be a number above 0/],
    [["--impl", "nope"], /--impl: impl must be one of "auto", "portable", "aesni", "armv8"/],
    [
      ["--config", "/nonexistent/vbridge.toml"],
      /cannot read config file \/nonexistent\/vbridge\.toml: no such file/,
    ],
    [["--bogus"], /unknown option --bogus/],
    [["--daemon", "ftp://127.0.0.1:27486"], /daemon URL/i],
    [["--daemon", "http://127.0.0.1"], /port/i],
    [["--daemon-conf", "/nonexistent/VRSC.conf"], /\/nonexistent\/VRSC\.conf/],
    [
      ["--daemon", "http://127.0.0.1:27486", "--daemon-conf", "/x/VRSC.conf"],
      /builtin_pool\.daemon and builtin_pool\.daemon_conf: set one/,
    ],
  ])("%p → exit 2", async (args, message) => {
    const r = await cli(["pool", "--port", "0", ...args]);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toMatch(message);
    expect(r.stdout).toBe("");
  });
});

describe("vbridge pool: running", () => {
  test("serves a miner, then stops on SIGINT with a summary line and exit 0", async () => {
    const proc = Bun.spawn(
      [
        process.execPath,
        "src/main.ts",
        "pool",
        "--port",
        "0",
        "--diff",
        "0.001",
        "--seed",
        "1",
        "--vardiff",
        "--share-interval",
        "5",
        "--no-flood-guard",
        "--idle-timeout",
        "600",
      ],
      {
        cwd: ROOT,
        stdout: "pipe",
        stderr: "pipe",
      },
    );
    try {
      const reader = proc.stdout.getReader();
      let out = "";
      let port = 0;
      const deadline = Date.now() + 10_000;
      while (port === 0 && Date.now() < deadline) {
        const { value, done } = await reader.read();
        if (done) break;
        out += new TextDecoder().decode(value);
        const m = /listening on 127\.0\.0\.1:(\d+), difficulty 0\.001 \(vardiff\)/.exec(out);
        if (m) port = Number(m[1]);
      }
      expect(port).toBeGreaterThan(0);
      const c = await TestClient.connect(port);
      const sub = await c.request("mining.subscribe", ["ccminer_CPU/3.8.3"]);
      expect((sub.result as string[])[1]).toMatch(/^[0-9a-f]{8}$/);
      await c.notification("mining.notify");
      proc.kill("SIGINT");
      await c.waitClosed();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        out += new TextDecoder().decode(value);
      }
      const code = await proc.exited;
      expect(code).toBe(0);
      expect(out).toMatch(/pool stopped: 0 connections, 0 accepted, 0 rejected/);
    } finally {
      if (proc.exitCode === null) proc.kill("SIGKILL");
    }
  });
});
