// http.ts — the plain HTTP routes beside /ws on the bridge's port: `/` (the browser miner page)
// with its script, worker and WebAssembly files (web-assets.ts), `/health` (public: ok + upstream
// state, 503 while no upstream has work), `/stats` (JSON) and `/metrics` (Prometheus text), the last
// two from loopback only unless bridge.stats_public, and the operator API under /api/v1/ (api/,
// docs/api.md), which also reads the sessions, upstreams and ledger through the core.
// With worker processes (src/cluster/) the three show the whole box: `box` merges this process's
// numbers with the other workers' and lists the workers.

import { readFileSync } from "node:fs";
import { API_PREFIX, type Api } from "./api/routes.ts";
import type { EventStream } from "./api/live.ts";
import type { BridgeCore, BridgeHealth, BridgeStats } from "../bridge/contract.ts";
import { isLoopback } from "../net/addresses.ts";
import {
  METRICS_CONTENT_TYPE,
  renderMetrics,
  type BoxNumbers,
  type DownstreamCounters,
  type ProcessNumbers,
  type SocketCounts,
} from "./metrics.ts";
import { adminAllowed } from "./access.ts";
import { BUILD_HINT, DASHBOARD_HTML, WEB_ASSETS } from "./web-assets.ts";

export interface HttpRoutes {
  core: BridgeCore;
  counters: DownstreamCounters;
  /** The gate's counts, for /stats and /metrics. */
  sockets(): SocketCounts;
  statsPublic: boolean;
  page: string;
  /** The other worker processes (bridge.workers > 1); null or absent: this process is the bridge. */
  box?: BoxView | null;
  /** The operator API under /api/v1/ (api/); absent: 404. */
  api?: Api | null;
}

/** The whole box from this process's own numbers (src/cluster/ implements it). */
export interface BoxView {
  numbers(own: ProcessNumbers): BoxNumbers;
}

/** A request as the routes see it (the connection has read and checked its head). */
export interface RouteRequest {
  method: string;
  path: string;
  /** The query string without "?" ("" when none). */
  query?: string;
  /** The real client (behind trusted proxies: the address they name). */
  client: string;
  /** The Authorization header, if any (the operator API's token). */
  authorization?: string | null;
}

export interface HttpReply {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array | string;
  /**
   * A long-lived body (Server-Sent Events): the head goes without Content-Length, the connection
   * closes when the stream ends, and `body` is ignored.
   */
  stream?: EventStream;
}

const NOSNIFF = { "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store" };
// The page and its worker load from and talk to this origin only (no third-party CDN): scripts,
// the worker and the .wasm from 'self', the WebSocket to 'self' (CSP 3 covers ws/wss of the same
// host), and 'wasm-unsafe-eval' to compile WebAssembly — no eval of JavaScript. The worker script
// gets the same policy: a worker runs under its own response's CSP.
const CSP =
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
const PAGE_HEADERS = {
  ...NOSNIFF,
  "Content-Type": "text/html; charset=utf-8",
  "Content-Security-Policy": CSP,
  "Referrer-Policy": "no-referrer",
};

// The operator's dashboard: its own script and API only (no WebAssembly, no third-party request).
const DASHBOARD_CSP =
  "default-src 'self'; script-src 'self'; connect-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

function json(body: unknown, status = 200): HttpReply {
  return { status, headers: { ...NOSNIFF, "Content-Type": "application/json" }, body: JSON.stringify(body) };
}

export function text(body: string, status: number): HttpReply {
  return { status, headers: { ...NOSNIFF, "Content-Type": "text/plain; charset=utf-8" }, body };
}

/** The files, read once: no file is opened per request (at the fd limit, opening one would fail). */
const ASSET_BYTES = new Map<string, Uint8Array | null>(
  Object.entries(WEB_ASSETS).map(([path, a]) => [path, a.path === null ? null : readFileSync(a.path)]),
);

/**
 * Every route but the WebSocket upgrade (the connection handles /ws itself). The operator API's
 * answers that read the ledger are promises.
 */
