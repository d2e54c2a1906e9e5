// TLS on the bridge and the built-in pool end to end (issue 11), with a CA the test makes
// (test/support/tls-ca.ts) and every program a subprocess as a user runs it: https /health and
// wss miners (msgpack and JSON) on the bridge's HTTP port; `vbridge mine --pool stratum+ssl://`
// trusting the CA or pinning the leaf, through the bridge's Stratum TLS port to its built-in pool,
// and straight to `vbridge pool`'s TLS port; bad certificate files at start (exit 2, one line
// naming the file); SIGHUP without TLS. Certificate reloads are in tls-reload.test.ts.

import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import type { MinerSummary } from "../../src/miner/index.ts";
import { makeTestCa, type TestCa, type TestLeaf } from "../support/tls-ca.ts";
import { oneLine } from "../cli/run-cli.ts";
import { freePort, tempDir } from "./stack.ts";
import { WssMiner } from "./tls-clients.ts";
import { Cli, startBridge, toml, type TlsBridge } from "./tls-stack.ts";

let ca: TestCa;
let caPem: string;
let leaf: TestLeaf;
const cleanups: (() => unknown)[] = [];

beforeAll(() => {
  ca = makeTestCa();
  caPem = readFileSync(ca.caFile, "utf8");
  leaf = ca.issue("bridge");
});
afterAll(() => ca.cleanup());
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

function scratch(): string {
  const d = tempDir();
  cleanups.push(() => d.remove());
  return d.path;
}

/** `vbridge mine --pool URL … --duration 1 --json`: its exit code, --json summary (or null) and log. */
async function mine(
  url: string,
  tlsFlags: string[],
): Promise<{ code: number; summary: MinerSummary | null; log: string }> {
  const cli = new Cli([
    "mine",
    "--pool",
    url,
    "--user",
    "RAddr.tls",
    "-t",
    "1",
    "--duration",
    "1",
    "--json",
    ...tlsFlags,
  ]);
  cleanups.push(() => cli.stop());
  const code = await cli.exited(20_000);
  let summary: MinerSummary | null = null;
  try {
    summary = JSON.parse(cli.out.trim().split("\n").at(-1) ?? "") as MinerSummary;
  } catch {
    // no summary: the test says so with the log
  }
  return { code, summary, log: cli.logs() };
}

