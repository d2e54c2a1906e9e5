// The certificate reload of the long-running commands (src/cli/certificates.ts): the file watcher
// (certbot replaces files and sends no signal) and SIGHUP run the same reload; a bad pair keeps the
// certificate in use; a SIGHUP with no certificate configured is taken, not fatal. Real files from
// the test CA; the poll is shortened to 50 ms (the commands use 5 s).

import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { reloadCertificates, type CertificateFiles } from "../../src/cli/certificates.ts";
import type { TlsPair } from "../../src/net/listener.ts";
import { linesLogger } from "../support/log.ts";
import { makeTestCa, type TestCa, type TestLeaf } from "../support/tls-ca.ts";

let ca: TestCa;
let leafA: TestLeaf;
let leafB: TestLeaf;
let dir: string;
const stops: (() => void)[] = [];

beforeAll(() => {
  ca = makeTestCa();
  leafA = ca.issue("server");
  leafB = ca.issue("server");
});
afterAll(() => ca.cleanup());
afterEach(() => {
  for (const s of stops.splice(0)) s();
  rmSync(dir, { recursive: true, force: true });
});

function files(leaf: TestLeaf): CertificateFiles {
  dir = mkdtempSync(join(tmpdir(), "vbridge-certs-"));
  const f = {
    cert: join(dir, "c.pem"),
    key: join(dir, "k.pem"),
    names: { cert: "bridge.tls_cert", key: "bridge.tls_key" },
  };
  copyFileSync(leaf.certFile, f.cert);
  copyFileSync(leaf.keyFile, f.key);
  return f;
}

async function until(f: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!f()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

test("replaced files are picked up by the watcher: one reload with the new pair, logged", async () => {
  const f = files(leafA);
  const applied: TlsPair[] = [];
  const lines: string[] = [];
  const log = linesLogger(lines);
  stops.push(reloadCertificates(f, (p) => applied.push(p), log, 50));
  await Bun.sleep(150);
  expect(applied).toHaveLength(0); // nothing changed: nothing applied
  copyFileSync(leafB.certFile, f.cert);
  copyFileSync(leafB.keyFile, f.key);
  await until(() => applied.length > 0, "the reload");
  await Bun.sleep(200);
  expect(applied).toHaveLength(1);
  expect(applied[0]!.cert).toBe(readFileSync(leafB.certFile, "utf8"));
  expect(lines.join("\n")).toMatch(/TLS certificate reloaded \(the files changed\)/);
});

test("SIGHUP reloads at once, and the watcher does not apply the same change again", async () => {
  const f = files(leafA);
  const applied: TlsPair[] = [];
  const lines: string[] = [];
  const log = linesLogger(lines);
  stops.push(reloadCertificates(f, (p) => applied.push(p), log, 50));
  copyFileSync(leafB.certFile, f.cert);
  copyFileSync(leafB.keyFile, f.key);
  process.emit("SIGHUP", "SIGHUP");
  expect(applied).toHaveLength(1);
  await Bun.sleep(300);
  expect(applied).toHaveLength(1);
  expect(lines.filter((l) => l.includes("reloaded"))).toHaveLength(1);
});

test("a bad pair is not applied: the previous certificate stays, the error names the file", async () => {
  const f = files(leafA);
  const applied: TlsPair[] = [];
  const lines: string[] = [];
  const log = linesLogger(lines);
  stops.push(reloadCertificates(f, (p) => applied.push(p), log, 50));
  writeFileSync(f.key, "not a key\n");
  await until(() => lines.some((l) => l.includes("not reloaded")), "the refusal");
  expect(applied).toHaveLength(0);
  expect(lines.join("\n")).toContain(`bridge.tls_key ${f.key}`);
});

test("no certificate configured: SIGHUP is taken and said to have nothing to do", () => {
  const lines: string[] = [];
  const log = linesLogger(lines);
  const stop = reloadCertificates(null, () => {}, log);
  stops.push(stop);
  dir = mkdtempSync(join(tmpdir(), "vbridge-certs-"));
  process.emit("SIGHUP", "SIGHUP");
  expect(lines.join("\n")).toContain("nothing to reload");
  stop();
  expect(process.listenerCount("SIGHUP")).toBe(0);
});
