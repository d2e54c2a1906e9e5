/**
 * `vbridge pool`: the built-in Stratum pool with synthetic PBaaS jobs (src/pool/), or solo mining
 * on the operator's verusd with --daemon / --daemon-conf (src/daemon/: its templates, longpoll,
 * blocks submitted to it). Every share is
 * validated with real VerusHash, as v-nomp would; one log line per connection event and per share,
 * a summary every minute and when it stops (SIGINT / SIGTERM). Settings come from [builtin_pool]
 * of config.toml, overridden by the flags; the vardiff tuning and test knobs are flags only.
 */
import { defineCommand } from "citty";
import { checkDifficulty, PoolServer, type PoolOptions } from "../pool/index.ts";
import type { VardiffOptions } from "../protocol/index.ts";
import { isCodedError } from "../util/errors.ts";
import { consoleLogger } from "../util/log.ts";
import { parseIntFlag, parseNumberFlag, parseSecondsFlag, rejectUnknownOptions } from "./args.ts";
import { describe, loadCertificate, reloadCertificates, type CertificateFiles } from "./certificates.ts";
import { openDaemon } from "./compose.ts";
import { cliConfig, configArgs, configFlags } from "./config.ts";
import { UsageError } from "./errors.ts";
import { untilSignal } from "./signals.ts";

const args = {
  ...configArgs("pool"),
  "share-interval": { type: "string", description: "vardiff: seconds between shares per miner (default 10)" },
  "min-diff": { type: "string", description: "vardiff: lowest difficulty (default diff/1024)" },
  "max-diff": { type: "string", description: "vardiff: highest difficulty (default diff*1024)" },
  "idle-timeout": {
    type: "string",
    description: "close miners that have not submitted for this many seconds",
  },
  "flood-guard": {
    type: "boolean",
    default: true,
    description: "close a peer with >10240 bytes unprocessed (v-nomp)",
  },
  seed: { type: "string", description: "deterministic jobs (an integer)" },
} as const;

export const poolCommand = defineCommand({
  meta: { name: "pool", description: "run the built-in Stratum pool (synthetic jobs, real share checks)" },
  args,
  async run({ args: a, rawArgs }) {
    rejectUnknownOptions(rawArgs, args);
    const config = cliConfig(a.config, configFlags("pool", a, rawArgs));
    const p = config.builtin_pool;
    const given = (["share-interval", "min-diff", "max-diff"] as const).find((f) => a[f] !== undefined);
    if (!p.vardiff && given !== undefined) throw new UsageError("E_USAGE", `--${given} needs --vardiff`);
    // Only the flags given: the pool's defaults fill the rest.
    const vardiff: Partial<VardiffOptions> = {};
    const interval = a["share-interval"];
    if (interval !== undefined) vardiff.targetShareSeconds = parseSecondsFlag("share-interval", interval);
    if (a["min-diff"] !== undefined) vardiff.minDifficulty = difficultyFlag("min-diff", a["min-diff"]);
    if (a["max-diff"] !== undefined) vardiff.maxDifficulty = difficultyFlag("max-diff", a["max-diff"]);
    const files: CertificateFiles = {
      cert: p.tls_cert,
      key: p.tls_key,
      names: { cert: "builtin_pool.tls_cert", key: "builtin_pool.tls_key" },
    };
    const tls = p.tls_port === 0 ? null : loadCertificate(files);
    const log = consoleLogger({ debug: false });
    if (tls !== null) log.info(`TLS certificate: ${describe(tls)}`);
    const options: PoolOptions = {
      host: p.host,
      port: p.port,
      tls: tls === null ? null : { port: p.tls_port, cert: tls.cert, key: tls.key },
      difficulty: difficultyFlag("diff", String(p.difficulty)),
      vardiff: p.vardiff ? vardiff : null,
      jobIntervalSeconds: p.job_interval,
      blockIntervalSeconds: p.block_interval,
      idleTimeoutSeconds:
        a["idle-timeout"] === undefined ? null : parseSecondsFlag("idle-timeout", a["idle-timeout"]),
      floodGuardBytes: a["flood-guard"] ? undefined : null,
      seed: a.seed === undefined ? undefined : parseIntFlag("seed", a.seed, 0, Number.MAX_SAFE_INTEGER),
      impl: config.impl,
      log,
    };
    const daemon = openDaemon(config, log);
    const server = startPool({ ...options, daemon });
    const stopReload = reloadCertificates(
      tls === null ? null : files,
      (pair) => server.setCertificate(pair),
      log,
    );
    try {
      // A signal, or the daemon refusing us for good (401, no mining address): one line, exit 2.
      await Promise.race([
        untilSignal(),
        daemon === null ? new Promise<never>(() => {}) : daemon.ready.then(() => untilSignal()),
      ]);
    } finally {
      stopReload();
      server.stop(); // logs the final summary line; stops the daemon source
    }
    return 0;
  },
});

/** A difficulty flag: a finite number above 0 whose target is not 0. */
function difficultyFlag(flag: string, value: string): number {
  const n = parseNumberFlag(flag, value, { min: 0, exclusiveMin: true, max: Infinity });
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
