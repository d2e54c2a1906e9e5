/**
 * The headless miner's settings: one typed, frozen MinerOptions, checked in one place. The CLI
 * (src/cli/mine.ts) maps the configuration (config.toml [miner] and [upstream], env, flags) onto
 * MinerOptionsInput. Pool URLs, user and TLS are checked by the pool client's own
 * resolveOptions, so a bad URL is the same E_POOL_URL wherever it comes from.
 */
import { availableParallelism } from "node:os";
import { Hasher, parseImpl, resolveImpl, type ImplChoice } from "../hash/index.ts";
import { resolveOptions, type TlsOptions } from "../upstream/index.ts";
import { checkRange, type Range } from "../util/range.ts";
import { MinerError } from "./errors.ts";
import { MAX_THREADS } from "./nonce-space.ts";

export interface MinerOptions {
  /** Pool URLs in failover order (stratum+tcp:// or stratum+ssl:// host:port, optional #xnsub). */
  readonly pools: readonly string[];
  /** ADDRESS[.WORKER]. */
  readonly user: string;
  readonly pass: string;
  readonly threads: number;
  readonly impl: ImplChoice;
  /** Nonces each worker's scan hashes at once (0: the implementation's fastest; 1: one lane). */
  readonly lanes: number;
  /** Seconds between report lines. */
  readonly reportIntervalSeconds: number;
  /** Stop after this many seconds; null: run until SIGINT/SIGTERM. */
  readonly durationSeconds: number | null;
  /** Print the final summary as JSON on stdout (the human log then goes to stderr). */
  readonly json: boolean;
  /** Loopback HTTP stats port; null: off; 0: any free port (tests). */
  readonly apiPort: number | null;
  /** Protocol traces (passwords redacted) and the pool client's own log. */
  readonly debug: boolean;
  readonly tls: Readonly<TlsOptions>;
  readonly returnToPrimary: boolean;
}

/** Pools and user are required; everything else has a default. */
export type MinerOptionsInput = { pools: readonly string[]; user: string } & Partial<
  Omit<MinerOptions, "pools" | "user">
>;

export const DEFAULT_REPORT_INTERVAL_SECONDS = 10;
/** Up to setTimeout's longest delay, in whole seconds. */
const SECONDS: Range = { seconds: true, min: 0, exclusiveMin: true, max: 2_000_000 };

export function resolveMinerOptions(input: MinerOptionsInput): MinerOptions {
  const user = input.user.trim();
  if (user === "") bad("a pool user (ADDRESS[.WORKER]) is required");
  const pass = input.pass ?? "x";
  const tls: TlsOptions = { ...input.tls };
  const returnToPrimary = input.returnToPrimary ?? true;
  // The pool client's checks: URLs (E_POOL_URL), the list (E_POOL_CONFIG), CA file and pin (E_TLS_*).
  resolveOptions({ pools: input.pools, user, password: pass, tls, returnToPrimary });
  const threads = input.threads ?? Math.min(availableParallelism(), MAX_THREADS);
  checkRange("threads", threads, { whole: true, min: 1, max: MAX_THREADS }, bad);
  const impl = parseImpl(input.impl ?? "auto");
  resolveImpl(impl); // E_IMPL_UNAVAILABLE now, not in every worker later
  const lanes = input.lanes ?? 0;
  checkRange("lanes", lanes, { whole: true, min: 0, max: Hasher.LANES_MAX }, bad);
  const reportIntervalSeconds = input.reportIntervalSeconds ?? DEFAULT_REPORT_INTERVAL_SECONDS;
  checkRange("report interval", reportIntervalSeconds, SECONDS, bad);
  const durationSeconds = input.durationSeconds ?? null;
  if (durationSeconds !== null) checkRange("duration", durationSeconds, SECONDS, bad);
  const apiPort = input.apiPort ?? null;
  if (apiPort !== null) checkRange("API port", apiPort, { whole: true, min: 0, max: 65535 }, bad);
  return Object.freeze({
    pools: Object.freeze(input.pools.map((p) => p.trim())),
    user,
    pass,
    threads,
    impl,
    lanes,
    reportIntervalSeconds,
    durationSeconds,
    json: input.json ?? false,
    apiPort,
    debug: input.debug ?? false,
    tls: Object.freeze(tls),
    returnToPrimary,
  });
}

function bad(why: string): never {
  throw new MinerError("E_MINER_OPTIONS", why);
}
