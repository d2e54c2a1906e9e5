/**
 * `vbridge pool`: the built-in Stratum pool with synthetic PBaaS jobs (src/pool/). Every share is
 * validated with real VerusHash, as v-nomp would; one log line per connection event and per share,
 * a summary every minute and when it stops (SIGINT / SIGTERM).
 */
import { defineCommand } from "citty";
import { parseImpl } from "../hash/index.ts";
import { checkDifficulty, DEFAULT_DIFFICULTY, PoolServer, type PoolOptions } from "../pool/index.ts";
import { isCodedError } from "../util/errors.ts";
import { parseIntFlag, parseSecondsFlag, rejectUnknownOptions } from "./args.ts";
import { UsageError } from "./errors.ts";

const args = {
  port: { type: "string", default: "3956", description: "TCP port (0: any free port, printed at start)" },
  host: { type: "string", default: "127.0.0.1", description: "address to listen on" },
  diff: { type: "string", default: String(DEFAULT_DIFFICULTY), description: "share difficulty (fractional allowed, e.g. 0.0000001)" },
  vardiff: { type: "boolean", default: false, description: "steer each miner's difficulty toward --share-interval" },
  "share-interval": { type: "string", description: "vardiff: seconds between shares per miner (default 10)" },
  "min-diff": { type: "string", description: "vardiff: lowest difficulty (default diff/1024)" },
  "max-diff": { type: "string", description: "vardiff: highest difficulty (default diff*1024)" },
  "job-interval": { type: "string", default: "5", description: "seconds between new jobs of a block" },
  "block-interval": { type: "string", default: "60", description: "seconds between new blocks" },
  "idle-timeout": { type: "string", description: "close miners that have not submitted for this many seconds" },
  "flood-guard": { type: "boolean", default: true, description: "close a peer with >10240 bytes unprocessed (v-nomp)" },
  seed: { type: "string", description: "deterministic jobs (an integer)" },
  impl: { type: "string", default: "auto", description: "auto | portable | aesni | armv8" },
} as const;

export const poolCommand = defineCommand({
  meta: { name: "pool", description: "run the built-in Stratum pool (synthetic jobs, real share checks)" },
  args,
  async run({ args: a, rawArgs }) {
    rejectUnknownOptions(rawArgs, args);
    const difficulty = difficultyFlag("diff", a.diff);
    const vardiffFlags = { "share-interval": a["share-interval"], "min-diff": a["min-diff"], "max-diff": a["max-diff"] };
    const given = Object.entries(vardiffFlags).filter(([, v]) => v !== undefined);
    if (!a.vardiff && given.length > 0) throw new UsageError("E_USAGE", `--${given[0]![0]} needs --vardiff`);
    const options: PoolOptions = {
      host: a.host,
      port: parseIntFlag("port", a.port, 0, 65535),
      difficulty,
      vardiff: a.vardiff
        ? {
            ...(a["share-interval"] === undefined ? {} : { targetShareSeconds: parseSecondsFlag("share-interval", a["share-interval"]) }),
            ...(a["min-diff"] === undefined ? {} : { minDifficulty: difficultyFlag("min-diff", a["min-diff"]) }),
            ...(a["max-diff"] === undefined ? {} : { maxDifficulty: difficultyFlag("max-diff", a["max-diff"]) }),
          }
        : null,
      jobIntervalSeconds: parseSecondsFlag("job-interval", a["job-interval"]),
      blockIntervalSeconds: parseSecondsFlag("block-interval", a["block-interval"]),
      idleTimeoutSeconds: a["idle-timeout"] === undefined ? null : parseSecondsFlag("idle-timeout", a["idle-timeout"]),
      floodGuardBytes: a["flood-guard"] ? undefined : null,
      seed: a.seed === undefined ? undefined : parseIntFlag("seed", a.seed, 0, Number.MAX_SAFE_INTEGER),
      impl: parseImpl(a.impl),
    };
    if (a.host.trim() === "") throw new UsageError("E_USAGE", "--host must not be empty");
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

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off("SIGINT", done);
      process.off("SIGTERM", done);
      resolve();
    };
    process.on("SIGINT", done);
    process.on("SIGTERM", done);
  });
}
