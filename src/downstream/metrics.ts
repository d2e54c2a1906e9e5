// metrics.ts — the transports' own counters and the Prometheus text of /metrics (exposition format
// 0.0.4) from them and the core's BridgeStats. Labels are transports, reasons, codes and upstream
// indexes only: never an address or a worker (unbounded cardinality, and personal data).

import type { BridgeStats } from "../bridge/contract.ts";
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

export function renderMetrics(core: BridgeStats, ds: DownstreamSnapshot): string {
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
    core.upstreams.map((u, i) => [{ upstream: String(i) }, u.extranonce1 === null ? 0 : 1]),
  );
  family(
    out,
    "vbridge_upstream_sessions",
    "gauge",
    "Miner sessions leased from each upstream session.",
    core.upstreams.map((u, i) => [{ upstream: String(i) }, u.sessions]),
  );
  return out.join("\n") + "\n";
}
