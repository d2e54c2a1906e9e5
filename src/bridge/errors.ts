// errors.ts — the bridge core's coded errors (STYLE.md principle 9). Transports catch E_BRIDGE_FULL
// and E_BRIDGE_CLOSED from open() and tell the miner; E_BRIDGE_OPTIONS is the user's to fix (usageCodes: exit 2).

import { CodedError } from "../util/errors.ts";

export type BridgeErrorCode =
  | "E_BRIDGE_OPTIONS" // a setting the core cannot work with (checked once, at start)
  | "E_BRIDGE_FULL" // no lease and no upstream session left for a new miner
  | "E_BRIDGE_CLOSED" // the bridge is stopping: no new miners
  | "E_BRIDGE_EXTRANONCE" // the pool's extranonce1 leaves no room for a lease (len + k must be ≤ 7)
  | "E_LEDGER" // the share ledger cannot be opened or written
  | "E_LEDGER_VERSION"; // the ledger file was written by a newer vbridge (schema user_version)

export class BridgeError extends CodedError<BridgeErrorCode> {
  static override readonly usageCodes: ReadonlySet<string> = new Set<BridgeErrorCode>(["E_BRIDGE_OPTIONS"]);

  constructor(
    code: BridgeErrorCode,
    message: string,
    /** Machine-readable context; never secrets. */
    readonly detail: Readonly<Record<string, unknown>> = {},
    options?: ErrorOptions,
  ) {
    super(code, message, options);
  }
}
