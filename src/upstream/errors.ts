// errors.ts — the coded errors of the pool client (STYLE.md principle 9).
//
// Every way a pool connection can end is one of these codes, carried by the `disconnected` state
// event; tests and callers switch on `code`, never on the prose. A ProtocolError from the pool
// (bad JSON, an over-cap line, a malformed notify) is wrapped as E_POOL_PROTOCOL with the
// original as `cause`, so the session ends cleanly and the client reconnects.

import type { ProtocolError } from "../protocol/index.ts";
import { CodedError } from "../util/errors.ts";

export type UpstreamErrorCode =
  // configuration (the user's to fix)
  | "E_POOL_URL" // not stratum+tcp:// / stratum+ssl:// / stratum+tls:// host:port
  | "E_POOL_CONFIG" // an option out of range (timeouts, caps, an empty pool list)
  | "E_TLS_CA_FILE" // the CA file cannot be read or holds no PEM certificate
  | "E_TLS_PIN_FORMAT" // a fingerprint pin that is not 32 bytes of hex
  // connecting
  | "E_CONNECT_REFUSED"
  | "E_CONNECT_DNS" // the host name does not resolve
  | "E_CONNECT_TIMEOUT" // TCP connect (and the TLS handshake) took longer than connectTimeoutMs
  | "E_CONNECT_FAILED" // any other connect error (unreachable network, …)
  | "E_TLS_HANDSHAKE" // the TLS handshake failed for a reason other than verification
  | "E_TLS_VERIFY" // the certificate chain or host name did not verify
  | "E_TLS_PIN_MISMATCH" // the leaf certificate's SHA-256 is not the pinned one
  // a live connection ending
  | "E_CONNECTION_RESET" // ECONNRESET / EPIPE
  | "E_CONNECTION_CLOSED" // the pool closed the connection (FIN)
  | "E_WRITE_OVERFLOW" // more unsent bytes than the outgoing cap: the pool stopped reading
  | "E_POOL_PROTOCOL" // the pool sent something we cannot read (cause: the ProtocolError)
  | "E_SUBSCRIBE_FAILED" // mining.subscribe answered with an error
  | "E_AUTH_FAILED" // mining.authorize answered false or with an error
  | "E_CALL_TIMEOUT" // subscribe, authorize or a submit got no answer in time
  | "E_NO_JOB" // authorized, but no mining.notify within noJobTimeoutMs: the pool is unusable
  | "E_POOL_UNUSABLE" // the caller abandoned the pool (e.g. an extranonce1 too long for its leases)
  | "E_POOL_RECONNECT" // the pool asked us to reconnect (client.reconnect)
  | "E_SWITCH_PRIMARY" // we left a backup pool because the primary is healthy again
  | "E_CLIENT_CLOSED" // close() was called
  // warnings: the connection stays (a `warning` event, and a log line)
  | "E_POOL_DIFFICULTY" // set_difficulty / set_target unusable (0, negative, NaN, 1e300, target 0): ignored
  | "E_POOL_REDIRECT_REFUSED"; // client.reconnect to a host that is neither this one nor a configured pool

export class UpstreamError extends CodedError<UpstreamErrorCode> {
  static override readonly usageCodes: ReadonlySet<string> = new Set<UpstreamErrorCode>([
    "E_POOL_URL",
    "E_POOL_CONFIG",
    "E_TLS_CA_FILE",
    "E_TLS_PIN_FORMAT",
  ]);

  constructor(
    code: UpstreamErrorCode,
    message: string,
    /** Machine-readable context (host, port, limits); never secrets. */
    readonly detail: Readonly<Record<string, unknown>> = {},
    options?: ErrorOptions,
  ) {
    super(code, message, options);
  }
}

/**
 * Ends that mean "this pool cannot serve us now", not "the network hiccupped": the next pool of the
 * list is tried at once instead of retrying this one (abandon() is the caller's way to say so).
 */
export const UNUSABLE_CODES: ReadonlySet<UpstreamErrorCode> = new Set<UpstreamErrorCode>([
  "E_POOL_PROTOCOL",
  "E_SUBSCRIBE_FAILED",
  "E_AUTH_FAILED",
  "E_NO_JOB",
  "E_POOL_UNUSABLE",
  // A certificate that does not verify, or is not the pinned one, will not change in a second.
  "E_TLS_VERIFY",
  "E_TLS_PIN_MISMATCH",
]);

/** The pool sent something unreadable: the one way a ProtocolError ends a connection. */
export function poolProtocolError(e: ProtocolError): UpstreamError {
  return new UpstreamError(
    "E_POOL_PROTOCOL",
    `unreadable data from the pool (${e.code}): ${e.message}`,
    { protocolCode: e.code },
    { cause: e },
  );
}
