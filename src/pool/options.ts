// options.ts — the built-in pool's settings: defaults, and one check of every value, so that the
// server itself can trust them. The CLI validates its flags first for friendlier messages; a
// caller passing bad values here gets E_POOL_OPTIONS.

import type { BlockResult, DaemonJobSource } from "../daemon/source.ts";
import type { ImplChoice } from "../hash/index.ts";
import { consoleLogger, type Logger } from "../util/log.ts";
import { checkRange } from "../util/range.ts";
import { difficultyToTarget, isProtocolError } from "../protocol/index.ts";
import { PoolError } from "./errors.ts";
import { DEFAULT_MAX_SHARES_PER_JOB } from "./jobs.ts";
import { JOBS_KEPT } from "../protocol/job-window.ts";
import { DEFAULT_NBITS } from "./synthetic.ts";
import { DEFAULT_VARDIFF, vardiffOptionsProblem, type VardiffOptions } from "../protocol/vardiff.ts";

export interface PoolOptions {
  /** Listening address. Default 127.0.0.1 (loopback: nothing is exposed unless asked). */
  host?: string;
  /** 0 = an ephemeral port (read it back from PoolServer.port). Default 3956. */
  port?: number;
  /** A second port for stratum+ssl:// miners (0: ephemeral), with this certificate; null: none. */
  tls?: { port: number; cert: string; key: string } | null;
  /** Share difficulty (diff1 = 0x0007ff…ff); fractional and tiny values allowed. Default 1000. */
  difficulty?: number;
  /** Vardiff on (missing fields take defaults), or off (null/undefined). */
  vardiff?: Partial<VardiffOptions> | null;
  jobIntervalSeconds?: number;
  blockIntervalSeconds?: number;
  /** Deterministic jobs and extranonce1 values. */
  seed?: number;
  impl?: ImplChoice;
  /** Compact block target of the synthetic templates. */
  nBits?: number;
  /** v-nomp's flood guard in bytes; null = off. Default 10 240. */
  floodGuardBytes?: number | null;
  /** Close a connection that has not submitted for this long (checked at job broadcasts); null = never. */
  idleTimeoutSeconds?: number | null;
  maxConnections?: number;
  /** Cap on bytes queued for one socket that does not read. */
  maxOutboundBytes?: number;
  maxJobs?: number;
  maxSharesPerJob?: number;
  /** Period of the summary log line; null = none. */
  summaryIntervalSeconds?: number | null;
  /**
   * Jobs from the operator's verusd (src/daemon) instead of synthetic ones; null = synthetic. The
   * pool stops it when it stops.
   */
  daemon?: DaemonJobSource | null;
  /** Every block the daemon was sent, with its verdict, and the finder's user (for the ledger). */
  onBlock?: ((r: BlockResult, user: string) => void) | null;
  /** Default: the console Logger (info and above). */
  log?: Logger;
  /** Milliseconds; default Date.now. Tests inject one to drive vardiff without waiting. */
  clock?: () => number;
}

/** Every option set: defaults filled in, vardiff complete or null, no seed as null. */
export type ResolvedPoolOptions = Required<Omit<PoolOptions, "vardiff" | "seed">> & {
  vardiff: VardiffOptions | null;
  seed: number | null;
};

export const DEFAULT_PORT = 3956; // the v-nomp port of the recorded sessions
/** A share costs ≈ 8192 × d hashes (verus-stratum.md §6): at 1000, one CPU thread at 1.7 MH/s finds
 * one every ~5 s — enough to watch, not a flood. At difficulty 1 the same thread would send ~200/s. */
export const DEFAULT_DIFFICULTY = 1000;
/** v-nomp / node-stratum-pool: more than this many bytes buffered without processing → destroy. */
export const FLOOD_GUARD_BYTES = 10_240;
export const DEFAULT_JOB_INTERVAL_SECONDS = 5;
export const DEFAULT_BLOCK_INTERVAL_SECONDS = 60;
/** Vardiff bounds default to this factor either side of the start difficulty. */
const VARDIFF_RANGE = 1024;
/** Longest interval a timer can take (setTimeout's 2^31 − 1 ms, in seconds, rounded down). */
const MAX_INTERVAL_SECONDS = 2_000_000;

