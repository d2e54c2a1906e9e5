// metrics.ts — the transports' own counters and the Prometheus text of /metrics (exposition format
// 0.0.4) from them and the core's BridgeStats. Labels are transports, reasons, codes and upstream
// indexes only: never an address or a miner's worker name (unbounded cardinality, and personal
// data). With worker processes (bridge.workers > 1, src/cluster/) the numbers are the whole box's
// and a few series per worker process (`worker` = its index, at most 256) are added.

import type { BridgeHealth, BridgeStats } from "../bridge/contract.ts";
import type { CloseReason, RefusalCode } from "./errors.ts";

export type ConnectionKind = "ws-msgpack" | "ws-json" | "ws-pending" | "stratum";

/** Every socket the servers hold, against the cap (gate.ts). */
export interface SocketCounts {
  open: number;
  /** Not miners yet (closed first when the cap needs room). */
  pending: number;
  /** Pending sockets closed to make room, since the start. */
  evicted: number;
  max: number;
}

export interface DownstreamSnapshot {
  /** Open connections by kind ("ws-pending": protocol not chosen yet). */
  open: Record<ConnectionKind, number>;
  accepted: { ws: number; stratum: number };
  refused: Partial<Record<RefusalCode, number>>;
  closed: Partial<Record<CloseReason, number>>;
  badFrames: number;
  /** Filled by the servers (the counters alone do not know the gate). */
  sockets?: SocketCounts;
}

/** One process's numbers, as /stats, /metrics and /health show them. */
export interface ProcessNumbers {
  stats: BridgeStats;
  downstream: DownstreamSnapshot & { sockets: SocketCounts };
  health: BridgeHealth;
}

/** A worker process as the box's /stats, /metrics and /health list it (src/cluster/merge.ts). */
export interface WorkerSummary {
  index: number;
  /** null while it is not running. */
  pid: number | null;
  /** starting: spawned, not serving yet; up: serving; down: exited, a restart is due. */
  state: "starting" | "up" | "down";
  /** Restarts after a crash since the supervisor started. */
  restarts: number;
  /** How its last process ended ("code 1", "signal SIGKILL"), or null. */
  lastExit: string | null;
  /** From its latest numbers (null: none yet). */
  uptimeSeconds: number | null;
  sessions: number;
  ok: boolean;
  reason?: string;
}

/** The box's numbers: every worker's summed, and each worker's summary. */
export interface BoxNumbers extends ProcessNumbers {
  workers: WorkerSummary[];
  /** The worker index of each entry of stats.upstreams. */
  upstreamWorkers: number[];
}

export class DownstreamCounters {
  readonly open: Record<ConnectionKind, number> = {
    "ws-msgpack": 0,
    "ws-json": 0,
    "ws-pending": 0,
    stratum: 0,
  };
  readonly accepted = { ws: 0, stratum: 0 };
  readonly refused: Partial<Record<RefusalCode, number>> = {};
  readonly closed: Partial<Record<CloseReason, number>> = {};
  badFrames = 0;

  refuse(code: RefusalCode): void {
    this.refused[code] = (this.refused[code] ?? 0) + 1;
  }

  close(reason: CloseReason): void {
    this.closed[reason] = (this.closed[reason] ?? 0) + 1;
  }

  move(from: ConnectionKind | null, to: ConnectionKind | null): void {
    if (from !== null) this.open[from]--;
    if (to !== null) this.open[to]++;
  }

  snapshot(): DownstreamSnapshot {
    return {
      open: { ...this.open },
      accepted: { ...this.accepted },
      refused: { ...this.refused },
      closed: { ...this.closed },
      badFrames: this.badFrames,
    };
  }
}

type Sample = [labels: Record<string, string>, value: number];

