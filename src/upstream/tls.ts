// tls.ts — the TLS policy of a pool connection: verify by default, optionally against a CA file,
// or pin the leaf certificate's SHA-256 (then the chain need not verify: self-signed pool
// certificates are common). Pure functions; transport.ts applies them to Bun.connect.
//
// We decide in the handshake callback ourselves instead of trusting rejectUnauthorized alone:
// Bun.connect has shipped releases that completed the handshake and reported `authorized`
// despite a failed chain (oven-sh/bun#33846), so success, the error argument and `authorized`
// must all agree before a single byte of Stratum is sent.

import { readFileSync } from "node:fs";
import { UpstreamError } from "./errors.ts";

export interface TlsOptions {
  /** A PEM file of CA certificates to trust instead of the system store. */
  caFile?: string;
  /** SHA-256 of the pool's leaf certificate, hex, colons allowed ("07:17:…" or "0717…"). */
  fingerprint?: string;
}

/** TlsOptions resolved once at configuration time (file read, pin normalised). */
export interface TlsPolicy {
  /** PEM text, or null for the system store. */
  readonly ca: string | null;
  /** 64 lowercase hex digits, or null. */
  readonly pin: string | null;
}

export const DEFAULT_TLS_POLICY: TlsPolicy = Object.freeze({ ca: null, pin: null });

const MAX_CA_FILE_BYTES = 1024 * 1024;

export function parseFingerprint(text: string): string {
  const hex = text.trim().replace(/:/g, "").toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new UpstreamError(
      "E_TLS_PIN_FORMAT",
      "certificate fingerprint must be a SHA-256: 64 hex digits, colons allowed",
    );
  }
  return hex;
}

export function loadCaFile(path: string): string {
  let text: string;
  try {
    const bytes = readFileSync(path);
    if (bytes.length > MAX_CA_FILE_BYTES) throw new Error(`larger than ${MAX_CA_FILE_BYTES} bytes`);
    text = bytes.toString("utf8");
  } catch (e) {
    throw new UpstreamError(
      "E_TLS_CA_FILE",
      `cannot read CA file ${path}: ${(e as Error).message}`,
      { path },
      { cause: e },
    );
  }
  if (!text.includes("-----BEGIN CERTIFICATE-----")) {
    throw new UpstreamError("E_TLS_CA_FILE", `CA file ${path} holds no PEM certificate`, { path });
  }
  return text;
}

export function resolveTlsPolicy(o: TlsOptions = {}): TlsPolicy {
  return Object.freeze({
    ca: o.caFile === undefined ? null : loadCaFile(o.caFile),
    pin: o.fingerprint === undefined ? null : parseFingerprint(o.fingerprint),
  });
}

/** The `tls` option of Bun.connect for this policy. */
export function bunTlsOptions(p: TlsPolicy): { ca?: string; rejectUnauthorized: boolean } {
  // With a pin the chain is not ours to judge (self-signed is the point); the pin is checked instead.
  return { ...(p.ca === null ? {} : { ca: p.ca }), rejectUnauthorized: p.pin === null };
}

/** What transport.ts learns in the handshake callback. */
export interface HandshakeFacts {
  success: boolean;
  authorized: boolean;
  error: { code?: string; message?: string } | null;
  /** The leaf certificate as DER, when the peer sent one. */
  leafDer: Uint8Array | null;
}

/** Null when the connection may proceed, else the coded reason to close it. */
export function judgeHandshake(
  p: TlsPolicy,
  f: HandshakeFacts,
  where: Record<string, unknown>,
): UpstreamError | null {
  if (p.pin !== null) {
    // A pin stands in for chain verification, but not for a handshake that did not complete.
    if (!f.success && !isVerificationError(f.error)) return classifyTlsError(f.error, where);
    if (f.leafDer === null)
      return new UpstreamError(
        "E_TLS_PIN_MISMATCH",
        "the pool sent no certificate to check the pin against",
        where,
      );
    const got = sha256Hex(f.leafDer);
    if (got !== p.pin) {
      return new UpstreamError(
        "E_TLS_PIN_MISMATCH",
        `certificate fingerprint ${colons(got)} is not the pinned one`,
        { ...where, fingerprint: got },
      );
    }
    return null;
  }
  if (f.success && f.authorized && f.error === null) return null;
  if (f.error === null)
    return new UpstreamError("E_TLS_VERIFY", "the pool's certificate was not verified", where);
  return classifyTlsError(f.error, where);
}

/** Certificate problems are E_TLS_VERIFY; anything else in the handshake is E_TLS_HANDSHAKE. */
export function classifyTlsError(
  e: { code?: string; message?: string } | null,
  where: Record<string, unknown>,
): UpstreamError {
  const code = e?.code ?? "";
  const message = e?.message ?? "TLS handshake failed";
  const detail = { ...where, tlsCode: code };
  return isVerificationError(e)
    ? new UpstreamError("E_TLS_VERIFY", `the pool's certificate did not verify (${code}): ${message}`, detail)
    : new UpstreamError(
        "E_TLS_HANDSHAKE",
        `TLS handshake failed${code ? ` (${code})` : ""}: ${message}`,
        detail,
      );
}

function isVerificationError(e: { code?: string } | null): boolean {
  const code = e?.code ?? "";
  // OpenSSL/BoringSSL X509 verify codes and node's host-name check.
  return /CERT|SIGNATURE|ISSUER|ALTNAME|VERIFY|CHAIN/.test(code);
}

export function sha256Hex(bytes: Uint8Array): string {
  return new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
}

function colons(hex: string): string {
  return hex.toUpperCase().replace(/(..)(?!$)/g, "$1:");
}
