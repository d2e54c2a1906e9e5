// TLS policy: unit rules, then a TLS fake pool with the self-signed fixtures (test/upstream/fixtures):
// rejected by default, accepted with the CA file or the right pin, rejected with a wrong pin.

import { afterEach, describe, expect, test } from "bun:test";
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PoolClient } from "../../src/upstream/client.ts";
import type { PoolClientOptions } from "../../src/upstream/options.ts";
import {
  judgeHandshake,
  loadCaFile,
  parseFingerprint,
  resolveTlsPolicy,
  type TlsOptions,
} from "../../src/upstream/tls.ts";
import { FakePool } from "./fake-pool.ts";
import { EventLog } from "./helpers.ts";

const FIXTURES = join(import.meta.dir, "fixtures");
const pem = (name: string) => readFileSync(join(FIXTURES, name), "utf8");
const LOCALHOST = { cert: pem("localhost-cert.pem"), key: pem("localhost-key.pem") };
const OTHER = { cert: pem("other-cert.pem"), key: pem("other-key.pem") };
const fingerprintOf = (certPem: string) => new X509Certificate(certPem).fingerprint256; // "AE:CE:…"
const derOf = (certPem: string) => new Uint8Array(new X509Certificate(certPem).raw);

describe("policy rules", () => {
  test("fingerprints: colons or not, any case; anything else is E_TLS_PIN_FORMAT", () => {
    const fp = fingerprintOf(LOCALHOST.cert);
    const hex = fp.replace(/:/g, "").toLowerCase();
    expect(parseFingerprint(fp)).toBe(hex);
    expect(parseFingerprint(hex.toUpperCase())).toBe(hex);
    for (const bad of ["", "abc", hex.slice(2), hex + "00", hex.replace(/^./, "g")]) {
      expect(() => parseFingerprint(bad)).toThrow(expect.objectContaining({ code: "E_TLS_PIN_FORMAT" }));
    }
  });

  test("CA file: read once; unreadable or certificate-less files are E_TLS_CA_FILE", () => {
    expect(loadCaFile(join(FIXTURES, "localhost-cert.pem"))).toContain("BEGIN CERTIFICATE");
    expect(() => loadCaFile(join(FIXTURES, "missing.pem"))).toThrow(
      expect.objectContaining({ code: "E_TLS_CA_FILE" }),
    );
    expect(() => loadCaFile(join(FIXTURES, "README.md"))).toThrow(
      expect.objectContaining({ code: "E_TLS_CA_FILE" }),
    );
  });

  test("without a pin, success, authorized and no error must all agree (oven-sh/bun#33846)", () => {
    const p = resolveTlsPolicy();
    const ok = { success: true, authorized: true, error: null, leafDer: null };
    expect(judgeHandshake(p, ok, {})).toBeNull();
    expect(judgeHandshake(p, { ...ok, authorized: false }, {})?.code).toBe("E_TLS_VERIFY");
    expect(judgeHandshake(p, { ...ok, error: { code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" } }, {})?.code).toBe(
      "E_TLS_VERIFY",
    );
    expect(
      judgeHandshake(p, { ...ok, success: false, error: { code: "ERR_TLS_CERT_ALTNAME_INVALID" } }, {})?.code,
    ).toBe("E_TLS_VERIFY");
    expect(
      judgeHandshake(
        p,
        { ...ok, success: false, error: { code: "EPROTO", message: "WRONG_VERSION_NUMBER" } },
        {},
      )?.code,
    ).toBe("E_TLS_HANDSHAKE");
  });

  test("with a pin, the leaf's SHA-256 decides; a broken handshake still fails", () => {
    const p = resolveTlsPolicy({ fingerprint: fingerprintOf(LOCALHOST.cert) });
    const selfSigned = {
      success: true,
      authorized: false,
      error: { code: "DEPTH_ZERO_SELF_SIGNED_CERT" },
      leafDer: derOf(LOCALHOST.cert),
    };
    expect(judgeHandshake(p, selfSigned, {})).toBeNull();
    expect(judgeHandshake(p, { ...selfSigned, leafDer: derOf(OTHER.cert) }, {})?.code).toBe(
      "E_TLS_PIN_MISMATCH",
    );
    expect(judgeHandshake(p, { ...selfSigned, leafDer: null }, {})?.code).toBe("E_TLS_PIN_MISMATCH");
    expect(
      judgeHandshake(p, { ...selfSigned, success: false, error: { code: "ECONNRESET" } }, {})?.code,
    ).toBe("E_TLS_HANDSHAKE");
  });
});

describe("a TLS pool over loopback", () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  function run(
    cert: { cert: string; key: string },
    tls: TlsOptions | undefined,
    o: Partial<PoolClientOptions> = {},
  ) {
    const pool = new FakePool({ tls: cert });
    cleanups.push(() => pool.stop());
    const log = new EventLog();
    const client = new PoolClient<number>(
      {
        pools: [`stratum+ssl://127.0.0.1:${pool.port}`],
        user: "RAddr.tls",
        ...(tls ? { tls } : {}),
        backoff: { baseMs: 1000, maxMs: 1000, jitter: 0 },
        ...o,
      },
      log.listener,
    );
    cleanups.push(() => client.close());
    client.start();
    const firstEnd = () =>
      log.until(
        () => log.of("state").some((s) => s.state === "disconnected" || s.state === "authorized"),
        "a verdict",
      );
    const verdict = async () => {
      await firstEnd();
      const s = log.of("state").find((s) => s.state === "disconnected" || s.state === "authorized")!;
      return s.state === "disconnected" ? s.error.code : "authorized";
    };
    return { pool, log, verdict };
  }

  test("a self-signed certificate is rejected by default, before any Stratum byte", async () => {
    const { pool, verdict } = run(LOCALHOST, undefined);
    expect(await verdict()).toBe("E_TLS_VERIFY");
    expect(pool.conns.flatMap((c) => c.lines)).toEqual([]);
  });

  test("accepted with the CA file", async () => {
    const { log, verdict } = run(LOCALHOST, { caFile: join(FIXTURES, "localhost-cert.pem") });
    expect(await verdict()).toBe("authorized");
    await log.until(() => log.of("job").length > 0, "a job over TLS");
  });

  test("the CA file does not excuse a host-name mismatch", async () => {
    const { verdict } = run(OTHER, { caFile: join(FIXTURES, "other-cert.pem") });
    expect(await verdict()).toBe("E_TLS_VERIFY");
  });

  test("accepted with the right fingerprint pin (chain and name need not verify)", async () => {
    expect(await run(LOCALHOST, { fingerprint: fingerprintOf(LOCALHOST.cert) }).verdict()).toBe("authorized");
    expect(
      await run(OTHER, { fingerprint: fingerprintOf(OTHER.cert).replace(/:/g, "").toLowerCase() }).verdict(),
    ).toBe("authorized");
  });

  test("rejected with a wrong pin", async () => {
    const { pool, verdict } = run(LOCALHOST, { fingerprint: fingerprintOf(OTHER.cert) });
    expect(await verdict()).toBe("E_TLS_PIN_MISMATCH");
    expect(pool.conns.flatMap((c) => c.lines)).toEqual([]);
  });
});
