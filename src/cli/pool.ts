/**
 * `vbridge pool`: the built-in Stratum pool with synthetic PBaaS jobs (src/pool/). Every share is
 * validated with real VerusHash, as v-nomp would; one log line per connection event and per share,
 * a summary every minute and when it stops (SIGINT / SIGTERM). Settings come from [builtin_pool]
 * of config.toml, overridden by the flags; the vardiff tuning and test knobs are flags only.
 */
import { defineCommand } from "citty";
import { checkDifficulty, DEFAULT_DIFFICULTY, PoolServer, type PoolOptions } from "../pool/index.ts";
import { isCodedError } from "../util/errors.ts";
import { parseIntFlag, parseSecondsFlag, rejectUnknownOptions } from "./args.ts";
import { cliConfig, configArg } from "./config.ts";
import { UsageError } from "./errors.ts";
import { untilSignal } from "./signals.ts";

const args = {
  ...configArg,
  port: { type: "string", description: "TCP port (0: any free port, printed at start; default 3956)" },
  host: { type: "string", description: "address to listen on (default 127.0.0.1)" },
  diff: { type: "string", description: `share difficulty (fractional allowed, e.g. 0.0000001; default ${DEFAULT_DIFFICULTY})` },
  vardiff: { type: "boolean", description: "steer each miner's difficulty toward --share-interval" },
  "share-interval": { type: "string", description: "vardiff: seconds between shares per miner (default 10)" },
  "min-diff": { type: "string", description: "vardiff: lowest difficulty (default diff/1024)" },
  "max-diff": { type: "string", description: "vardiff: highest difficulty (default diff*1024)" },
  "job-interval": { type: "string", description: "seconds between new jobs of a block (default 5)" },
  "block-interval": { type: "string", description: "seconds between new blocks (default 60)" },
  "idle-timeout": { type: "string", description: "close miners that have not submitted for this many seconds" },
  "flood-guard": { type: "boolean", default: true, description: "close a peer with >10240 bytes unprocessed (v-nomp)" },
  seed: { type: "string", description: "deterministic jobs (an integer)" },
  impl: { type: "string", description: "auto | portable | aesni | armv8 (default auto)" },
} as const;

export const poolCommand = defineCommand({
  meta: { name: "pool", description: "run the built-in Stratum pool (synthetic jobs, real share checks)" },
  args,
  async run({ args: a, rawArgs }) {
    rejectUnknownOptions(rawArgs, args);
    const config = cliConfig(a.config, [
      { key: "builtin_pool.port", value: a.port, flag: "--port" },
      { key: "builtin_pool.host", value: a.host, flag: "--host" },
      { key: "builtin_pool.difficulty", value: a.diff, flag: "--diff" },
      { key: "builtin_pool.vardiff", value: a.vardiff, flag: "--vardiff" },
      { key: "builtin_pool.job_interval", value: a["job-interval"], flag: "--job-interval" },
      { key: "builtin_pool.block_interval", value: a["block-interval"], flag: "--block-interval" },
      { key: "impl", value: a.impl, flag: "--impl" },
    ]);
    const p = config.builtin_pool;
    const difficulty = difficultyFlag("diff", String(p.difficulty));
    const vardiffFlags = { "share-interval": a["share-interval"], "min-diff": a["min-diff"], "max-diff": a["max-diff"] };
    const given = Object.entries(vardiffFlags).filter(([, v]) => v !== undefined);
    if (!p.vardiff && given.length > 0) throw new UsageError("E_USAGE", `--${given[0]![0]} needs --vardiff`);
    const options: PoolOptions = {
      host: p.host,
      port: p.port,
      difficulty,
      vardiff: p.vardiff
        ? {
            ...(a["share-interval"] === undefined ? {} : { targetShareSeconds: parseSecondsFlag("share-interval", a["share-interval"]) }),
            ...(a["min-diff"] === undefined ? {} : { minDifficulty: difficultyFlag("min-diff", a["min-diff"]) }),
            ...(a["max-diff"] === undefined ? {} : { maxDifficulty: difficultyFlag("max-diff", a["max-diff"]) }),
          }
        : null,
      jobIntervalSeconds: p.job_interval,
      blockIntervalSeconds: p.block_interval,
      idleTimeoutSeconds: a["idle-timeout"] === undefined ? null : parseSecondsFlag("idle-timeout", a["idle-timeout"]),
      floodGuardBytes: a["flood-guard"] ? undefined : null,
      seed: a.seed === undefined ? undefined : parseIntFlag("seed", a.seed, 0, Number.MAX_SAFE_INTEGER),
      impl: config.impl,
    };
    const server = startPool(options);
    await untilSignal();
    server.stop(); // logs the final summary line
    return 0;
  },
});

/** A difficulty flag: a finite number above 0 whose target is not 0. */
function difficultyFlag(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n <= 0) {
    throw new UsageError("E_USAGE", `--${flag} must be a number above 0 (got ${JSON.stringify(value)})`);
  }
  try {
    checkDifficulty(`--${flag}`, n);
  } catch (e) {
    if (isCodedError(e)) throw new UsageError("E_USAGE", e.message);
    throw e;
  }
  return n;
}

function startPool(options: PoolOptions): PoolServer {
  try {
    return PoolServer.start(options);
  } catch (e) {
    // Flags were checked above; what is left of E_POOL_OPTIONS is still the user's to fix.
    if (isCodedError(e) && e.code === "E_POOL_OPTIONS") throw new UsageError("E_USAGE", e.message);
    throw e;
  }
}
