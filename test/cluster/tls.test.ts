// bridge.workers = 2 with a certificate (bridge.tls_cert / tls_key): both workers serve https on the
// one port; SIGHUP after the files are replaced reaches both, and from then on every new handshake,
// whichever worker takes it, presents the new leaf.

import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, test } from "bun:test";
import { tempDir, until } from "../e2e/stack.ts";
import { presentedFingerprint } from "../e2e/tls-clients.ts";
import { makeTestCa } from "../support/tls-ca.ts";
import { ClusterProcess } from "./cluster-process.ts";

const TEST_MS = 120_000;
const dir = tempDir();
const ca = makeTestCa();
afterAll(() => {
  ca.cleanup();
  dir.remove();
});

test(
  "two workers serve https on one port; SIGHUP reloads the certificate in both",
  async () => {
    const a = ca.issue("leaf-a");
    const b = ca.issue("leaf-b");
    const cert = join(dir.path, "cert.pem");
    const key = join(dir.path, "key.pem");
    copyFileSync(a.chainFile, cert);
    copyFileSync(a.keyFile, key);
    const c = await ClusterProcess.start({
      dir: dir.path,
      workers: 2,
      bridge: { tls_cert: cert, tls_key: key },
      caFile: ca.caFile,
    });
    try {
      // Many handshakes: the kernel spreads them over both workers, and each presents leaf A.
      const before = await Promise.all(Array.from({ length: 16 }, () => presentedFingerprint(c.port)));
      expect(new Set(before)).toEqual(new Set([a.fingerprint256]));
      const s = await c.stats();
      expect(s.workers.map((w) => w.state)).toEqual(["up", "up"]);

      copyFileSync(b.chainFile, cert);
      copyFileSync(b.keyFile, key);
      c.proc.kill("SIGHUP");
      await until(
        () => (c.output.match(/worker \d: TLS certificate reloaded/g) ?? []).length >= 2,
        "both workers' reload lines",
        30_000,
      );
      const after = await Promise.all(Array.from({ length: 16 }, () => presentedFingerprint(c.port)));
      expect(new Set(after)).toEqual(new Set([b.fingerprint256]));
      expect((await c.health()).status).toBe(200);
    } finally {
      expect(await c.stop()).toBe(0);
    }
  },
  TEST_MS,
);
