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
  DEFAULT_REPORT_INTERVAL_SECONDS,
  MAX_THREADS,
  resolveMinerOptions,
  runMiner,
  useColor,
  type MinerOptionsInput,
} from "../miner/index.ts";
import { startBuiltinPool, withBuiltinUrl, type PoolServer } from "../pool/index.ts";
import { rejectUnknownOptions, repeatedFlag } from "./args.ts";
import { cliConfig, configArg } from "./config.ts";
import { UsageError } from "./errors.ts";

const args = {
  ...configArg,
  pool: { type: "string", alias: "o", description: "pool URL stratum+tcp://host:port or stratum+ssl://… (repeat for failover)" },
  user: { type: "string", alias: "u", description: "ADDRESS[.WORKER] to mine for" },
  pass: { type: "string", alias: "p", description: "pool password (default x)" },
  threads: { type: "string", alias: "t", description: `worker threads, 1 to ${MAX_THREADS} (default: one per core)` },
  impl: { type: "string", description: "auto | portable | aesni | armv8 (default auto)" },
  "report-interval": { type: "string", description: `seconds between hashrate lines (default ${DEFAULT_REPORT_INTERVAL_SECONDS})` },
  duration: { type: "string", description: "stop cleanly after this many seconds" },
  json: { type: "boolean", default: false, description: "print the final summary as JSON on stdout (log on stderr)" },
  "api-port": { type: "string", description: "serve JSON stats on http://127.0.0.1:PORT/ (off by default)" },
  debug: { type: "boolean", description: "protocol traces (passwords redacted)" },
  "tls-ca-file": { type: "string", description: "PEM file of CAs to trust for stratum+ssl pools" },
  "tls-fingerprint": { type: "string", description: "SHA-256 pin of the pool's certificate (hex, colons allowed)" },
} as const;

type MineArgs = { [K in keyof typeof args]?: (typeof args)[K] extends { type: "boolean" } ? boolean : string };

/** --duration may be long (a day's test run); setTimeout's limit, in seconds, is the cap. */
const MAX_DURATION_SECONDS = 2_000_000;

export const mineCommand = defineCommand({
  meta: { name: "mine", description: "mine VRSC on a Stratum pool with worker threads (headless miner)" },
  args,
  async run({ args: a, rawArgs }) {
    rejectUnknownOptions(rawArgs, args);
    const config = cliConfig(a.config, configFlags(a, rawArgs));
    const logStream = a.json ? process.stderr : process.stdout;
    const log = (line: string) => void logStream.write(`${line}\n`);
    const builtin = config.upstream.pools.includes("builtin") ? inProcessPool(config, log) : null;
    const options = resolveMinerOptions(minerInput(config, a, builtin));
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

/** The flags that set configuration keys (flag > environment > config.toml > default). */
function configFlags(a: MineArgs, rawArgs: readonly string[]) {
  const pools = repeatedFlag(rawArgs, ["pool", "o"]).flatMap((p) => p.split(","));
  return [
    { key: "upstream.pools", value: pools.length > 0 ? pools : undefined, flag: "--pool" },
    { key: "upstream.user", value: a.user, flag: "--user" },
    { key: "upstream.pass", value: a.pass, flag: "--pass" },
    { key: "upstream.tls_ca_file", value: a["tls-ca-file"], flag: "--tls-ca-file" },
    { key: "upstream.tls_fingerprint", value: a["tls-fingerprint"], flag: "--tls-fingerprint" },
    { key: "miner.threads", value: a.threads, flag: "--threads" },
    { key: "miner.report_interval", value: a["report-interval"], flag: "--report-interval" },
    { key: "miner.api_port", value: a["api-port"], flag: "--api-port" },
    { key: "impl", value: a.impl, flag: "--impl" },
    { key: "debug", value: a.debug, flag: "--debug" },
  ];
}

/** Configuration and the run-only flags → MinerOptionsInput. */
export function minerInput(config: Readonly<Config>, a: MineArgs, builtin: PoolServer | null): MinerOptionsInput {
  const u = config.upstream;
  // The built-in pool takes any name; a real pool needs the user's address (the config layer
  // already refused an empty one for real pools).
  const user = u.user.trim() === "" ? "vbridge.miner" : u.user;
  const tls = {
    ...(u.tls_ca_file === "" ? {} : { caFile: u.tls_ca_file }),
    ...(u.tls_fingerprint === "" ? {} : { fingerprint: u.tls_fingerprint }),
  };
  return {
    pools: withBuiltinUrl(u.pools, builtin),
    user,
    pass: u.pass,
    threads: config.miner.threads,
    impl: config.impl,
    reportIntervalSeconds: config.miner.report_interval,
    durationSeconds: a.duration === undefined ? undefined : durationFlag(a.duration),
    json: a.json ?? false,
    apiPort: config.miner.api_port === 0 ? undefined : config.miner.api_port,
    debug: config.debug,
    tls,
    returnToPrimary: u.return_to_primary,
  };
}

function inProcessPool(config: Readonly<Config>, log: (line: string) => void): PoolServer {
  const line = (m: string) => log(m);
  return startBuiltinPool(config, { debug() {}, info: line, warn: line, error: line });
}

function durationFlag(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n <= 0 || n > MAX_DURATION_SECONDS) {
    throw new UsageError(
      "E_USAGE",
      `--duration must be a number of seconds above 0 and at most ${MAX_DURATION_SECONDS} (got ${JSON.stringify(value)})`,
    );
  }
  return n;
}
