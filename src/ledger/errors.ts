// errors.ts — the ledger's coded errors (STYLE.md principle 9), the same shape as the bridge's
// BridgeError (code, message, detail) but its own class: src/ledger imports nothing from src/bridge.
// E_LEDGER_OPEN, E_LEDGER_CONNECT, E_LEDGER_AUTH and E_LEDGER_VERSION are the operator's to fix (exit 2).

import { CodedError } from "../util/errors.ts";

export type LedgerErrorCode =
  | "E_LEDGER" // the ledger cannot be read or written
  | "E_LEDGER_OPEN" // the SQLite file cannot be opened or created (a path or permission to fix)
  | "E_LEDGER_VERSION" // the database was written by a newer vbridge (schema version)
  | "E_LEDGER_CONNECT" // PostgreSQL cannot be reached (refused, timed out, no such database)
  | "E_LEDGER_AUTH" // PostgreSQL refused the credentials
  | "E_LEDGER_FULL" // maxQueued credits already wait for a commit: this one is refused
  | "E_LEDGER_CLOSED"; // the ledger is closed (or closing gave up on this credit)

export class LedgerError extends CodedError<LedgerErrorCode> {
  static override readonly usageCodes: ReadonlySet<string> = new Set<LedgerErrorCode>([
    "E_LEDGER_VERSION",
    "E_LEDGER_OPEN",
    "E_LEDGER_CONNECT",
    "E_LEDGER_AUTH",
  ]);

  constructor(
    code: LedgerErrorCode,
    message: string,
    /** Machine-readable context; never secrets. */
    readonly detail: Readonly<Record<string, unknown>> = {},
    options?: ErrorOptions,
  ) {
    super(code, message, options);
  }
}

/** `e` as a LedgerError: itself if it is one, else `code` with "what: its message". */
export function asLedgerError(
  e: unknown,
  what: string,
  detail: Record<string, unknown> = {},
  code: LedgerErrorCode = "E_LEDGER",
): LedgerError {
  if (e instanceof LedgerError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new LedgerError(code, `${what}: ${message}`, detail, { cause: e });
}

/** The target for logs and messages: a postgres URL's password replaced by "***". */
export function redactTarget(target: string): string {
  if (!/^postgres(ql)?:\/\//i.test(target)) return target;
  try {
    const u = new URL(target);
    if (u.password !== "") u.password = "***";
    return u.toString();
  } catch {
    return target.replace(/:\/\/([^:@/]*):[^@/]*@/, "://$1:***@");
  }
}
