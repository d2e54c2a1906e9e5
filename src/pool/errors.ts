// errors.ts — the coded errors of the built-in pool (STYLE.md principle 9). Peer misbehaviour is
// not an error here: it is a ProtocolError from src/protocol, answered or turned into a close at
// the connection boundary (connection.ts). These are the pool's own failures and bad settings.

import { CodedError } from "../util/errors.ts";

export type PoolErrorCode =
  | "E_POOL_OPTIONS" // an option out of range (the CLI checks flags first and reports E_USAGE)
  | "E_POOL_LISTEN" // the listening socket could not be opened (port in use, bad host)
  | "E_POOL_EXHAUSTED" // no free extranonce1 left (bounded search; not reachable in practice)
  | "E_POOL_NO_WORK" // jobs come from the daemon: none yet, or none can be made by hand
  | "E_POOL_NOTIFY"; // `vbridge blocknotify`: the pool did not take the notification

export class PoolError extends CodedError<PoolErrorCode> {}
