// routes.ts — the operator API under /api/v1/ (docs/api.md): the access rule, the query, and the
// answer from the builders beside this file. http.ts hands every /api/v1/ request here; answers
// needing the ledger are promises (http-connection.ts awaits them, bounded), /live is a stream.
//
// Access (arch of issue 14): loopback clients always; others only with bridge.admin_token set and
// given (Authorization: Bearer TOKEN, or ?token=TOKEN); else 403. `client` is the real client
// behind trusted proxies. Client addresses only with ?ips=1 (and only to those let in).

import type { BridgeCore } from "../../bridge/contract.ts";
import type { RouteRequest, HttpReply } from "../http.ts";
import { adminAllowed } from "../access.ts";
import { formatCsv, payoutReport } from "../../ledger/report.ts";
import type { Logger } from "../../util/log.ts";
import { HistoryCache } from "./history-cache.ts";
import { buildHistory, historyBounds, RANGES, type HistoryRange } from "./history.ts";
import { LiveHub } from "./live.ts";
import { buildMiners, buildUpstreams } from "./miners.ts";
import { buildSummary, type Summary } from "./summary.ts";
import { buildWorkers } from "./workers.ts";
import pkg from "../../../package.json";

export const API_PREFIX = "/api/v1/";

/** What the alerts module offers the API (H3's Alerts.recent(): the last alerts, oldest first). */
export interface AlertFeed {
  recent(): readonly unknown[];
}

export interface ApiOptions {
  /** bridge.admin_token: "" = loopback only. */
  adminToken: string;
  alerts?: AlertFeed | null;
  log: Logger;
  now?: () => number;
  /** Live streams at most (default 32) and their period (default 1000 ms). */
  liveMax?: number;
  liveIntervalMs?: number;
}

export class Api {
  readonly core: BridgeCore;
  readonly adminToken: string;
  readonly live: LiveHub;
  readonly history: HistoryCache | null;
  readonly #alerts: AlertFeed | null;
  readonly #now: () => number;

  constructor(core: BridgeCore, o: ApiOptions) {
    this.core = core;
    this.adminToken = o.adminToken;
    this.#alerts = o.alerts ?? null;
    this.#now = o.now ?? Date.now;
    this.history = core.ledger === undefined ? null : new HistoryCache(core.ledger, this.#now);
    this.live = new LiveHub(() => this.summary(), {
      log: o.log,
      max: o.liveMax,
      intervalMs: o.liveIntervalMs,
    });
  }

  /** The summary now (a failed ledger read leaves the ledger's columns at 0, never the answer out). */
  async summary(): Promise<Summary> {
    const history = this.history === null ? null : await this.history.rows().catch(() => null);
    const c = this.core;
    return buildSummary({
      version: pkg.version,
      now: this.#now(),
      stats: c.stats(),
      tallies: c.tallies?.() ?? null,
      miners: c.miners?.() ?? [],
      upstreams: upstreamsOf(c),
      history,
      alerts: this.#alerts?.recent() ?? [],
    });
  }

  /** A request under /api/v1/. */
  route(req: RouteRequest): HttpReply | Promise<HttpReply> {
    const q = new URLSearchParams(req.query ?? "");
    if (!adminAllowed(req.client, req.authorization ?? null, q.get("token"), this.adminToken))
      return problem(403, "E_API_FORBIDDEN", "loopback only, or Authorization: Bearer bridge.admin_token");
    const ips = q.get("ips") === "1";
    const now = this.#now();
    switch (req.path.slice(API_PREFIX.length)) {
      case "summary":
        return this.summary().then((s) => json(s));
      case "workers":
        return this.#withHistory(async (h) =>
          json(buildWorkers(this.core.miners?.() ?? [], h === null ? [] : await h.rows(), now, ips)),
        );
      case "miners":
        return json(buildMiners(this.core.miners?.() ?? [], ips));
      case "upstreams":
        return json(buildUpstreams(upstreamsOf(this.core), now));
      case "history":
        return this.#history(q, now);
      case "report":
        return this.#report(q);
      case "live": {
        const stream = this.live.open();
        if (stream === null)
          return {
            ...problem(503, "E_API_LIVE_FULL", `at most ${this.live.max} live streams`),
            headers: { ...HEADERS, "Retry-After": "5" },
          };
        return {
          status: 200,
          headers: {
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
          },
          body: "",
          stream,
        };
      }
      default:
        return problem(404, "E_API_NOT_FOUND", `no such endpoint: ${req.path}`);
    }
  }

