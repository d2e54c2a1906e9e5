// merge.ts — the box's numbers from its worker processes' (pure: no clock, no I/O). Every worker
// pushes its snapshot to the supervisor, which hands the set to every worker; the worker that
// answers /stats, /metrics or /health merges its own live numbers with the others' latest.
//
// Counters, gauges and per-code records add up; lists (the upstream sessions) are concatenated,
// each entry tagged with its worker; booleans OR; a text keeps the first worker's; the uptime is
// the longest. The merge walks the values generically, so a counter added to BridgeStats or the
// downstream snapshot later adds up without a change here. A worker that restarted starts its
// counters from 0, so box totals may step back after a crash (Prometheus rate() treats that as a
// counter reset; the per-worker series make it visible).

import type { BridgeHealth, BridgeStats } from "../bridge/contract.ts";
import type { BoxNumbers, ProcessNumbers, WorkerSummary } from "../downstream/index.ts";

/** One worker's numbers as pushed over IPC. */
export interface WorkerSnapshot extends ProcessNumbers {
  index: number;
  pid: number;
  /** Unix ms when it was taken. */
  at: number;
}

/** The supervisor's view of one worker slot. */
export interface WorkerEntry {
  index: number;
  pid: number | null;
  state: WorkerSummary["state"];
  restarts: number;
  lastExit: string | null;
  /** Its latest numbers while it runs; null once it has exited (or before its first push). */
  snapshot: WorkerSnapshot | null;
}

/** a ⊕ b: numbers add, booleans OR, lists concatenate, objects merge key by key, else a's. */
export function addUp(a: unknown, b: unknown): unknown {
  if (a === undefined || a === null) return b;
  if (b === undefined || b === null) return a;
  if (typeof a === "number" && typeof b === "number") return a + b;
  if (typeof a === "boolean" && typeof b === "boolean") return a || b;
  if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
  if (typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
    const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
    for (const [k, v] of Object.entries(b as Record<string, unknown>)) out[k] = addUp(out[k], v);
    return out;
  }
  return a;
}

/** Open miner sessions of one worker, for its summary. */
function sessionsOf(s: BridgeStats): number {
  return Object.values(s.sessions).reduce((a, n) => a + n, 0);
}

function summary(e: WorkerEntry): WorkerSummary {
  const s = e.snapshot;
  const h: BridgeHealth = s?.health ?? { ok: false, reason: e.state === "down" ? "not running" : "starting" };
  return {
    index: e.index,
    pid: e.pid,
    state: e.state,
    restarts: e.restarts,
    lastExit: e.lastExit,
    uptimeSeconds: s === null ? null : s.stats.uptimeSeconds,
    sessions: s === null ? 0 : sessionsOf(s.stats),
    ok: e.state === "up" && h.ok,
    ...(h.ok ? {} : { reason: h.reason }),
  };
}

/** The box's health: ok when a serving worker can hand out work; degraded when a serving one says so. */
function boxHealth(workers: readonly WorkerSummary[], entries: readonly WorkerEntry[]): BridgeHealth {
  const up = entries.filter((e) => e.state === "up" && e.snapshot !== null);
  const ok = up.filter((e) => e.snapshot!.health.ok);
  if (ok.length === 0) {
    const w = workers.find((x) => x.reason !== undefined);
    const why = w === undefined ? "" : ` (worker ${w.index}: ${w.reason})`;
    return { ok: false, reason: `no worker process has upstream work${why}` };
  }
  const degraded = ok.flatMap((e) => {
    const h = e.snapshot!.health as { degraded?: string };
    return typeof h.degraded === "string" && h.degraded !== "" ? [`worker ${e.index}: ${h.degraded}`] : [];
  });
  return (degraded.length === 0 ? { ok: true } : { ok: true, degraded: degraded.join("; ") }) as BridgeHealth;
}

/**
 * The box: `self` (this process's live numbers) in place of its own entry, the others' latest.
 * Entries without numbers count in `workers` only.
 */
export function mergeBox(self: WorkerSnapshot, entries: readonly WorkerEntry[]): BoxNumbers {
  const all: WorkerEntry[] = entries.filter((e) => e.index !== self.index);
  all.push({
    index: self.index,
    pid: self.pid,
    state: "up",
    restarts: restartsOf(entries, self.index),
    lastExit: lastExitOf(entries, self.index),
    snapshot: self,
  });
  all.sort((a, b) => a.index - b.index);
  const live = all.flatMap((e) => (e.snapshot === null ? [] : [e.snapshot]));
  let stats: unknown = null;
  let downstream: unknown = null;
  const upstreamWorkers: number[] = [];
  let uptime = 0;
  for (const s of live) {
    stats = addUp(stats, s.stats);
    downstream = addUp(downstream, s.downstream);
    for (const _ of s.stats.upstreams) upstreamWorkers.push(s.index);
    uptime = Math.max(uptime, s.stats.uptimeSeconds);
  }
  const merged = { ...(stats as BridgeStats), uptimeSeconds: uptime };
  const workers = all.map(summary);
  return {
    stats: merged,
    downstream: downstream as BoxNumbers["downstream"],
    health: boxHealth(workers, all),
    workers,
    upstreamWorkers,
  };
}

const restartsOf = (entries: readonly WorkerEntry[], i: number) =>
  entries.find((e) => e.index === i)?.restarts ?? 0;
const lastExitOf = (entries: readonly WorkerEntry[], i: number) =>
  entries.find((e) => e.index === i)?.lastExit ?? null;
