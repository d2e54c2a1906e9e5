// http.ts — the plain HTTP routes beside /ws on the bridge's port: `/` (the browser miner page)
// with its script, worker and WebAssembly files (web-assets.ts), `/health` (public: ok + upstream
// state, 503 while no upstream has work), `/stats` (JSON) and `/metrics` (Prometheus text), the last
// two from loopback only unless bridge.stats_public. Nothing here reaches the core beyond stats().

import type { Server } from "bun";
import type { BridgeCore } from "../bridge/contract.ts";
import { isLoopback, normaliseIp } from "./access.ts";
import { METRICS_CONTENT_TYPE, renderMetrics, type DownstreamCounters } from "./metrics.ts";
import { BUILD_HINT, WEB_ASSETS } from "./web-assets.ts";
import type { WsData, WsServer } from "./ws-server.ts";

export interface HttpRoutes {
  core: BridgeCore;
  ws: WsServer;
  counters: DownstreamCounters;
  statsPublic: boolean;
  page: string;
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

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...NOSNIFF, "Content-Type": "application/json" },
  });
}

function text(body: string, status: number): Response {
  return new Response(body, { status, headers: { ...NOSNIFF, "Content-Type": "text/plain; charset=utf-8" } });
}

export function route(req: Request, server: Server<WsData>, r: HttpRoutes): Response | undefined {
  const path = new URL(req.url).pathname;
  const upgrade = req.headers.get("upgrade")?.toLowerCase() === "websocket";
  if (path === "/ws" || (path === "/" && upgrade)) return r.ws.upgrade(req, server);
  if (req.method !== "GET" && req.method !== "HEAD") return text("method not allowed\n", 405);
  switch (path) {
    case "/":
    case "/index.html":
      return new Response(r.page, { headers: PAGE_HEADERS });
    case "/app.js":
    case "/miner-worker.js":
    case "/verushash.wasm":
    case "/verushash-simd.wasm": {
      const asset = WEB_ASSETS[path]!;
      if (asset.path === null) return text(`${path} was not built: ${BUILD_HINT}\n`, 503);
      return new Response(Bun.file(asset.path), {
        headers: { ...NOSNIFF, "Content-Type": asset.contentType, "Content-Security-Policy": CSP },
      });
    }
    case "/health":
      return health(r.core);
    case "/stats":
    case "/metrics": {
      if (!r.statsPublic && !isLoopback(normaliseIp(server.requestIP(req)?.address)))
        return text("loopback only (bridge.stats_public)\n", 403);
      const stats = r.core.stats();
      if (path === "/stats") return json({ ...stats, downstream: r.counters.snapshot() });
      return new Response(renderMetrics(stats, r.counters.snapshot()), {
        headers: { ...NOSNIFF, "Content-Type": METRICS_CONTENT_TYPE },
      });
    }
    default:
      return text("not found\n", 404);
  }
}

/** 200 only when a miner can get work now (BridgeCore.health); 503 with the reason otherwise. */
function health(core: BridgeCore): Response {
  const h = core.health();
  const s = core.stats();
  return json(
    {
      ok: h.ok,
      ...(h.ok ? {} : { reason: h.reason }),
      uptimeSeconds: s.uptimeSeconds,
      // Connected: subscribed now (an extranonce1 of a connection that is gone does not count).
      upstreams: s.upstreams.map((u) => ({
        state: u.state,
        connected: u.extranonce1 !== null && (u.state === "subscribed" || u.state === "authorized"),
      })),
    },
    h.ok ? 200 : 503,
  );
}
