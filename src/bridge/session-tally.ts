// session-tally.ts — one miner session's own counters for the operator API (/api/v1/miners and the
// live columns of /api/v1/workers): verdicts, the last share's time and a one-minute hashrate.
// Counters only on the share path (STYLE.md §10: constant memory); the 60 s window (6 buckets of
// protocol/hashrate.ts) is made at the first credited share, so idle sessions hold none.

import { HashrateWindow } from "../protocol/hashrate.ts";

/** The per-session hashrate window: one minute, as xmrig-proxy's shortest column. */
export const SESSION_WINDOW_SECONDS = 60;

export class SessionTally {
  readonly connectedAt: number;
  accepted = 0;
  rejected = 0;
  /** Of the rejected: the miner's fault (verdict.ts countsAsInvalid). */
  invalid = 0;
  /** Of the rejected: dead work (21 for a job this session was given). */
  stale = 0;
  /** Sum of credited difficulty. */
  credited = 0;
  lastShareAt: number | null = null;
  #window: HashrateWindow | null = null;

  constructor(connectedAt: number) {
    this.connectedAt = connectedAt;
  }

  credit(now: number, difficulty: number): void {
    this.accepted++;
    this.credited += difficulty;
    this.lastShareAt = now;
    (this.#window ??= new HashrateWindow(SESSION_WINDOW_SECONDS, this.connectedAt)).add(now, difficulty);
  }

  reject(stale: boolean, invalid: boolean): void {
    this.rejected++;
    if (stale) this.stale++;
    if (invalid) this.invalid++;
  }

  /** H/s over the last minute (or since connecting, when shorter). */
  hashrate(now: number): number {
    return this.#window?.hashrate(now) ?? 0;
  }
}
