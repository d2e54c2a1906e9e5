// harness.ts — the alerts' test bench: a real HTTP webhook receiver (Bun.serve on 127.0.0.1) that
// keeps every request, a bridge state the test sets (stats + health, what watch() reads), and
// Alerts built with a clock the test moves.

import type { BridgeHealth, BridgeStats } from "../../src/bridge/contract.ts";
import { Alerts, type Alert, type AlertsOptions } from "../../src/alerts/index.ts";
import { linesLogger } from "../support/log.ts";

export interface Received {
  path: string;
  contentType: string | null;
  body: Alert;
}

/** A webhook receiver. `status` answers each POST; `hang` never answers (until stop). */
export class Sink {
  readonly received: Received[] = [];
  status = 200;
  hang = false;
  private readonly server: ReturnType<typeof Bun.serve>;

  constructor() {
    this.server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: async (req) => {
        const body = (await req.json()) as Alert;
        this.received.push({
          path: new URL(req.url).pathname,
          contentType: req.headers.get("content-type"),
          body,
        });
        if (this.hang) await Bun.sleep(60_000);
        return new Response("ok", { status: this.status });
      },
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.server.port}/hook`;
  }

  get port(): number {
    return this.server.port!;
  }

  kinds(): string[] {
    return this.received.map((r) => r.body.alert);
  }

  stop(): Promise<void> {
    return this.server.stop(true);
  }
}

/** What watch() reads, set by the test. */
export class BridgeState {
  ok = true;
  reason = "no upstream pool session has work (stratum+tcp://user:hunter2@pool.example:3956: lost)";
  sessions = 0;
  accepted = 0;

  stats(): BridgeStats {
    return {
      uptimeSeconds: 1,
      sessions: { "ws-msgpack": this.sessions, "ws-json": 0, stratum: 0 },
      shares: { accepted: this.accepted, rejected: 0, rejectedByCode: {}, stale: 0, creditedDifficulty: 0 },
      pool: { submitted: 0, accepted: 0, rejected: 0, stale: 0, lost: 0 },
      hashrate: 0,
      upstreams: [
        {
          url: "stratum+tcp://user:hunter2@pool.example:3956",
          state: this.ok ? "connected" : "disconnected",
          extranonce1: null,
          difficulty: null,
          sessions: this.sessions,
        },
      ],
    };
  }

  health(): BridgeHealth {
    return this.ok ? { ok: true } : { ok: false, reason: this.reason };
  }
}

export const DEFAULTS = {
  bridge: "test-bridge:8080",
  poolDownSeconds: 60,
  rejectPercent: 10,
  rejectWindowSeconds: 300,
  noSharesMinutes: 10,
  minIntervalSeconds: 300,
  blockFound: true,
};

/** Alerts on a clock the test moves (`clock.now`), logging into `lines`. */
export function bench(o: Partial<AlertsOptions> & { webhook: string }) {
  const lines: string[] = [];
  const clock = { now: 1_700_000_000_000 };
  const alerts = Alerts.open({ ...DEFAULTS, log: linesLogger(lines), clock: () => clock.now, ...o });
  return { alerts, clock, lines, state: new BridgeState() };
}

export { until } from "../e2e/stack.ts";