describe("the bridge with tls_cert / tls_key (a chain: leaf then CA)", () => {
  let b: TlsBridge;
  const dir = tempDir();
  beforeAll(async () => {
    // Share difficulty 16 (≈130k hashes) on both sides: a few shares a second on one thread, under
    // the bridge's 20/s per session, and each one also goes to the pool.
    b = await startBridge(
      dir.path,
      { tls_cert: leaf.chainFile, tls_key: leaf.keyFile, tcp_difficulty: 16, min_difficulty: 16 },
      { stratumTls: true, builtinPool: { difficulty: 16 } },
    );
  }, 30_000);
  afterAll(async () => {
    await b?.cli.stop();
    dir.remove();
  });

  test("https /health answers 200 ok with the CA; without it the certificate is refused", async () => {
    expect(b.cli.out).toMatch(new RegExp(`miners: https://127\\.0\\.0\\.1:${b.port}/ \\(WebSocket /ws\\)`));
    expect(b.cli.out).toContain(`stratum+ssl://127.0.0.1:${b.stratumTlsPort}`);
    const r = await fetch(`https://127.0.0.1:${b.port}/health`, { tls: { ca: caPem } });
    expect(r.status).toBe(200);
    expect(((await r.json()) as { ok: boolean }).ok).toBe(true);
    const refused = await fetch(`https://127.0.0.1:${b.port}/health`).then(
      () => "accepted",
      (e: { code?: string }) => e.code,
    );
    expect(refused).toBe("SELF_SIGNED_CERT_IN_CHAIN");
  });

  test("plain http to the TLS port fails, and the bridge serves https as before", async () => {
    const plain = await fetch(`http://127.0.0.1:${b.port}/health`, {
      signal: AbortSignal.timeout(5_000),
    }).then(
      (r) => `answered ${r.status}`,
      () => "failed",
    );
    expect(plain).toBe("failed");
    expect(b.cli.alive).toBe(true);
    expect((await fetch(`https://127.0.0.1:${b.port}/health`, { tls: { ca: caPem } })).status).toBe(200);
  });

  test("wss: a msgpack miner and a JSON miner get a welcome and work", async () => {
    const m = await WssMiner.open("msgpack", b.port, caPem);
    const j = await WssMiner.open("json", b.port, caPem);
    try {
      expect(m.protocol).toBe("vbridge.msgpack.v1");
      expect(j.protocol).toBe("vbridge.json");
      await m.ping(7);
      await j.ping(8);
      const stats = (await (
        await fetch(`https://127.0.0.1:${b.port}/stats`, { tls: { ca: caPem } })
      ).json()) as { sessions: Record<string, number> };
      expect(stats.sessions).toMatchObject({ "ws-msgpack": 1, "ws-json": 1 });
    } finally {
      m.close();
      j.close();
    }
  });

  test("vbridge mine --pool stratum+ssl:// --tls-ca-file: shares accepted by the bridge and its pool", async () => {
    const r = await mine(`stratum+ssl://127.0.0.1:${b.stratumTlsPort}`, ["--tls-ca-file", ca.caFile]);
    expect(r.code, r.log).toBe(0);
    expect(r.summary, r.log).not.toBeNull();
    expect(r.summary!.accepted, r.log).toBeGreaterThan(0);
    expect(r.summary!.rejected, r.log).toBe(0);
    expect(r.summary!.pool).toBe(`stratum+ssl://127.0.0.1:${b.stratumTlsPort}`);
    const stats = (await (
      await fetch(`https://127.0.0.1:${b.port}/stats`, { tls: { ca: caPem } })
    ).json()) as {
      pool: { accepted: number; rejected: number };
    };
    expect(stats.pool.accepted).toBeGreaterThan(0);
    expect(stats.pool.rejected).toBe(0);
  }, 30_000);

  test("vbridge mine --tls-fingerprint <the leaf's SHA-256>: shares accepted", async () => {
    const r = await mine(`stratum+ssl://127.0.0.1:${b.stratumTlsPort}`, [
      "--tls-fingerprint",
      leaf.fingerprint256,
    ]);
    expect(r.code, r.log).toBe(0);
    expect(r.summary!.accepted, r.log).toBeGreaterThan(0);
    expect(r.summary!.rejected, r.log).toBe(0);
  }, 30_000);

  // The miner keeps retrying a pool whose pin does not match (as after any failed connect) until
  // --duration; what matters here is that it never talks Stratum to it.
  test("a wrong pin: the miner refuses the pool (E_TLS_PIN_MISMATCH), no share is sent", async () => {
    const wrong = ca.issue("other").fingerprint256;
    const r = await mine(`stratum+ssl://127.0.0.1:${b.stratumTlsPort}`, ["--tls-fingerprint", wrong]);
    expect(r.log).toContain("code=E_TLS_PIN_MISMATCH");
    expect(r.summary, r.log).not.toBeNull();
    expect(r.summary!.submitted, r.log).toBe(0);
    expect(r.summary!.difficulty, r.log).toBeNull(); // not even a set_difficulty was read
  }, 30_000);
});

