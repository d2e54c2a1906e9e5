// dashboard-api.ts — what the dashboard reads from the bridge's /api/v1/* (docs/api.md, built by
// src/downstream/api/): the answers' shapes as the page uses them, and one bounded GET. The page passes on a
// `?token=` it was opened with (EventSource cannot send an Authorization header); from loopback no
// token is needed.

export interface Summary {
  version: string;
  uptime: number;
  workers: { total: number; online: number };
  miners: { total: number; byTransport: Record<string, number>; byAgent: Record<string, number> };
  /** 1m, 10m, 1h, 12h, 24h (H/s). */
  hashrate: { total: number[] };
  results: {
    accepted: number;
    rejected: number;
    invalid: number;
    stale: number;
    byCode: Record<string, number>;
    avgTime?: number;
    latency?: number | null;
  };
  upstreams: { total: number; active: number };
  blocks: { found: number; accepted: number };
  /** null: the bridge runs without a ledger. */
  ledger: { kind: string; queued: number; failing: boolean } | null;
  alerts: Alert[];
}

export interface Alert {
  alert: string;
  severity?: string;
  message: string;
  at: number;
}

export interface Upstream {
  index: number;
  url: string;
  state: string;
  difficulty: number | null;
  sessions: number;
  latencyMs: number | null;
  failovers: number;
  lastJobAgeMs: number | null;
}

export interface HistoryPoint {
  t: number;
  hashrate: number;
  accepted: number;
  rejected: number;
  stale: number;
  /** Rejects by code in the minute (the total's points). */
  byCode?: Record<string, number>;
}

export interface History {
  step: number;
  from: number;
  to: number;
  total: HistoryPoint[];
  /** Per worker (the most credited 50): the same per-minute points. */
  workers: Record<string, HistoryPoint[]>;
}

/**
 * xmrig-proxy's /1/workers row: [name, ip (null unless ?ips=1), connections, accepted, rejected,
 * invalid, stale, lastShareMs, hashes, hashrate 1m, 10m, 1h, 12h, 24h].
 */
export type WorkerRow = (string | number | null)[];

export interface WorkerView {
  name: string;
  connections: number;
  accepted: number;
  rejected: number;
  stale: number;
  /** Unix ms; 0 when none. */
  lastShareMs: number;
  hashrate: number[];
}

export function workerView(row: WorkerRow): WorkerView {
  const n = (i: number) => Number(row[i] ?? 0);
  return {
    name: String(row[0] ?? ""),
    connections: n(2),
    accepted: n(3),
    rejected: n(4),
    stale: n(6),
    lastShareMs: n(7),
    hashrate: [n(9), n(10), n(11), n(12), n(13)],
  };
}

export class ApiError extends Error {
  constructor(
    readonly code: "E_API_STATUS" | "E_API_NETWORK",
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const TOKEN = new URLSearchParams(location.search).get("token");

/** An API path with the page's token, if it was given one. */
export function apiUrl(path: string): string {
  if (TOKEN === null) return path;
  return `${path}${path.includes("?") ? "&" : "?"}token=${encodeURIComponent(TOKEN)}`;
}

/** GET JSON, 10 s at most. */
export async function getJson<T>(path: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch(apiUrl(path), { signal: AbortSignal.timeout(10_000), cache: "no-store" });
  } catch (e) {
    throw new ApiError("E_API_NETWORK", 0, `${path}: ${(e as Error).message}`);
  }
  if (!res.ok) throw new ApiError("E_API_STATUS", res.status, `${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}
