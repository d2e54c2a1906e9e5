/**
 * `vbridge bridge` (and `vbridge` with mode = "bridge"): the bridge core (src/bridge/) with its
 * upstream pool session(s) — the built-in pool in this process when upstream.pools has "builtin"
 * — and the downstream servers for miners (src/downstream/: HTTP + WebSocket on bridge.port,
 * Stratum TCP on bridge.stratum_port when set). Settings: config.toml, then the seed's environment
 * (POOL_URL, POOL_USER, POOL_PASS, WS_PORT, DEBUG), then these flags. At start the open-files limit
 * is raised to its hard limit and bridge.max_connections kept below it (net/fd-limit.ts). SIGHUP
 * and changed files reload the TLS certificate (certificates.ts). SIGINT/SIGTERM: stop taking
 * shares, let the pool answer the forwarded ones (bounded), close the ledger, exit 0.
 */
import { defineCommand } from "citty";
import { startDownstream, type Downstream } from "../downstream/index.ts";
import { connectionBudget, openFds, raiseFdLimit } from "../net/fd-limit.ts";
import { consoleLogger } from "../util/log.ts";
import { rejectUnknownOptions } from "./args.ts";
import { downstreamOptions, startBridgeStack } from "./compose.ts";
import { describe, loadCertificate, reloadCertificates, type CertificateFiles } from "./certificates.ts";
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
    const files: CertificateFiles = {
      cert: config.bridge.tls_cert,
      key: config.bridge.tls_key,
      names: { cert: "bridge.tls_cert", key: "bridge.tls_key" },
    };
    const tls = loadCertificate(files);
    if (tls !== null) log.info(`TLS certificate: ${describe(tls)}`);
    const limits = raiseFdLimit();
    const budget = connectionBudget(config.bridge.max_connections, limits, openFds());
    const stack = startBridgeStack(config, { log, maxConnections: budget.maxConnections });
    let downstream: Downstream;
    try {
      const pair = tls === null ? null : { cert: tls.cert, key: tls.key };
      downstream = startDownstream(
        stack.bridge,
        downstreamOptions(config.bridge, pair, budget.maxConnections),
        log,
      );
    } catch (e) {
      await stack.stop();
      throw e;
    }
    for (const w of budget.warnings) log.warn(w);
    const stopReload = reloadCertificates(
      tls === null ? null : files,
      (p) => downstream.setCertificate(p),
      log,
    );
    await untilSignal();
    stopReload();
    log.info("stopping: no new miners or shares, waiting for the pool's answers");
    // Miners first (no new shares reach the core), then the core drains and its ledger closes,
    // then the in-process pool stops.
    await downstream.stop();
    await stack.stop();
    return 0;
  },
});
