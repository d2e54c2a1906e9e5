// tls-files.ts — the certificate and key files behind the TLS listeners (`[bridge] tls_cert` /
// `tls_key`, PEM, chains allowed): read and checked once at start and again on every reload, so a
// wrong file fails with one line naming it (exit 2) instead of a handshake error per visitor later;
// and watched, because certbot renews by writing new files and moving symlinks, with no signal.

import { createPrivateKey, X509Certificate } from "node:crypto";
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { CodedError } from "../util/errors.ts";

export type TlsFileErrorCode =
  | "E_TLS_FILE" // unreadable, too large, not PEM, or does not parse
  | "E_TLS_MISMATCH"; // the key is not the leaf certificate's

export class TlsFileError extends CodedError<TlsFileErrorCode> {
  static override readonly usageCodes: ReadonlySet<string> = new Set<TlsFileErrorCode>([
    "E_TLS_FILE",
    "E_TLS_MISMATCH",
  ]);
}

export interface TlsMaterial {
  /** The certificate file as read: the leaf first, then any intermediates. */
  cert: string;
  key: string;
  certFile: string;
  keyFile: string;
  /** Leaf certificate facts for logs: subject CN and SANs, notAfter ISO, SHA-256 fingerprint hex. */
  subject: string;
  notAfter: string;
  fingerprint256: string;
}

/** A leaf, intermediates and a key are a few KB; a file far beyond that is the wrong file. */
export const MAX_PEM_BYTES = 1 << 20;

/** RFC 7468 §2 encapsulation boundaries; the key label may be PKCS#8, PKCS#1 (RSA), SEC 1 (EC) or encrypted. */
const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/;
const KEY_BLOCK = /-----BEGIN ((?:RSA |EC |ENCRYPTED )?PRIVATE KEY)-----[\s\S]*?-----END \1-----/;

const DEFAULT_NAMES = { cert: "tls_cert", key: "tls_key" };

/** One line whatever the underlying error looked like. */
function oneLine(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}

function reasonOf(e: unknown): string {
  if (typeof e === "object" && e !== null && "code" in e && typeof e.code === "string") return e.code;
  return oneLine(e instanceof Error ? e.message : String(e));
}

/** Reads at most MAX_PEM_BYTES + 1 bytes, so that /dev/zero or a huge file cannot fill memory. */
function readCapped(path: string, name: string): string {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    throw new TlsFileError("E_TLS_FILE", `cannot read ${name} ${path}: ${reasonOf(e)}`);
  }
  try {
    const buf = Buffer.alloc(MAX_PEM_BYTES + 1);
    let n = 0;
    for (;;) {
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
      if (n > MAX_PEM_BYTES) {
        throw new TlsFileError("E_TLS_FILE", `${name} ${path} is larger than ${MAX_PEM_BYTES} bytes`);
      }
    }
    return buf.toString("utf8", 0, n);
  } catch (e) {
    if (e instanceof TlsFileError) throw e;
    throw new TlsFileError("E_TLS_FILE", `cannot read ${name} ${path}: ${reasonOf(e)}`);
  } finally {
    closeSync(fd);
  }
}

/** "CN=bridge.example.org; DNS:bridge.example.org, IP Address:127.0.0.1" (the CN alone if no SANs). */
function describe(x509: X509Certificate): string {
  const cn = x509.subject.split("\n").find((l) => l.startsWith("CN="));
  const parts = [cn ?? oneLine(x509.subject.replace(/\n/g, ", "))];
  if (x509.subjectAltName) parts.push(oneLine(x509.subjectAltName));
  return parts.join("; ");
}

/**
 * Reads and checks both files: each readable and PEM, the leaf (first certificate) parses, the key
 * parses and belongs to the leaf. Throws TlsFileError with one line naming the file. `names` lets
 * the caller say which setting ("bridge.tls_cert").
 */
export function loadTlsMaterial(
  certFile: string,
  keyFile: string,
  names: { cert: string; key: string } = DEFAULT_NAMES,
): TlsMaterial {
  const cert = readCapped(certFile, names.cert);
  const key = readCapped(keyFile, names.key);

  const leafPem = CERT_BLOCK.exec(cert)?.[0];
  if (leafPem === undefined) {
    throw new TlsFileError("E_TLS_FILE", `${names.cert} ${certFile} is not a PEM certificate`);
  }
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(leafPem);
  } catch (e) {
    const why = reasonOf(e);
    throw new TlsFileError(
      "E_TLS_FILE",
      `${names.cert} ${certFile}: the certificate does not parse (${why})`,
    );
  }

  const keyBlock = KEY_BLOCK.exec(key);
  if (keyBlock === null) {
    throw new TlsFileError("E_TLS_FILE", `${names.key} ${keyFile} is not a PEM private key`);
  }
  // Nobody could type a passphrase at a service's start or at every renewal.
  const encrypted = `${names.key} ${keyFile} is encrypted; give an unencrypted key`;
  if (keyBlock[1] === "ENCRYPTED PRIVATE KEY") throw new TlsFileError("E_TLS_FILE", encrypted);
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    privateKey = createPrivateKey(keyBlock[0]);
  } catch (e) {
    // PKCS#1 keys encrypted the old way (a Proc-Type header) only show it here.
    const why = reasonOf(e);
    if (why === "ERR_MISSING_PASSPHRASE") throw new TlsFileError("E_TLS_FILE", encrypted);
    throw new TlsFileError("E_TLS_FILE", `${names.key} ${keyFile}: the key does not parse (${why})`);
  }

  // Verified on Bun 1.4.5: checkPrivateKey is implemented and answers false (no throw) for a key of
  // another type; the catch is for runtimes that throw instead.
  let matches: boolean;
  try {
    matches = leaf.checkPrivateKey(privateKey);
  } catch {
    matches = false;
  }
  if (!matches) {
    throw new TlsFileError(
      "E_TLS_MISMATCH",
      `${names.key} ${keyFile} does not belong to ${names.cert} ${certFile}`,
    );
  }

  return {
    cert,
    key,
    certFile,
    keyFile,
    subject: describe(leaf),
    notAfter: (leaf.validToDate ?? new Date(leaf.validTo)).toISOString(),
    fingerprint256: leaf.fingerprint256,
  };
}

/** What identifies a file's current content without reading it: through symlinks to the target. */
function signature(path: string): string {
  try {
    const s = statSync(path, { bigint: true });
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
  } catch (e) {
    return `missing:${reasonOf(e)}`; // gone mid-renewal: a change like any other, then settles
  }
}

/**
 * Watches the files for replacement by polling stat every intervalMs (default 5000; fs.watch
 * misses a symlink moved in a parent directory) and calls changed() once per change, after one
 * whole interval with no further change, so that a cert and key written a moment apart give one
 * call once both are in place. Returns stop(). The timer is unref'd.
 */
export function watchTlsFiles(files: readonly string[], changed: () => void, intervalMs = 5000): () => void {
  const look = () => files.map(signature).join("\n");
  let last = look();
  let pending = false;
  const timer = setInterval(() => {
    const now = look();
    if (now !== last) {
      last = now;
      pending = true;
    } else if (pending) {
      pending = false;
      changed();
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
