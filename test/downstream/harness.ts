// harness.ts — starts the downstream servers on ephemeral loopback ports over a FakeCore with the
// configured defaults (overridable per test), collects their log lines, and tears everything down
// after each test.

import { afterEach } from "bun:test";
import type { Config } from "../../src/config/index.ts";
import { loadConfig } from "../../src/config/index.ts";
import { downstreamOptions } from "../../src/cli/compose.ts";
import { startDownstream, type Downstream, type DownstreamTuning } from "../../src/downstream/index.ts";
import type { Logger } from "../../src/util/log.ts";
import { TestClient } from "../pool/client.ts";
import { FakeCore } from "./fake-core.ts";
import { WsTestClient } from "./ws-client.ts";

export const DEFAULTS: Config["bridge"] = { ...loadConfig({ file: null, env: {} }).bridge, port: 0 };

export interface Started {
  core: FakeCore;
  ds: Downstream;
  url(path?: string): string;
  ws(path?: string, options?: Parameters<typeof WsTestClient.open>[1]): Promise<WsTestClient>;
  stratum(): Promise<TestClient>;
}

export function harness() {
  const running: Downstream[] = [];
  const clients: { close(): void }[] = [];
  const logs: string[] = [];
  const log: Logger = {
    debug: (m) => logs.push(`debug ${m}`),
    info: (m) => logs.push(`info ${m}`),
    warn: (m) => logs.push(`warn ${m}`),
    error: (m) => logs.push(`error ${m}`),
  };
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    for (const d of running.splice(0)) await d.stop();
    logs.length = 0;
  });
  return {
    logs,
    start(
      options: Partial<Config["bridge"]> = {},
      tuning: DownstreamTuning = {},
      core = new FakeCore(),
    ): Started {
      const ds = startDownstream(core, downstreamOptions({ ...DEFAULTS, ...options }), log, {
        detectMs: 200,
        sweepMs: 50,
        stratumEphemeral: true,
        ...tuning,
      });
      running.push(ds);
      const url = (path = "/ws") => `ws://127.0.0.1:${ds.port}${path}`;
      return {
        core,
        ds,
        url,
        async ws(path = "/ws", o = {}) {
          const c = await WsTestClient.open(url(path), o);
          clients.push(c);
          return c;
        },
        async stratum() {
          const c = await TestClient.connect(ds.stratumPort!);
          clients.push(c);
          return c;
        },
      };
    },
    track<T extends { close(): void }>(c: T): T {
      clients.push(c);
      return c;
    },
  };
}

/** Polls `f` until it is true (tests assert behaviour, not timing; the wait is only a bound). */
export async function until(
  f: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await f())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(5);
  }
}
