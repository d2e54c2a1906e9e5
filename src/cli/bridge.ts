/**
 * `vbridge bridge` (and `vbridge` with mode = "bridge"): the bridge core (src/bridge/) with its
 * upstream pool session(s) — the built-in pool in this process when upstream.pools has "builtin"
 * — and the downstream servers for miners (src/downstream/: HTTP + WebSocket on bridge.port,
 * Stratum TCP on bridge.stratum_port when set). Settings: config.toml, then the seed's environment
 * (POOL_URL, POOL_USER, POOL_PASS, WS_PORT, DEBUG), then these flags. SIGINT/SIGTERM: stop taking
 * shares, let the pool answer the forwarded ones (bounded), close the ledger, exit 0.
 */
import { defineCommand } from "citty";
import { Bridge } from "../bridge/index.ts";
import { startDownstream, type Downstream } from "../downstream/index.ts";
import { consoleLogger } from "../util/log.ts";
import { rejectUnknownOptions, repeatedFlag } from "./args.ts";
import { cliConfig, configArg } from "./config.ts";
import { untilSignal } from "./signals.ts";

const args = {
  ...configArg,
  pool: { type: "string", description: 'pool URL, or "builtin" (repeat or comma-separate for failover; env POOL_URL)' },
  user: { type: "string", description: "your VRSC ADDRESS[.WORKER] at the pool (env POOL_USER)" },
  pass: { type: "string", description: "pool password (env POOL_PASS; default x)" },
  port: { type: "string", description: "HTTP/WebSocket port for browser miners (env WS_PORT; default 8080)" },
  "stratum-port": { type: "string", description: "Stratum TCP port for native miners (default 0: off)" },
  debug: { type: "boolean", description: "protocol traces in the log, secrets redacted (env DEBUG)" },
} as const;

export const bridgeCommand = defineCommand({
  meta: { name: "bridge", description: "connect browser and native miners to a Stratum pool (default command)" },
  args,
  async run({ args: a, rawArgs }) {
    rejectUnknownOptions(rawArgs, args);
    const pools = repeatedFlag(rawArgs, ["pool"]).flatMap((p) => p.split(",").map((s) => s.trim()));
    const config = cliConfig(a.config, [
      { key: "upstream.pools", value: pools.length === 0 ? undefined : pools, flag: "--pool" },
      { key: "upstream.user", value: a.user, flag: "--user" },
      { key: "upstream.pass", value: a.pass, flag: "--pass" },
      { key: "bridge.port", value: a.port, flag: "--port" },
      { key: "bridge.stratum_port", value: a["stratum-port"], flag: "--stratum-port" },
      { key: "debug", value: a.debug, flag: "--debug" },
    ]);
    const log = consoleLogger({ debug: config.debug });
    const bridge = Bridge.start({ config, log });
    let downstream: Downstream;
    try {
      downstream = startDownstream(bridge, config.bridge, log);
    } catch (e) {
      await bridge.stop();
      throw e;
    }
    await untilSignal();
    log.info("stopping: no new miners or shares, waiting for the pool's answers");
    // Miners first (no new shares reach the core), then the core drains, then the ledger closes.
    await downstream.stop();
    await bridge.stop();
    return 0;
  },
});