function family(
  out: string[],
  name: string,
  type: "gauge" | "counter",
  help: string,
  samples: Sample[],
): void {
  out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  for (const [labels, value] of samples) {
    const l = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
    out.push(`${name}${l.length > 0 ? `{${l.join(",")}}` : ""} ${formatValue(value)}`);
  }
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

const entries = <K extends string>(r: Partial<Record<K, number>>, label: string): Sample[] =>
  (Object.entries(r) as [string, number][]).map(([k, v]) => [{ [label]: k }, v]);

export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** `box`: the worker processes (bridge.workers > 1); core and ds are then the box's sums. */
export function renderMetrics(
  core: BridgeStats,
  ds: DownstreamSnapshot,
  box?: Pick<BoxNumbers, "workers" | "upstreamWorkers">,
): string {
  const out: string[] = [];
  family(out, "vbridge_uptime_seconds", "gauge", "Seconds since the bridge started.", [
    [{}, core.uptimeSeconds],
  ]);
  family(
    out,
    "vbridge_sessions",
    "gauge",
    "Open miner sessions in the core, by transport.",
    entries(core.sessions, "transport"),
  );
  family(
    out,
    "vbridge_connections",
    "gauge",
    "Open miner connections, by kind (ws-pending: protocol not chosen yet).",
    entries(ds.open, "kind"),
  );
  family(
    out,
    "vbridge_connections_accepted_total",
    "counter",
    "Miner connections accepted, by server.",
    entries(ds.accepted, "server"),
  );
  family(
    out,
    "vbridge_connections_refused_total",
    "counter",
    "Connections refused before a session, by code.",
    entries(ds.refused, "code"),
  );
  family(
    out,
    "vbridge_connections_closed_total",
    "counter",
    "Miner connections closed, by reason.",
    entries(ds.closed, "reason"),
  );
  family(out, "vbridge_bad_frames_total", "counter", "Frames or lines that could not be used.", [
    [{}, ds.badFrames],
  ]);
  if (ds.sockets !== undefined) {
    const s = ds.sockets;
    family(out, "vbridge_sockets", "gauge", "Sockets held (pending: not a miner yet).", [
      [{ state: "open" }, s.open],
      [{ state: "pending" }, s.pending],
    ]);
    family(
      out,
      "vbridge_sockets_max",
      "gauge",
      "The socket cap (bridge.max_connections, fitted to the fd limit).",
      [[{}, s.max]],
    );
    family(
      out,
      "vbridge_sockets_evicted_total",
      "counter",
      "Pending sockets closed to make room at the cap.",
      [[{}, s.evicted]],
    );
  }
  family(out, "vbridge_shares_total", "counter", "Share verdicts on miner shares.", [
    [{ verdict: "accepted" }, core.shares.accepted],
    [{ verdict: "rejected" }, core.shares.rejected],
  ]);
  family(
    out,
    "vbridge_shares_rejected_total",
    "counter",
    "Rejected miner shares, by Stratum code (20..25).",
    entries(core.shares.rejectedByCode, "code"),
  );
  family(out, "vbridge_shares_stale_total", "counter", "Rejected miner shares for dead work (21).", [
    [{}, core.shares.stale],
  ]);
  family(
    out,
    "vbridge_upstream_errors_total",
    "counter",
    "Unusable messages from the pool (ignored), by code.",
    entries(core.upstreamErrors ?? {}, "code"),
  );
  family(out, "vbridge_credited_difficulty_total", "counter", "Sum of credited share difficulty.", [
    [{}, core.shares.creditedDifficulty],
  ]);
  family(
    out,
    "vbridge_pool_shares_total",
    "counter",
    "Shares forwarded to the pool, by outcome.",
    entries(core.pool, "outcome"),
  );
  family(out, "vbridge_hashrate_hps", "gauge", "Estimated miner hashrate from credited difficulty, H/s.", [
    [{}, core.hashrate],
  ]);
  family(
    out,
    "vbridge_upstream_connected",
    "gauge",
    "1 when the upstream session has an extranonce1 (subscribed).",
    core.upstreams.map((u, i) => [upstreamLabels(i, box), u.extranonce1 === null ? 0 : 1]),
  );
  family(
    out,
    "vbridge_upstream_sessions",
    "gauge",
    "Miner sessions leased from each upstream session.",
    core.upstreams.map((u, i) => [upstreamLabels(i, box), u.sessions]),
  );
  if (core.blocks !== undefined)
    family(out, "vbridge_blocks_total", "counter", "Shares that met the block target, and blocks taken.", [
      [{ outcome: "found" }, core.blocks.found],
      [{ outcome: "accepted" }, core.blocks.accepted],
    ]);
  if (core.ledger !== undefined) ledgerFamilies(out, core.ledger);
  if (core.events !== undefined) eventFamilies(out, core.events);
  if (box !== undefined) workerFamilies(out, box.workers);
  return out.join("\n") + "\n";
}

function ledgerFamilies(out: string[], l: NonNullable<BridgeStats["ledger"]>): void {
  family(out, "vbridge_ledger_queued", "gauge", "Credits waiting for a ledger commit.", [[{}, l.queued]]);
  family(out, "vbridge_ledger_failing", "gauge", "1 while ledger commits fail (shares wait, retried).", [
    [{}, l.failing ? 1 : 0],
  ]);
  family(out, "vbridge_ledger_credits_total", "counter", "Credits by outcome in the ledger.", [
    [{ outcome: "committed" }, l.committed],
    [{ outcome: "duplicate" }, l.duplicates],
    [{ outcome: "refused" }, l.refused],
  ]);
  family(out, "vbridge_ledger_retries_total", "counter", "Ledger commits that failed and were retried.", [
    [{}, l.retries],
  ]);
}

function eventFamilies(out: string[], e: NonNullable<BridgeStats["events"]>): void {
  family(out, "vbridge_events_total", "counter", "Events of the Redis stream, by fate.", [
    [{ fate: "published" }, e.published],
    [{ fate: "dropped" }, e.dropped],
  ]);
  family(out, "vbridge_events_buffered", "gauge", "Events waiting for Redis.", [[{}, e.buffered]]);
  family(out, "vbridge_events_connected", "gauge", "1 while the event stream's Redis is connected.", [
    [{}, e.connected ? 1 : 0],
  ]);
}

function upstreamLabels(i: number, box?: Pick<BoxNumbers, "upstreamWorkers">): Record<string, string> {
  const w = box?.upstreamWorkers[i];
  return w === undefined ? { upstream: String(i) } : { upstream: String(i), worker: String(w) };
}

function workerFamilies(out: string[], workers: readonly WorkerSummary[]): void {
  family(out, "vbridge_workers", "gauge", "Worker processes serving (bridge.workers).", [
    [{}, workers.filter((w) => w.state === "up").length],
  ]);
  const each = (f: (w: WorkerSummary) => number): Sample[] =>
    workers.map((w) => [{ worker: String(w.index) }, f(w)]);
  family(
    out,
    "vbridge_worker_up",
    "gauge",
    "1 while the worker process serves.",
    each((w) => (w.state === "up" ? 1 : 0)),
  );
  family(
    out,
    "vbridge_worker_sessions",
    "gauge",
    "Open miner sessions of each worker process.",
    each((w) => w.sessions),
  );
  family(
    out,
    "vbridge_worker_restarts_total",
    "counter",
    "Restarts of each worker process after it ended.",
    each((w) => w.restarts),
  );
}
