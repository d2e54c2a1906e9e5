// in-process.ts — the built-in pool inside the bridge's or the miner's own process, for
// `upstream.pools = ["builtin"]`: the shipped config mines offline. It listens on an ephemeral
// loopback port (never exposed) with the [builtin_pool] settings, and the client connects to it
// like to any pool. Its own log goes to debug, except its start line: the caller's summary
// covers the rest.

import { BUILTIN_POOL, type Config } from "../config/index.ts";
import type { PoolOptions } from "./options.ts";
import { PoolServer } from "./server.ts";
import type { Logger } from "../upstream/index.ts";

/** The built-in pool for "builtin" in upstream.pools; the caller stops it. */
export function startBuiltinPool(config: Readonly<Config>, log: Logger, overrides: Partial<PoolOptions> = {}): PoolServer {
  const p = config.builtin_pool;
  return PoolServer.start({
    host: "127.0.0.1",
    port: 0,
    difficulty: p.difficulty,
    vardiff: p.vardiff ? {} : null,
    jobIntervalSeconds: p.job_interval,
    blockIntervalSeconds: p.block_interval,
    impl: config.impl,
    summaryIntervalSeconds: null,
    log: (line) => (line.startsWith("pool listening") ? log.info(`builtin ${line}`) : log.debug(`builtin pool: ${line}`)),
    ...overrides,
  });
}

/** upstream.pools with "builtin" replaced by the in-process pool's URL. */
export function withBuiltinUrl(pools: readonly string[], builtin: PoolServer | null): string[] {
  return pools.map((p) => (p === BUILTIN_POOL && builtin !== null ? `stratum+tcp://127.0.0.1:${builtin.port}` : p));
}