export function route(req: RouteRequest, r: HttpRoutes): HttpReply | Promise<HttpReply> {
  if (req.method !== "GET" && req.method !== "HEAD") return text("method not allowed\n", 405);
  if (req.path.startsWith(API_PREFIX)) return r.api == null ? text("not found\n", 404) : r.api.route(req);
  switch (req.path) {
    case "/dashboard":
    case "/dashboard.js": {
      // The page under the operator API's access rule (bridge.admin_token; api/routes.ts). Its
      // script holds no data (the API it calls checks each request): a remote browser that was
      // given ?token= for the page fetches it without one.
      const token = new URLSearchParams(req.query ?? "").get("token");
      if (r.api == null) return text("not found\n", 404);
      if (
        req.path === "/dashboard" &&
        !adminAllowed(req.client, req.authorization ?? null, token, r.api.adminToken)
      )
        return text("loopback only, or bridge.admin_token (Authorization: Bearer or ?token=)\n", 403);
      const headers = {
        ...NOSNIFF,
        "Content-Security-Policy": DASHBOARD_CSP,
        "Referrer-Policy": "no-referrer",
      };
      if (req.path === "/dashboard")
        return {
          status: 200,
          headers: { ...headers, "Content-Type": "text/html; charset=utf-8" },
          body: DASHBOARD_HTML,
        };
      const bytes = ASSET_BYTES.get(req.path);
      if (bytes == null) return text(`${req.path} was not built: ${BUILD_HINT}\n`, 503);
      return {
        status: 200,
        headers: { ...headers, "Content-Type": WEB_ASSETS[req.path]!.contentType },
        body: bytes,
      };
    }
    case "/":
    case "/index.html":
      return { status: 200, headers: PAGE_HEADERS, body: r.page };
    case "/app.js":
    case "/miner-worker.js":
    case "/verushash.wasm":
    case "/verushash-simd.wasm": {
      const bytes = ASSET_BYTES.get(req.path);
      if (bytes === null || bytes === undefined)
        return text(`${req.path} was not built: ${BUILD_HINT}\n`, 503);
      const headers = {
        ...NOSNIFF,
        "Content-Type": WEB_ASSETS[req.path]!.contentType,
        "Content-Security-Policy": CSP,
      };
      return { status: 200, headers, body: bytes };
    }
    case "/ws":
      return { ...text("WebSocket upgrade expected\n", 426), headers: { ...NOSNIFF, Upgrade: "websocket" } };
    case "/health": {
      if (r.box == null) return health(r.core.health(), r.core.stats());
      const b = r.box.numbers(own(r));
      const down = b.workers.filter((w) => w.state !== "up").map((w) => w.index);
      const workers = b.workers.map((w) => ({ index: w.index, pid: w.pid, state: w.state, ok: w.ok }));
      return health(b.health, b.stats, { workers, down }, b.upstreamWorkers);
    }
    case "/stats":
    case "/metrics": {
      if (!r.statsPublic && !isLoopback(req.client))
        return text("loopback only (bridge.stats_public)\n", 403);
      if (req.path === "/stats" && new URLSearchParams(req.query ?? "").get("scope") === "fleet") {
        const fleet = r.core.fleet?.();
        return fleet === undefined ? text("no fleet view here\n", 404) : json(fleet);
      }
      const n = r.box == null ? own(r) : r.box.numbers(own(r));
      const box = "workers" in n ? (n as BoxNumbers) : undefined;
      if (req.path === "/stats")
        return json({ ...n.stats, downstream: n.downstream, ...(box ? { workers: box.workers } : {}) });
      return {
        status: 200,
        headers: { ...NOSNIFF, "Content-Type": METRICS_CONTENT_TYPE },
        body: renderMetrics(n.stats, n.downstream, box),
      };
    }
    default:
      return text("not found\n", 404);
  }
}

/** This process's numbers. */
function own(r: HttpRoutes): ProcessNumbers {
  return {
    stats: r.core.stats(),
    downstream: { ...r.counters.snapshot(), sockets: r.sockets() },
    health: r.core.health(),
  };
}

/**
 * 200 only when a miner can get work now (BridgeCore.health; with workers: on some worker); 503
 * with the reason otherwise. `upstreamWorkers`: the worker of each upstream, with workers.
 */
function health(
  h: BridgeHealth,
  s: BridgeStats,
  box: Record<string, unknown> = {},
  upstreamWorkers: readonly number[] = [],
): HttpReply {
  const degraded = "degraded" in h && typeof h.degraded === "string" ? { degraded: h.degraded } : {};
  return json(
    {
      ok: h.ok,
      // ok with something failing that costs nothing yet (the ledger's database): still 200, so a
      // load balancer keeps the bridge (every bridge of a fleet shares that database).
      status: !h.ok ? "down" : "degraded" in degraded ? "degraded" : "ok",
      ...(h.ok ? degraded : { reason: h.reason }),
      uptimeSeconds: s.uptimeSeconds,
      // Connected: subscribed now (an extranonce1 of a connection that is gone does not count).
      upstreams: s.upstreams.map((u, i) => ({
        ...(upstreamWorkers[i] === undefined ? {} : { worker: upstreamWorkers[i] }),
        state: u.state,
        connected: u.extranonce1 !== null && (u.state === "subscribed" || u.state === "authorized"),
      })),
      ...box,
    },
    h.ok ? 200 : 503,
  );
}
