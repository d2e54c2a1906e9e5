/**
 * Coded errors of the headless miner (STYLE.md §9). Codes are stable; tests and the CLI switch on
 * them. E_MINER_OPTIONS is the user's to fix (exit 2: usageCodes); the others are runtime
 * conditions: logged while mining (a pool whose extranonce1 leaves no room, a job this miner cannot
 * hash) or fatal (a worker thread died, the stats port is taken).
 */
import { CodedError } from "../util/errors.ts";

export type MinerErrorCode =
  | "E_MINER_OPTIONS" // an option out of range: threads, intervals, duration, API port, user
  | "E_MINER_XN1_TOO_LONG" // the pool's extranonce1 leaves no room in the tail for worker bytes
  | "E_MINER_JOB_UNSUPPORTED" // a job below solution version 4 (VerusHash 2.1/2.0: not in libverushash)
  | "E_MINER_WORKER" // a worker thread failed or did not start: a bug, or the native library
  | "E_MINER_API"; // the stats endpoint could not listen

export class MinerError extends CodedError<MinerErrorCode> {
  static override readonly usageCodes: ReadonlySet<string> = new Set<MinerErrorCode>(["E_MINER_OPTIONS"]);
}
