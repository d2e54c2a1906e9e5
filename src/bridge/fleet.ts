// fleet.ts — this bridge's heartbeat in the ledger's database, and the fleet as the database sees
// it (issue 12: N bridges on N boxes, one PostgreSQL). Every HEARTBEAT_MS the bridge writes one
// row: its id, host, pid, start, and a summary of its counters; then it reads every row seen in the
// last FLEET_WINDOW_MS and keeps that list for /stats?scope=fleet, so the HTTP route never waits
// on the database. With a SQLite ledger the fleet is the processes sharing that file (one box).
// A failing database only makes the list older: a beat that fails is logged once until one works.

import { hostname } from "node:os";
import type { BridgeBeat, Ledger } from "../ledger/index.ts";
import type { Logger } from "../util/log.ts";
import type { BridgeHealth, BridgeStats } from "./contract.ts";

export const HEARTBEAT_MS = 5_000;
/** A bridge silent for this long (three beats) is left out of the fleet. */
export const FLEET_WINDOW_MS = 3 * HEARTBEAT_MS;

/** What one bridge tells the fleet about itself. */
export interface BeatSummary {
  sessions: number;
  hashrate: number;
  accepted: number;
  rejected: number;
  creditedDifficulty: number;
  pool: BridgeStats["pool"];
  upstreams: { url: string | null; state: string }[];
  health: "ok" | "degraded" | "down";
}

export interface FleetView {
  /** Unix ms of the last successful read; null before the first. */
  readAt: number | null;
  bridges: (Omit<BridgeBeat, "stats"> & { stats: BeatSummary })[];
  totals: { bridges: number; sessions: number; hashrate: number; accepted: number; rejected: number };
}

export interface HeartbeatSource {
  stats(): BridgeStats;
  health(): BridgeHealth;
}

export function summarise(s: BridgeStats, h: BridgeHealth): BeatSummary {
  return {
    sessions: s.sessions["ws-msgpack"] + s.sessions["ws-json"] + s.sessions.stratum,
    hashrate: s.hashrate,
    accepted: s.shares.accepted,
    rejected: s.shares.rejected,
    creditedDifficulty: s.shares.creditedDifficulty,
    pool: { ...s.pool },
    upstreams: s.upstreams.map((u) => ({ url: u.url, state: u.state })),
    health: !h.ok ? "down" : h.degraded !== undefined ? "degraded" : "ok",
  };
}

export class Heartbeat {
  readonly id: string;
  readonly #ledger: Ledger;
  readonly #source: HeartbeatSource;
  readonly #log: Logger;
  readonly #clock: () => number;
  readonly #startedAt: number;
  readonly #timer: ReturnType<typeof setInterval>;
  #view: FleetView = { readAt: null, bridges: [], totals: emptyTotals() };
  #failing = false;
  #busy = false;

  constructor(
    id: string,
    ledger: Ledger,
    source: HeartbeatSource,
    log: Logger,
    clock: () => number,
    everyMs = HEARTBEAT_MS,
  ) {
    this.id = id;
    this.#ledger = ledger;
    this.#source = source;
    this.#log = log;
    this.#clock = clock;
    this.#startedAt = clock();
    this.#timer = setInterval(() => void this.beat(), everyMs);
    this.#timer.unref();
  }

  /** The fleet as last read (never waits on the database). */
  view(): FleetView {
    return this.#view;
  }

  /** One beat and one read (the timer calls it; tests and start-up too). Never throws. */
  async beat(): Promise<void> {
    if (this.#busy) return; // a slow database: one beat at a time
    this.#busy = true;
    try {
      const now = this.#clock();
      await this.#ledger.heartbeat({
        id: this.id,
        host: hostname(),
        pid: process.pid,
        startedAt: this.#startedAt,
        seenAt: now,
        stats: summarise(this.#source.stats(), this.#source.health()),
      });
      const rows = await this.#ledger.fleet(now - FLEET_WINDOW_MS);
      const bridges = rows.map((r) => ({ ...r, stats: r.stats as BeatSummary }));
      this.#view = { readAt: now, bridges, totals: totalsOf(bridges.map((b) => b.stats)) };
      if (this.#failing) this.#log.info("fleet heartbeat written again");
      this.#failing = false;
    } catch (e) {
      if (!this.#failing) this.#log.warn(`fleet heartbeat failed: ${(e as Error).message}`);
      this.#failing = true;
    } finally {
      this.#busy = false;
    }
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

function emptyTotals(): FleetView["totals"] {
  return { bridges: 0, sessions: 0, hashrate: 0, accepted: 0, rejected: 0 };
}

export function totalsOf(beats: BeatSummary[]): FleetView["totals"] {
  const t = emptyTotals();
  for (const b of beats) {
    t.bridges++;
    t.sessions += b.sessions;
    t.hashrate += b.hashrate;
    t.accepted += b.accepted;
    t.rejected += b.rejected;
  }
  return t;
}
