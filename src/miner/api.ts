/**
 * The optional stats endpoint (--api-port), like ccminer's API but read-only JSON over HTTP:
 * GET / (or /summary) answers the same object as the --json summary. Loopback only, so nothing
 * is exposed to the network; anything else is 404.
 */
import { MinerError } from "./errors.ts";
import type { MinerSummary } from "./stats.ts";

export interface StatsApi {
  /** The bound port (the real one when asked for 0). */
  readonly port: number;
  stop(): void;
}

const HOST = "127.0.0.1";

export function startStatsApi(port: number, summary: () => MinerSummary): StatsApi {
  let server: ReturnType<typeof Bun.serve>;
  try {
    server = Bun.serve({
      hostname: HOST,
      port,
      fetch(req) {
        const path = new URL(req.url).pathname;
        if (req.method === "GET" && (path === "/" || path === "/summary")) return Response.json(summary());
        return new Response("not found\n", { status: 404 });
      },
      // Bun's default error page would show a stack trace; a bug here is logged by the caller's run.
      error: () => new Response("internal error\n", { status: 500 }),
    });
  } catch (e) {
    throw new MinerError(
      "E_MINER_API",
      `cannot serve stats on ${HOST}:${port}: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    );
  }
  return { port: server.port ?? port, stop: () => void server.stop(true) };
}