/** `vbridge pool` with a stratum+ssl port (leaf certificate alone), retried if its free port was taken. */
async function startTlsPool(dir: string): Promise<{ pool: Cli; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const port = freePort();
    const file = `${dir}/pool.toml`;
    const p = { host: "127.0.0.1", port: 0, difficulty: 16, job_interval: 600, block_interval: 600 };
    writeFileSync(
      file,
      toml({ builtin_pool: { ...p, tls_port: port, tls_cert: leaf.certFile, tls_key: leaf.keyFile } }),
    );
    const pool = new Cli(["pool", "--config", file]);
    cleanups.push(() => pool.stop());
    try {
      await pool.waitFor(new RegExp(`pool listening on 127\\.0\\.0\\.1:\\d+ \\(stratum\\+ssl on ${port}\\)`));
      return { pool, port };
    } catch (e) {
      await pool.stop();
      if (!/in use|EADDRINUSE|cannot listen/i.test(pool.logs()) || attempt >= 3) throw e;
    }
  }
}

test("vbridge pool with tls_port: vbridge mine --pool stratum+ssl:// straight to it, shares accepted", async () => {
  const { pool, port } = await startTlsPool(scratch());
  const r = await mine(`stratum+ssl://127.0.0.1:${port}`, ["--tls-ca-file", ca.caFile]);
  expect(r.code, r.log).toBe(0);
  expect(r.summary!.accepted, `${r.log}\n${pool.logs()}`).toBeGreaterThan(0);
  expect(r.summary!.rejected, r.log).toBe(0);
  expect(pool.out).toMatch(/conn \d+ share accepted: job/); // the pool checked them itself
  expect(await pool.stop()).toBe(0);
}, 30_000);

describe("bad TLS settings at start: exit 2 and one line naming the file or the keys", () => {
  /** `vbridge bridge` with these [bridge] keys; resolves with its exit code and stderr. */
  async function bridgeWith(keys: Record<string, string | number>): Promise<{ code: number; line: string }> {
    const dir = scratch();
    const file = `${dir}/bridge.toml`;
    writeFileSync(
      file,
      toml({
        upstream: { pools: ["builtin"] },
        bridge: { host: "127.0.0.1", port: freePort(), ledger: "", ...keys },
      }),
    );
    const cli = new Cli(["bridge", "--config", file]);
    cleanups.push(() => cli.stop());
    const code = await cli.exited(15_000);
    return { code, line: oneLine(cli.err) };
  }

  test("each case", async () => {
    const dir = scratch();
    const missing = `${dir}/no-such-cert.pem`;
    const other = ca.issue("other");
    const [noCert, mismatch, keyless, stratumOnly] = await Promise.all([
      bridgeWith({ tls_cert: missing, tls_key: leaf.keyFile }),
      bridgeWith({ tls_cert: leaf.certFile, tls_key: other.keyFile }),
      bridgeWith({ tls_cert: leaf.certFile }),
      bridgeWith({ stratum_tls_port: freePort() }),
    ]);
    expect(noCert.code).toBe(2);
    expect(noCert.line).toContain(`bridge.tls_cert ${missing}`);
    expect(noCert.line).toContain("ENOENT");
    // E_TLS_MISMATCH: the key is named, and the certificate it does not belong to.
    expect(mismatch.code).toBe(2);
    expect(mismatch.line).toContain(
      `bridge.tls_key ${other.keyFile} does not belong to bridge.tls_cert ${leaf.certFile}`,
    );
    expect(keyless.code).toBe(2);
    expect(keyless.line).toMatch(/bridge\.tls_cert and bridge\.tls_key go together/);
    expect(stratumOnly.code).toBe(2);
    expect(stratumOnly.line).toMatch(/bridge\.stratum_tls_port needs bridge\.tls_cert/);
  }, 30_000);
});

test("SIGHUP to a bridge without TLS: it keeps running (nothing to reload), SIGTERM then exits 0", async () => {
  const dir = scratch();
  const b = await startBridge(dir, {});
  cleanups.push(() => b.cli.stop());
  b.cli.proc.kill("SIGHUP");
  await b.cli.waitFor(/SIGHUP: no TLS certificate configured, nothing to reload/, 5_000);
  const r = await fetch(`http://127.0.0.1:${b.port}/health`);
  expect(r.status).toBe(200);
  expect(b.cli.alive).toBe(true);
  expect(await b.cli.stop()).toBe(0);
}, 30_000);
