// TLS files: certificates made here by the openssl CLI (an EC P-256 CA, a leaf it signed with a
// leaf+CA chain file, unrelated and RSA keys) load or fail with the right code and one line naming
// the file; the loaded material serves https; the watcher reports a replaced file once.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, renameSync, rmSync, writeFileSync, readFileSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadTlsMaterial, TlsFileError, watchTlsFiles, type TlsMaterial } from "../../src/net/tls-files.ts";
import { codeOf } from "../support/errors.ts";

let dir: string;
const f = (name: string) => join(dir, name);

function openssl(...args: string[]): void {
  const p = Bun.spawnSync(["openssl", ...args], {
    cwd: dir,
    stdout: "pipe",
    stderr: "pipe",
    timeout: 30_000,
  });
  if (p.exitCode !== 0) throw new Error(`openssl ${args.join(" ")}: ${p.stderr.toString()}`);
}

const EC = ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"];

/** A leaf for `name` signed by the test CA, its key in keyFile. */
function leaf(name: string, keyFile: string, certFile: string): void {
  writeFileSync(f(`${name}.ext`), "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n");
  openssl("req", "-new", "-key", keyFile, "-subj", `/O=vbridge test/CN=${name}`, "-out", `${name}.csr`);
  // prettier-ignore
  openssl(
    "x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
    "-days", "2", "-extfile", `${name}.ext`, "-out", certFile,
  );
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "vbridge-tls-"));
  openssl("genpkey", ...EC, "-out", "ca.key");
  openssl(
    "req",
    "-x509",
    "-new",
    "-key",
    "ca.key",
    "-subj",
    "/CN=vbridge test CA",
    "-days",
    "2",
    "-out",
    "ca.pem",
  );
  openssl("genpkey", ...EC, "-out", "leaf.key");
  leaf("leaf.example", "leaf.key", "leaf.pem");
  writeFileSync(f("chain.pem"), readFileSync(f("leaf.pem"), "utf8") + readFileSync(f("ca.pem"), "utf8"));
  openssl("genpkey", ...EC, "-out", "other.key");
  // RSA in the traditional PKCS#1 form ("BEGIN RSA PRIVATE KEY"), and an EC key as `openssl ecparam
  // -genkey` writes it (an EC PARAMETERS block first, then "BEGIN EC PRIVATE KEY").
  openssl("genrsa", "-traditional", "-out", "rsa.key", "2048");
  leaf("rsa.example", "rsa.key", "rsa.pem");
  openssl("ecparam", "-name", "prime256v1", "-genkey", "-out", "sec1.key");
  leaf("sec1.example", "sec1.key", "sec1.pem");
  openssl("pkcs8", "-topk8", "-in", "leaf.key", "-passout", "pass:secret", "-out", "enc.key");
  openssl("genrsa", "-traditional", "-aes128", "-passout", "pass:secret", "-out", "enc-rsa.key", "2048");
  writeFileSync(f("garbage"), "this is not PEM\n");
  writeFileSync(f("bad-body.pem"), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
  writeFileSync(f("bad-body.key"), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
  writeFileSync(f("empty"), "");
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The thrown TlsFileError (fails the test if something else or nothing is thrown). */
function failure(cert: string, key: string): TlsFileError {
  try {
    loadTlsMaterial(f(cert), f(key));
  } catch (e) {
    expect(e).toBeInstanceOf(TlsFileError);
    const err = e as TlsFileError;
    expect(err.message).not.toContain("\n");
    expect(err.usage).toBe(true); // exit 2
    return err;
  }
  throw new Error(`${cert} + ${key} loaded`);
}

describe("loadTlsMaterial", () => {
  test("a chain file and its leaf's key load, with the leaf's facts", () => {
    const m = loadTlsMaterial(f("chain.pem"), f("leaf.key"));
    expect(m.cert).toBe(readFileSync(f("chain.pem"), "utf8")); // the whole chain goes to the listener
    expect(m.key).toBe(readFileSync(f("leaf.key"), "utf8"));
    expect(m.certFile).toBe(f("chain.pem"));
    expect(m.keyFile).toBe(f("leaf.key"));
    expect(m.subject).toBe("CN=leaf.example; DNS:localhost, IP Address:127.0.0.1");
    const days = (Date.parse(m.notAfter) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(1);
    expect(days).toBeLessThanOrEqual(2);
    expect(m.notAfter).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
    expect(m.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });

  test("RSA (PKCS#1) and SEC 1 EC keys with a parameters block load too", () => {
    expect(loadTlsMaterial(f("rsa.pem"), f("rsa.key")).subject).toStartWith("CN=rsa.example");
    expect(loadTlsMaterial(f("sec1.pem"), f("sec1.key")).subject).toStartWith("CN=sec1.example");
  });

  test("a missing file: E_TLS_FILE naming the setting, the file and the errno", () => {
    const err = failure("nope.pem", "leaf.key");
    expect(err.code).toBe("E_TLS_FILE");
    expect(err.message).toBe(`cannot read tls_cert ${f("nope.pem")}: ENOENT`);
    expect(failure("chain.pem", "nope.key").message).toContain(`tls_key ${f("nope.key")}`);
  });

  test("the caller's setting names appear in the message", () => {
    const names = { cert: "bridge.tls_cert", key: "bridge.tls_key" };
    expect(() => loadTlsMaterial(f("chain.pem"), f("other.key"), names)).toThrow(
      `bridge.tls_key ${f("other.key")} does not belong to bridge.tls_cert ${f("chain.pem")}`,
    );
  });

  test("swapped, garbage, empty, directory, encrypted, corrupt: E_TLS_FILE naming the wrong file", () => {
    const cases: [string, string, string][] = [
      ["leaf.key", "chain.pem", "leaf.key"], // swapped: the cert setting names the key file
      ["garbage", "leaf.key", "garbage"],
      ["chain.pem", "garbage", "garbage"],
      ["empty", "leaf.key", "empty"],
      ["chain.pem", "empty", "empty"],
      [".", "leaf.key", "."],
      ["chain.pem", "enc.key", "enc.key"],
      ["chain.pem", "enc-rsa.key", "enc-rsa.key"], // PKCS#1 with a Proc-Type header
      ["bad-body.pem", "leaf.key", "bad-body.pem"],
      ["chain.pem", "bad-body.key", "bad-body.key"],
    ];
    for (const [cert, key, named] of cases) {
      const err = failure(cert, key);
      expect(err.code).toBe("E_TLS_FILE");
      expect(err.message).toContain(f(named));
    }
  });

  test("a key from elsewhere, or of another type: E_TLS_MISMATCH", () => {
    expect(codeOf(() => loadTlsMaterial(f("chain.pem"), f("other.key")))).toBe("E_TLS_MISMATCH");
    expect(codeOf(() => loadTlsMaterial(f("rsa.pem"), f("leaf.key")))).toBe("E_TLS_MISMATCH");
    expect(codeOf(() => loadTlsMaterial(f("chain.pem"), f("rsa.key")))).toBe("E_TLS_MISMATCH");
  });

  test("a file beyond the size cap is refused without reading it all", () => {
    expect(codeOf(() => loadTlsMaterial("/dev/zero", f("leaf.key")))).toBe("E_TLS_FILE");
  });

  test("the material serves https that a client trusting the test CA accepts", async () => {
    const m: TlsMaterial = loadTlsMaterial(f("chain.pem"), f("leaf.key"));
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      tls: { cert: m.cert, key: m.key },
      fetch: () => new Response("ok"),
    });
    try {
      const res = await fetch(`https://localhost:${server.port}/`, {
        tls: { ca: readFileSync(f("ca.pem"), "utf8") },
      });
      expect(await res.text()).toBe("ok");
    } finally {
      server.stop(true);
    }
  });
});

describe("watchTlsFiles", () => {
  const INTERVAL = 50;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  /** Waits up to 5 s for calls() to reach n. */
  async function until(calls: () => number, n: number): Promise<void> {
    for (let i = 0; i < 100 && calls() < n; i++) await sleep(INTERVAL);
  }

  /** A watched copy of the leaf pair, replaced the way certbot and `mv` do. */
  function pair(tag: string): { cert: string; key: string } {
    const cert = f(`w-${tag}.pem`);
    const key = f(`w-${tag}.key`);
    writeFileSync(cert, readFileSync(f("chain.pem")));
    writeFileSync(key, readFileSync(f("leaf.key")));
    return { cert, key };
  }

  function replace(path: string, content: Buffer | string): void {
    writeFileSync(`${path}.new`, content);
    renameSync(`${path}.new`, path);
  }

  test("replacing the cert (write new, rename over) gives exactly one call", async () => {
    const { cert, key } = pair("rename");
    let calls = 0;
    const stop = watchTlsFiles([cert, key], () => calls++, INTERVAL);
    try {
      replace(cert, readFileSync(f("rsa.pem")));
      await until(() => calls, 1);
      expect(calls).toBe(1);
      await sleep(6 * INTERVAL);
      expect(calls).toBe(1);
    } finally {
      stop();
    }
  });

  test("a cert and key replaced a moment apart give one call", async () => {
    const { cert, key } = pair("apart");
    let calls = 0;
    const slow = 4 * INTERVAL;
    const stop = watchTlsFiles([cert, key], () => calls++, slow);
    try {
      replace(cert, readFileSync(f("rsa.pem")));
      // The key lands between the first tick (which sees the cert) and the second: timers run in
      // due order, so however late they run, the second tick sees the key and the third settles.
      await sleep(1.5 * slow);
      replace(key, readFileSync(f("rsa.key")));
      await until(() => calls, 1);
      await sleep(3 * slow);
      expect(calls).toBe(1);
    } finally {
      stop();
    }
  });

  test("a symlink moved to a new target (certbot's live/ directory) is a change", async () => {
    const target1 = f("chain.pem");
    const link = f("live-cert.pem");
    symlinkSync(target1, link);
    let calls = 0;
    const stop = watchTlsFiles([link], () => calls++, INTERVAL);
    try {
      symlinkSync(f("rsa.pem"), `${link}.new`);
      renameSync(`${link}.new`, link);
      await until(() => calls, 1);
      expect(calls).toBe(1);
    } finally {
      stop();
    }
  });

  test("no change, no call; after stop(), no call either", async () => {
    const { cert, key } = pair("still");
    let calls = 0;
    const stop = watchTlsFiles([cert, key], () => calls++, INTERVAL);
    await sleep(6 * INTERVAL);
    expect(calls).toBe(0);
    stop();
    replace(cert, readFileSync(f("rsa.pem")));
    await sleep(6 * INTERVAL);
    expect(calls).toBe(0);
  });
});
