/**
 * `vbridge mine`: the headless miner (src/miner/) on worker threads, against one pool or a
 * failover list. Flags map onto MinerOptions in one function (minerInputFromFlags) so that the
 * config layer can feed the same options. With --json the log goes to stderr and stdout carries
 * exactly the final summary. SIGINT/SIGTERM stop cleanly (a second one exits at once).
 */
import { defineCommand } from "citty";
import { parseImpl } from "../hash/index.ts";
import {
  DEFAULT_REPORT_INTERVAL_SECONDS,
  MAX_THREADS,
  resolveMinerOptions,
  runMiner,
  useColor,
  type MinerOptionsInput,
} from "../miner/index.ts";
import { parseIntFlag, parseSecondsFlag, rejectUnknownOptions, repeatedFlag } from "./args.ts";
import { UsageError } from "./errors.ts";

const args = {
  pool: { type: "string", alias: "o", description: "pool URL stratum+tcp://host:port or stratum+ssl://… (repeat for failover)" },
  user: { type: "string", alias: "u", description: "ADDRESS[.WORKER] to mine for" },
  pass: { type: "string", alias: "p", description: "pool password (default x)" },
  threads: { type: "string", alias: "t", description: `worker threads, 1 to ${MAX_THREADS} (default: one per core)` },
  impl: { type: "string", default: "auto", description: "auto | portable | aesni | armv8" },
  "report-interval": { type: "string", default: String(DEFAULT_REPORT_INTERVAL_SECONDS), description: "seconds between hashrate lines" },
  duration: { type: "string", description: "stop cleanly after this many seconds" },
  json: { type: "boolean", default: false, description: "print the final summary as JSON on stdout (log on stderr)" },
  "api-port": { type: "string", description: "serve JSON stats on http://127.0.0.1:PORT/ (off by default)" },
  debug: { type: "boolean", default: false, description: "protocol traces (passwords redacted)" },
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
    const options = resolveMinerOptions(minerInputFromFlags(a, rawArgs));
    const logStream = options.json ? process.stderr : process.stdout;
    const stop = new AbortController();
    const onSignal = (name: NodeJS.Signals) => {
      if (stop.signal.aborted) process.exit(130); // the second Ctrl-C: do not wait any longer
      stop.abort(name);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    try {
      await runMiner(options, {
        log: (line) => void logStream.write(`${line}\n`),
        color: useColor(logStream, process.env),
        out: (line) => void process.stdout.write(`${line}\n`),
        signal: stop.signal,
      });
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
    return 0;
  },
});

/** Flags → MinerOptionsInput; flag-level errors name the flag (E_USAGE, exit 2). */
export function minerInputFromFlags(a: MineArgs, rawArgs: readonly string[]): MinerOptionsInput {
  const pools = repeatedFlag(rawArgs, ["pool", "o"]);
  if (pools.length === 0) throw new UsageError("E_USAGE", "--pool URL is required (e.g. stratum+tcp://host:3956)");
  if (a.user === undefined || a.user.trim() === "")
    throw new UsageError("E_USAGE", "--user ADDRESS[.WORKER] is required");
  const tls = {
    ...(a["tls-ca-file"] === undefined ? {} : { caFile: a["tls-ca-file"] }),
    ...(a["tls-fingerprint"] === undefined ? {} : { fingerprint: a["tls-fingerprint"] }),
  };
  return {
    pools,
    user: a.user,
    pass: a.pass,
    threads: a.threads === undefined ? undefined : parseIntFlag("threads", a.threads, 1, MAX_THREADS),
    impl: parseImpl(a.impl ?? "auto"),
    reportIntervalSeconds: parseSecondsFlag("report-interval", a["report-interval"] ?? String(DEFAULT_REPORT_INTERVAL_SECONDS)),
    durationSeconds: a.duration === undefined ? undefined : durationFlag(a.duration),
    json: a.json,
    apiPort: a["api-port"] === undefined ? undefined : parseIntFlag("api-port", a["api-port"], 1, 65535),
    debug: a.debug,
    tls,
  };
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
