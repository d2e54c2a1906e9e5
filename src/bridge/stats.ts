// stats.ts — the bridge's counters for /stats, /metrics, the summary line and tests; the shape is
// BridgeStats of the contract. No per-IP or per-worker data (that is the ledger's). Pure: the
// caller passes the time.
//
// Hashrate is estimated from credited work over a sliding window (protocol/hashrate.ts).

import type { BridgeStats, MinerTransport } from "./contract.ts";
import type { PoolResultKind } from "../ledger/index.ts";
import { HashrateWindow } from "../protocol/hashrate.ts";
import { byCode, countOf, formatHashrate } from "../util/format.ts";

export const HASHRATE_WINDOW_SECONDS = 600;

export type UpstreamStats = BridgeStats["upstreams"][number];

export class BridgeCounters {
  readonly #startedAt: number;
  readonly #sessions: Record<MinerTransport, number> = { "ws-msgpack": 0, "ws-json": 0, stratum: 0 };
  #accepted = 0;
  #rejected = 0;
  readonly #rejectedByCode: Record<string, number> = {};
  #stale = 0;
  readonly #upstreamErrors: Record<string, number> = {};
  #creditedDifficulty = 0;
  readonly #pool = { submitted: 0, accepted: 0, rejected: 0, stale: 0, lost: 0 };
  readonly #window: HashrateWindow;
  /** The last minute, for the API's 1m column. */
  readonly #minute: HashrateWindow;
  #invalid = 0;
  readonly #blocks = { found: 0, accepted: 0 };

  constructor(nowMs: number) {
    this.#startedAt = nowMs;
    this.#window = new HashrateWindow(HASHRATE_WINDOW_SECONDS, nowMs);
    this.#minute = new HashrateWindow(60, nowMs);
  }

  opened(t: MinerTransport): void {
    this.#sessions[t]++;
  }

  closed(t: MinerTransport): void {
    this.#sessions[t]--;
  }

  accepted(nowMs: number, difficulty: number): void {
    this.#accepted++;
    this.#creditedDifficulty += difficulty;
    this.#window.add(nowMs, difficulty);
    this.#minute.add(nowMs, difficulty);
  }

  rejected(code: number): void {
    this.#rejected++;
    this.#rejectedByCode[code] = (this.#rejectedByCode[code] ?? 0) + 1;
  }

  /** Of the rejected (already counted by rejected()): one for dead work. */
  stale(): void {
    this.#stale++;
  }

  /** Of the rejected (already counted by rejected()): one that was the miner's fault. */
  invalid(): void {
    this.#invalid++;
  }

  /** Rejected shares that were the miner's fault (verdict.ts countsAsInvalid). */
  get invalidCount(): number {
    return this.#invalid;
  }

  /** H/s over the last minute (or since start). */
  hashrate1m(nowMs: number): number {
    return this.#minute.hashrate(nowMs);
  }

  upstreamError(code: string): void {
    this.#upstreamErrors[code] = (this.#upstreamErrors[code] ?? 0) + 1;
  }

  /** A block candidate settled (blocks.ts): found, and whether its pool or daemon took it. */
  block(accepted: boolean): void {
    this.#blocks.found++;
    if (accepted) this.#blocks.accepted++;
  }

  forwarded(): void {
    this.#pool.submitted++;
  }

  poolResult(kind: PoolResultKind): void {
    this.#pool[kind]++;
  }

  /** Hashes per second over the window (or the time since start, when shorter). */
  hashrate(nowMs: number): number {
    return this.#window.hashrate(nowMs);
  }

  snapshot(nowMs: number, upstreams: UpstreamStats[]): BridgeStats {
    return {
      uptimeSeconds: (nowMs - this.#startedAt) / 1000,
      sessions: { ...this.#sessions },
      shares: {
        accepted: this.#accepted,
        rejected: this.#rejected,
        rejectedByCode: { ...this.#rejectedByCode },
        stale: this.#stale,
        creditedDifficulty: this.#creditedDifficulty,
      },
      pool: { ...this.#pool },
      upstreamErrors: { ...this.#upstreamErrors },
      hashrate: this.hashrate(nowMs),
      blocks: { ...this.#blocks },
      upstreams,
    };
  }
}

/** One line: "3 sessions (ws 2, stratum 1), 1.20 MH/s, shares 120 accepted / 2 rejected, pool 30 accepted / 0 rejected / 1 stale / 0 lost". */
export function formatBridgeSummary(s: BridgeStats): string {
  const ws = s.sessions["ws-msgpack"] + s.sessions["ws-json"];
  const up = s.upstreams.map((u) => `${u.state}${u.sessions > 0 ? ` ×${u.sessions}` : ""}`).join(", ");
  return [
    `${countOf(ws + s.sessions.stratum, "session")} (ws ${ws}, stratum ${s.sessions.stratum})`,
    formatHashrate(s.hashrate),
    `shares ${s.shares.accepted} accepted / ${s.shares.rejected} rejected${byCode(s.shares.rejectedByCode)}`,
    `pool ${s.pool.accepted} accepted / ${s.pool.rejected} rejected / ${s.pool.stale} stale / ${s.pool.lost} lost`,
    `upstream ${up}`,
  ].join(", ");
}
