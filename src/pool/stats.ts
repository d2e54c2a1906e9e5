// stats.ts — the pool's counters and its hashrate estimate, for the periodic log line, the CLI's
// final summary, tests and (later) a /stats endpoint. Pure: the caller passes the time.
//
// Hashrate is estimated from accepted work over a sliding window (protocol/hashrate.ts).

import type { CloseReason } from "../protocol/close-codes.ts";
import { HashrateWindow } from "../protocol/hashrate.ts";
import { byCode, countOf, formatHashrate } from "../util/format.ts";

export const HASHRATE_WINDOW_SECONDS = 300;

export interface PoolStatsSnapshot {
  /** Connections open now, and since start. */
  connections: number;
  totalConnections: number;
  accepted: number;
  rejected: number;
  /** Rejects by Stratum error code (20..25). */
  rejectedByCode: Record<number, number>;
  /** Accepted shares whose hash met the block target (submitted when jobs come from a daemon). */
  blockCandidates: number;
  /** Blocks submitted to the daemon, and of those the ones it accepted. */
  blocksSubmitted: number;
  blocksAccepted: number;
  /** Sum of the difficulty credited to accepted shares. */
  acceptedDifficulty: number;
  /** Hashes per second over the last HASHRATE_WINDOW_SECONDS (less just after start). */
  hashrate: number;
  /** Closes by reason. */
  closes: Partial<Record<CloseReason, number>>;
  height: number;
  jobId: string;
  uptimeSeconds: number;
}

export class PoolStats {
  readonly #startedAt: number;
  #connections = 0;
  #totalConnections = 0;
  #accepted = 0;
  #rejected = 0;
  readonly #rejectedByCode: Record<number, number> = {};
  #blockCandidates = 0;
  #blocksSubmitted = 0;
  #blocksAccepted = 0;
  #acceptedDifficulty = 0;
  readonly #closes: Partial<Record<CloseReason, number>> = {};
  readonly #window: HashrateWindow;

  constructor(nowMs: number) {
    this.#startedAt = nowMs;
    this.#window = new HashrateWindow(HASHRATE_WINDOW_SECONDS, nowMs);
  }

  opened(): void {
    this.#connections++;
    this.#totalConnections++;
  }

  closed(reason: CloseReason): void {
    this.#connections--;
    this.#closes[reason] = (this.#closes[reason] ?? 0) + 1;
  }

  /** A block sent to the daemon, and whether it took it. */
  block(accepted: boolean): void {
    this.#blocksSubmitted++;
    if (accepted) this.#blocksAccepted++;
  }

  accepted(nowMs: number, creditedDifficulty: number, blockCandidate: boolean): void {
    this.#accepted++;
    this.#acceptedDifficulty += creditedDifficulty;
    if (blockCandidate) this.#blockCandidates++;
    this.#window.add(nowMs, creditedDifficulty);
  }

  rejected(code: number): void {
    this.#rejected++;
    this.#rejectedByCode[code] = (this.#rejectedByCode[code] ?? 0) + 1;
  }

  /** Estimated hashes per second from the shares of the window ending at `nowMs`. */
  hashrate(nowMs: number): number {
    return this.#window.hashrate(nowMs);
  }

  snapshot(nowMs: number, work: { height: number; jobId: string }): PoolStatsSnapshot {
    return {
      connections: this.#connections,
      totalConnections: this.#totalConnections,
      accepted: this.#accepted,
      rejected: this.#rejected,
      rejectedByCode: { ...this.#rejectedByCode },
      blockCandidates: this.#blockCandidates,
      blocksSubmitted: this.#blocksSubmitted,
      blocksAccepted: this.#blocksAccepted,
      acceptedDifficulty: this.#acceptedDifficulty,
      hashrate: this.hashrate(nowMs),
      closes: { ...this.#closes },
      height: work.height,
      jobId: work.jobId,
      uptimeSeconds: (nowMs - this.#startedAt) / 1000,
    };
  }
}

/** One line: "3 connections, 120 accepted, 2 rejected (23: 2), 1 block candidate, 1.23 MH/s, height 3911210". */
export function formatPoolSummary(s: PoolStatsSnapshot): string {
  const parts = [
    countOf(s.connections, "connection"),
    `${s.accepted} accepted`,
    `${s.rejected} rejected${byCode(s.rejectedByCode)}`,
  ];
  if (s.blockCandidates > 0) parts.push(countOf(s.blockCandidates, "block candidate"));
  if (s.blocksSubmitted > 0)
    parts.push(`blocks ${s.blocksAccepted} accepted / ${s.blocksSubmitted} submitted`);
  parts.push(formatHashrate(s.hashrate), `height ${s.height}`, `job ${s.jobId}`);
  return parts.join(", ");
}