export function resolvePoolOptions(o: PoolOptions): ResolvedPoolOptions {
  const difficulty = o.difficulty ?? DEFAULT_DIFFICULTY;
  checkDifficulty("difficulty", difficulty);
  const vardiff =
    o.vardiff === null || o.vardiff === undefined
      ? null
      : {
          ...DEFAULT_VARDIFF,
          minDifficulty: difficulty / VARDIFF_RANGE,
          maxDifficulty: difficulty * VARDIFF_RANGE,
          ...o.vardiff,
        };
  if (vardiff !== null) {
    const problem = vardiffOptionsProblem(vardiff);
    if (problem !== null) bad(problem);
    checkDifficulty("vardiff maxDifficulty", vardiff.maxDifficulty);
  }
  const r: ResolvedPoolOptions = {
    host: o.host ?? "127.0.0.1",
    port: o.port ?? DEFAULT_PORT,
    tls: o.tls ?? null,
    difficulty,
    vardiff,
    jobIntervalSeconds: o.jobIntervalSeconds ?? DEFAULT_JOB_INTERVAL_SECONDS,
    blockIntervalSeconds: o.blockIntervalSeconds ?? DEFAULT_BLOCK_INTERVAL_SECONDS,
    seed: o.seed ?? null,
    impl: o.impl ?? "auto",
    nBits: o.nBits ?? DEFAULT_NBITS,
    floodGuardBytes: o.floodGuardBytes === undefined ? FLOOD_GUARD_BYTES : o.floodGuardBytes,
    idleTimeoutSeconds: o.idleTimeoutSeconds ?? null,
    maxConnections: o.maxConnections ?? 1024,
    maxOutboundBytes: o.maxOutboundBytes ?? 1024 * 1024,
    maxJobs: o.maxJobs ?? JOBS_KEPT,
    maxSharesPerJob: o.maxSharesPerJob ?? DEFAULT_MAX_SHARES_PER_JOB,
    summaryIntervalSeconds: o.summaryIntervalSeconds === undefined ? 60 : o.summaryIntervalSeconds,
    daemon: o.daemon ?? null,
    onBlock: o.onBlock ?? null,
    log: o.log ?? consoleLogger({ debug: false }),
    clock: o.clock ?? Date.now,
  };
  if (r.host.trim() === "") bad("host must not be empty");
  integer("port", r.port, 0, 65535);
  if (r.tls !== null) integer("tls port", r.tls.port, 0, 65535);
  seconds("jobIntervalSeconds", r.jobIntervalSeconds);
  seconds("blockIntervalSeconds", r.blockIntervalSeconds);
  if (r.seed !== null && !Number.isSafeInteger(r.seed)) bad(`seed must be a safe integer, got ${r.seed}`);
  integer("nBits", r.nBits, 0, 0xffffffff);
  // 2 bytes for "\r\n" plus room for a real submit line (≈ 2.8 KB).
  if (r.floodGuardBytes !== null) integer("floodGuardBytes", r.floodGuardBytes, 4096, 64 * 1024 * 1024);
  if (r.idleTimeoutSeconds !== null) seconds("idleTimeoutSeconds", r.idleTimeoutSeconds);
  integer("maxConnections", r.maxConnections, 1, 1_000_000);
  integer("maxOutboundBytes", r.maxOutboundBytes, 4096, 1024 * 1024 * 1024);
  integer("maxJobs", r.maxJobs, 1, 65_000); // below the job-id space, so ids stay unique in the table
  integer("maxSharesPerJob", r.maxSharesPerJob, 1, 10_000_000);
  if (r.summaryIntervalSeconds !== null) seconds("summaryIntervalSeconds", r.summaryIntervalSeconds);
  return Object.freeze(r);
}

function bad(why: string): never {
  throw new PoolError("E_POOL_OPTIONS", why);
}

function integer(name: string, v: number, min: number, max: number): void {
  checkRange(name, v, { whole: true, min, max }, bad);
}

function seconds(name: string, v: number): void {
  checkRange(name, v, { seconds: true, min: 0, exclusiveMin: true, max: MAX_INTERVAL_SECONDS }, bad);
}

/** A difficulty is usable when it is finite, > 0 and its target is not 0 (some hash can meet it). */
export function checkDifficulty(name: string, d: number): void {
  let target: bigint;
  try {
    target = difficultyToTarget(d);
  } catch (e) {
    if (isProtocolError(e)) bad(`${name} must be a finite number above 0, got ${d}`);
    throw e;
  }
  if (target === 0n) bad(`${name} ${d} is too high: its target is 0, no share could meet it`);
}
