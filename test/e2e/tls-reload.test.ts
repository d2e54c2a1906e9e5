// Certificate renewals on a running bridge (issue 11), end to end: `vbridge bridge` as a subprocess
// serving https/wss and stratum+ssl from two files; the files are replaced by another leaf of the
// test CA (same names, another serial and key). With SIGHUP (`systemctl reload`) and, with no
// signal, by the file watcher (certbot renews that way; test/cli/certificates.test.ts, with a short
// poll, as the same reload runs for both): new handshakes present the new leaf, while the wss and
// Stratum connections opened before stay up and keep answering. A bad replacement keeps the old
// certificate and the process.

import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { makeTestCa, type TestCa, type TestLeaf } from "../support/tls-ca.ts";
import { tempDir } from "./stack.ts";
import { presentedFingerprint, StratumTlsMiner, WssMiner } from "./tls-clients.ts";
import { startBridge, type TlsBridge } from "./tls-stack.ts";

let ca: TestCa;
let caPem: string;
let leafA: TestLeaf;
let leafB: TestLeaf;
const cleanups: (() => unknown)[] = [];

beforeAll(() => {
  ca = makeTestCa();
  caPem = readFileSync(ca.caFile, "utf8");
  leafA = ca.issue("server");
  leafB = ca.issue("server");
});
afterAll(() => ca.cleanup());
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

/** The fingerprint as the bridge logs it: "C2:5B:…". */
function logged(hex: string): string {
  return hex.toUpperCase().replace(/(..)(?!$)/g, "$1:");
}

/** Puts `leaf` at the configured paths (overwriting: same names, new content). */
function install(files: { cert: string; key: string }, leaf: TestLeaf): void {
  copyFileSync(leaf.certFile, files.cert);
  copyFileSync(leaf.keyFile, files.key);
}

/** A bridge (https/wss + stratum+ssl) serving leaf A from `server.pem` / `server.key` in a temp dir. */
async function bridgeWithLeafA(): Promise<{ b: TlsBridge; files: { cert: string; key: string } }> {
  const dir = tempDir();
  cleanups.push(() => dir.remove());
  const files = { cert: `${dir.path}/server.pem`, key: `${dir.path}/server.key` };
  install(files, leafA);
  const b = await startBridge(dir.path, { tls_cert: files.cert, tls_key: files.key }, { stratumTls: true });
  cleanups.push(() => b.cli.stop());
  expect(await presentedFingerprint(b.port)).toBe(leafA.fingerprint256);
  expect(await presentedFingerprint(b.stratumTlsPort)).toBe(leafA.fingerprint256);
  return { b, files };
}

/** Connections opened before a reload: a wss msgpack miner and a stratum+ssl miner (both at work). */
async function openMiners(b: TlsBridge): Promise<{ ws: WssMiner; stratum: StratumTlsMiner }> {
  const ws = await WssMiner.open("msgpack", b.port, caPem);
  cleanups.push(() => ws.close());
  const stratum = await StratumTlsMiner.open(b.stratumTlsPort, caPem);
  cleanups.push(() => stratum.close());
  return { ws, stratum };
}

/** Both old connections are open and answer a ping. */
async function stillWorking(ws: WssMiner, stratum: StratumTlsMiner, seq: number): Promise<void> {
  await ws.ping(seq);
  expect((await stratum.call("mining.ping", [])).result).toBe("pong");
  expect(ws.isClosed).toBe(false);
  expect(stratum.isClosed).toBe(false);
}

test("SIGHUP after the files are replaced: new connections get leaf B, old wss and Stratum stay up", async () => {
  const { b, files } = await bridgeWithLeafA();
  const { ws, stratum } = await openMiners(b);
  install(files, leafB);
  b.cli.proc.kill("SIGHUP");
  await b.cli.waitFor(
    new RegExp(`TLS certificate reloaded \\(SIGHUP\\): .*sha256 ${logged(leafB.fingerprint256)}`),
    5_000,
  );
  expect(await presentedFingerprint(b.port)).toBe(leafB.fingerprint256);
  expect(await presentedFingerprint(b.stratumTlsPort)).toBe(leafB.fingerprint256);
  await stillWorking(ws, stratum, 1);
  // New clients verify leaf B with the same CA.
  const fresh = await WssMiner.open("json", b.port, caPem);
  fresh.close();
  const health = await fetch(`https://127.0.0.1:${b.port}/health`, { tls: { ca: caPem } });
  expect(health.status).toBe(200);
  expect(b.cli.alive).toBe(true);
}, 30_000);

test("a bad replacement (leaf B with a garbage key) + SIGHUP: not reloaded, leaf A still served", async () => {
  const { b, files } = await bridgeWithLeafA();
  const { ws, stratum } = await openMiners(b);
  copyFileSync(leafB.certFile, files.cert);
  writeFileSync(files.key, "-----BEGIN PRIVATE KEY-----\nZ2FyYmFnZQ==\n-----END PRIVATE KEY-----\n");
  b.cli.proc.kill("SIGHUP");
  const m = await b.cli.waitFor(
    /TLS certificate not reloaded \(SIGHUP\), the previous one stays: (.*)/,
    5_000,
  );
  expect(m[1]).toContain(`bridge.tls_key ${files.key}`);
  expect(b.cli.out + b.cli.err).not.toMatch(/TLS certificate reloaded/);
  expect(await presentedFingerprint(b.port)).toBe(leafA.fingerprint256);
  expect(await presentedFingerprint(b.stratumTlsPort)).toBe(leafA.fingerprint256);
  await stillWorking(ws, stratum, 3);
  expect((await fetch(`https://127.0.0.1:${b.port}/health`, { tls: { ca: caPem } })).status).toBe(200);
  expect(b.cli.alive).toBe(true);
}, 30_000);
