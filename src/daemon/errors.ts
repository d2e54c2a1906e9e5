// errors.ts — the daemon layer's coded errors (STYLE.md principle 9): everything that can go wrong
// talking to verusd over JSON-RPC (rpc.ts), reading its VRSC.conf (conf.ts) or reading a block
// template (template.ts). The same shape as LedgerError (code, message, detail); never a secret in
// either the message or the detail. E_DAEMON_URL, E_DAEMON_AUTH, E_DAEMON_CONF and E_DAEMON_NO_ADDRESS are
// the operator's to fix (exit 2): a bad URL, wrong credentials, an unreadable or incomplete conf file,
// a daemon started without -mineraddress.

import { CodedError } from "../util/errors.ts";

export type DaemonErrorCode =
  | "E_DAEMON_URL" // the daemon URL is not http://host:port[/path]
  | "E_DAEMON_AUTH" // HTTP 401/403: rpcuser/rpcpassword refused
  | "E_DAEMON_CONF" // VRSC.conf unreadable, or no rpcuser/rpcpassword, or a bad rpcport
  | "E_DAEMON_CONNECT" // refused, unreachable, reset: nothing answered HTTP
  | "E_DAEMON_TIMEOUT" // no complete answer within the call's time bound
  | "E_DAEMON_HTTP" // another HTTP status without a JSON-RPC body (detail: status, body cut to 200 chars)
  | "E_DAEMON_TOO_LARGE" // the response body is over the cap (detail: limit)
  | "E_DAEMON_RPC" // the daemon answered with an error object (detail: method, code, message)
  | "E_DAEMON_NO_ADDRESS" // the daemon cannot build a coinbase: no -mineraddress (and no wallet)
  | "E_DAEMON_ABORTED" // the caller aborted the call (CallOptions.signal), e.g. a longpoll at shutdown
  | "E_DAEMON_SYNCING" // RPC error −9 (no peers), −10 (downloading blocks) or −28 (warming up)
  | "E_DAEMON_MALFORMED" // the body is not JSON, or not a JSON-RPC response of the expected shape
  | "E_DAEMON_TEMPLATE"; // a getblocktemplate result with a missing or malformed field (detail: field)

export class DaemonError extends CodedError<DaemonErrorCode> {
  static override readonly usageCodes: ReadonlySet<string> = new Set<DaemonErrorCode>([
    "E_DAEMON_URL",
    "E_DAEMON_AUTH",
    "E_DAEMON_CONF",
    "E_DAEMON_NO_ADDRESS",
  ]);

  constructor(
    code: DaemonErrorCode,
    message: string,
    /** Machine-readable context; never secrets. */
    readonly detail: Readonly<Record<string, unknown>> = {},
    options?: ErrorOptions,
  ) {
    super(code, message, options);
  }
}

/** RPC error codes that mean "the daemon is not ready yet; wait and retry" (bitcoind's protocol.h). */
export const SYNCING_RPC_CODES: ReadonlySet<number> = new Set([
  -9, // RPC_CLIENT_NOT_CONNECTED: no peers
  -10, // RPC_CLIENT_IN_INITIAL_DOWNLOAD: still syncing
  -28, // RPC_IN_WARMUP: loading the block index
]);
