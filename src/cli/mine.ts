/**
 * `vbridge mine`: the headless miner (src/miner/) on worker threads, against one pool or a
 * failover list. Settings come from config.toml ([upstream], [miner]) and the environment,
 * overridden by the flags (minerInput maps them); "builtin" in upstream.pools (the shipped
 * default) mines on the built-in pool inside this process, offline. With --json the log goes to
 * stderr and stdout carries exactly the final summary. SIGINT/SIGTERM stop cleanly (a second one
 * exits at once).
 */
import { defineCommand } from "citty";
import type { Config } from "../config/index.ts";
import {
  resolveMinerOptions,
  runMiner,
  useColor,
  type MinerOptions,
  type MinerOptionsInput,
} from "../miner/index.ts";
import type { PoolServer } from "../pool/index.ts";
import { consoleLogger } from "../util/log.ts";
import { parseSecondsFlag, rejectUnknownOptions } from "./args.ts";
import { poolClientOptions, startInProcessPool } from "./compose.ts";
import { cliConfig, configArgs, configFlags } from "./config.ts";

const args = {
  ...configArgs("mine"),
  duration: { type: "string", description: "stop cleanly after this many seconds" },
  json: {
    type: "boolean",
    default: false,
    description: "print the final summary as JSON on stdout (log on stderr)",
  },
} as const;

/** --duration may be long (a day's test run); setTimeout's limit, in seconds, is the cap. */
const MAX_DURATION_SECONDS = 2_000_000;

export const mineCommand = defineCommand({
  meta: { name: "mine", description: "mine VRSC on a Stratum pool with worker threads (headless miner)" },
  args,
  async run({ args: a, rawArgs }) {
    rejectUnknownOptions(rawArgs, args);
    const config = cliConfig(a.config, configFlags("mine", a, rawArgs));
    const logStream = a.json ? process.stderr : process.stdout;
    // Every line on one stream, so that --json leaves stdout to the summary alone.
    const log = consoleLogger({ debug: config.debug, write: (line) => void logStream.write(`${line}\n`) });
    const builtin = startInProcessPool(config, log);
    let options: MinerOptions;
    try {
      options = resolveMinerOptions(minerInput(config, a, builtin));
    } catch (e) {
      builtin?.stop(); // a listening pool would keep the process alive after the usage error
      throw e;
    }
    const stop = new AbortController();
    const onSignal = (name: NodeJS.Signals) => {
      if (stop.signal.aborted) process.exit(130); // the second Ctrl-C: do not wait any longer
      stop.abort(name);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    try {
      await runMiner(options, {
        log,
        color: useColor(logStream, process.env),
        out: (line) => void process.stdout.write(`${line}\n`),
        signal: stop.signal,
      });
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      builtin?.stop();
    }
    return 0;
  },
});

/** Configuration and the run-only flags (--duration, --json) → MinerOptionsInput. */
function minerInput(
  config: Readonly<Config>,
  a: { duration?: string; json: boolean },
  builtin: PoolServer | null,
): MinerOptionsInput {
  // "vbridge.miner" is the miner's name on the built-in pool when upstream.user is empty.
  const client = poolClientOptions(config, builtin, "vbridge.miner");
  return {
    pools: client.pools,
    user: client.user,
    pass: client.password,
    threads: config.miner.threads,
    impl: config.impl,
    lanes: config.lanes,
    reportIntervalSeconds: config.miner.report_interval,
    durationSeconds:
      a.duration === undefined ? undefined : parseSecondsFlag("duration", a.duration, MAX_DURATION_SECONDS),
    json: a.json,
    apiPort: config.miner.api_port === 0 ? undefined : config.miner.api_port,
    debug: config.debug,
    tls: client.tls,
    returnToPrimary: client.returnToPrimary,
  };
}
