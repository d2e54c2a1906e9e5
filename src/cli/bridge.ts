/**
 * `vbridge bridge` (and `vbridge` with mode = "bridge"): the bridge core (src/bridge/) with its
 * upstream pool session(s) — the built-in pool in this process when upstream.pools has "builtin"
 * — and the downstream servers for miners (src/downstream/: HTTP + WebSocket on bridge.port,
 * Stratum TCP on bridge.stratum_port when set). Settings: config.toml, then the seed's environment
 * (POOL_URL, POOL_USER, POOL_PASS, WS_PORT, DEBUG), then these flags. SIGINT/SIGTERM: stop taking
 * shares, let the pool answer the forwarded ones (bounded), close the ledger, exit 0.
 */
import { defineCommand } from "citty";
import { startDownstream, type Downstream } from "../downstream/index.ts";
import { consoleLogger } from "../util/log.ts";
import { rejectUnknownOptions } from "./args.ts";
import { downstreamOptions, startBridgeStack } from "./compose.ts";
import { cliConfig, configArgs, configFlags } from "./config.ts";
import { untilSignal } from "./signals.ts";

const args = configArgs("bridge");

export const bridgeCommand = defineCommand({
  meta: {
    name: "bridge",
    description: "connect browser and native miners to a Stratum pool (default command)",
  },
  args,
  async run({ args: a, rawArgs }) {
    rejectUnknownOptions(rawArgs, args);
    const config = cliConfig(a.config, configFlags("bridge", a, rawArgs));
    const log = consoleLogger({ debug: config.debug });
    const stack = startBridgeStack(config, { log });
    let downstream: Downstream;
    try {
      downstream = startDownstream(stack.bridge, downstreamOptions(config.bridge), log);
    } catch (e) {
      await stack.stop();
      throw e;
    }
    await untilSignal();
    log.info("stopping: no new miners or shares, waiting for the pool's answers");
    // Miners first (no new shares reach the core), then the core drains and its ledger closes,
    // then the in-process pool stops.
    await downstream.stop();
    await stack.stop();
    return 0;
  },
});