  async #withHistory(f: (h: HistoryCache | null) => Promise<HttpReply>): Promise<HttpReply> {
    try {
      return await f(this.history);
    } catch (e) {
      return ledgerProblem(e);
    }
  }

  async #history(q: URLSearchParams, now: number): Promise<HttpReply> {
    const range = q.get("range") ?? "1h";
    if (!(range in RANGES)) return problem(400, "E_API_QUERY", "range must be 1h or 24h");
    const { from, to } = historyBounds(range as HistoryRange, now);
    const ledger = this.core.ledger;
    if (ledger === undefined) return json(buildHistory([], from, to));
    const worker = q.get("worker");
    try {
      const rows = await ledger.history(worker === null ? { from, to } : { from, to, worker });
      return json(buildHistory(rows, from, to));
    } catch (e) {
      return ledgerProblem(e);
    }
  }

  async #report(q: URLSearchParams): Promise<HttpReply> {
    const from = parseTime(q.get("from"));
    const to = parseTime(q.get("to") ?? String(this.#now()));
    const format = q.get("format") ?? "json";
    if (from === null || to === null || to <= from)
      return problem(400, "E_API_QUERY", "from and to: unix ms or ISO 8601, from before to");
    if (format !== "json" && format !== "csv")
      return problem(400, "E_API_QUERY", "format must be json or csv");
    const ledger = this.core.ledger;
    if (ledger === undefined) return problem(503, "E_API_NO_LEDGER", "this bridge has no ledger");
    try {
      const report = await payoutReport(ledger, from, to);
      if (format === "json") return json(report);
      return {
        status: 200,
        headers: {
          ...HEADERS,
          "Content-Type": "text/csv; charset=utf-8",
          "Content-Disposition": `attachment; filename="vbridge-report-${from}-${to}.csv"`,
        },
        body: formatCsv(report),
      };
    } catch (e) {
      return ledgerProblem(e);
    }
  }
}

function upstreamsOf(c: BridgeCore) {
  return (
    c.upstreamInfo?.() ??
    c.stats().upstreams.map((u, i) => ({
      ...u,
      index: i + 1,
      latencyMs: null,
      failovers: 0,
      lastJobAt: null,
      pending: 0,
    }))
  );
}

/** Unix ms (digits) or an ISO 8601 date/time; null when neither. */
export function parseTime(s: string | null): number | null {
  if (s === null || s.trim() === "") return null;
  if (/^\d{1,15}$/.test(s.trim())) return Number(s.trim());
  const t = Date.parse(s);
  return Number.isFinite(t) ? t : null;
}

const HEADERS = { "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store" };

function json(body: unknown, status = 200): HttpReply {
  return { status, headers: { ...HEADERS, "Content-Type": "application/json" }, body: JSON.stringify(body) };
}

function problem(status: number, code: string, message: string): HttpReply {
  return json({ error: { code, message } }, status);
}

/** The ledger could not be read (its database down): 503 with its code. */
function ledgerProblem(e: unknown): HttpReply {
  const code =
    typeof (e as { code?: unknown })?.code === "string" ? (e as { code: string }).code : "E_API_LEDGER";
  if (!code.startsWith("E_LEDGER") && code !== "E_API_LEDGER") throw e; // a programmer error: not ours to hide
  return problem(503, code, e instanceof Error ? e.message : String(e));
}
