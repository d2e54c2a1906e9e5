// builtin.ts — the built-in pool (src/pool) inside the bridge's process, for `upstream.pools =
// ["builtin"]`: the shipped config mines offline. It listens on an ephemeral loopback port (never
// exposed) with the [builtin_pool] settings, and the bridge connects to it like to any pool. Its
// own log goes to debug, except its start line: the bridge's summary covers the rest.

import type { Config } from "../config/index.ts";
import { PoolServer, type PoolOptions } from "../pool/index.ts";
import type { Logger } from "../upstream/index.ts";

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
