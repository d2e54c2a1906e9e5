// options.ts — the pool client's configuration: what a caller may set, the defaults, the one
// function that checks it all up front (URLs parsed, CA files read, pins normalised), so a bad
// setting fails at startup with a coded error rather than at the first reconnect — and what each
// part (session, primary watch) gets from it.

import pkg from "../../package.json";
import { DEFAULT_MAX_LINE_BYTES } from "../protocol/index.ts";
import { UpstreamError } from "./errors.ts";
import { silentLogger, type Logger } from "../util/log.ts";
import { inRange, rangePhrase } from "../util/range.ts";
import type { PrimaryWatchOptions } from "./probe.ts";
import type { SessionOptions } from "./session.ts";
import { JOBS_KEPT } from "../protocol/job-window.ts";
import { DEFAULT_BACKOFF, DEFAULT_URGENT_BACKOFF, type BackoffOptions } from "./reconnect-policy.ts";
import { DEFAULT_MAX_IN_FLIGHT, DEFAULT_MAX_QUEUED } from "./submits.ts";
import { resolveTlsPolicy, type TlsOptions, type TlsPolicy } from "./tls.ts";
import { connectTransport, type ConnectFn } from "./transport.ts";
import { parsePoolUrl, redirectAllowed, type PoolEndpoint } from "./url.ts";

/** One pool of the failover list; user, password and TLS fall back to the client-wide ones. */
export interface PoolConfig {
  url: string;
  user?: string;
  password?: string;
  tls?: TlsOptions;
}

export interface PoolClientOptions {
  /** Ordered: the first is the primary, the rest are backups. */
  pools: readonly (string | PoolConfig)[];
  /** ADDRESS[.WORKER]. */
  user: string;
  /** Default "x" (most pools ignore it or read options such as "d=…" from it). */
  password?: string;
  /** Default `vbridge/<version>`. */
  userAgent?: string;
  tls?: TlsOptions;
  connectTimeoutMs?: number; // 10 s: TCP connect + TLS handshake
  subscribeTimeoutMs?: number; // 30 s
  authorizeTimeoutMs?: number; // 30 s
  submitTimeoutMs?: number; // 30 s
  backoff?: Partial<BackoffOptions>;
  /** The backoff while miners are attached (setUrgent): default 250 ms doubling to 5 s, jitter 0.5. */
  urgentBackoff?: Partial<BackoffOptions>;
  /** Authorized but no mining.notify this long: the pool is unusable, the next one is tried (30 s). */
  noJobTimeoutMs?: number;
  /**
   * While miners are attached: no work (subscribed, authorized, a job) this long after connecting,
   * or after they arrived, makes the pool unusable too (default 3 s: a live pool answers in a round
   * trip or two; a silent one must not hold them for the 30 s of the call timeouts).
   */
  urgentWorkTimeoutMs?: number;
  /** Consecutive failures on one pool before trying the next (default 3). */
  failoverAfter?: number;
  /** Probe the primary while on a backup and go back once it is healthy (default true). */
  returnToPrimary?: boolean;
  primaryProbeIntervalMs?: number; // 60 s
  /** A session that stayed authorized this long resets the backoff (default 30 s). */
  healthyAfterMs?: number;
  maxLineBytes?: number;
  maxWriteBufferBytes?: number; // 64 KiB
  maxInFlightSubmits?: number; // 3: the flood guard, verus-stratum.md §7
  maxQueuedSubmits?: number;
  maxJobs?: number;
  log?: Logger;
  /** Injected for tests: jitter source, clock (ms) and transport factory. */
  random?: () => number;
  now?: () => number;
  connect?: ConnectFn;
}

export interface PoolSlot {
  readonly endpoint: PoolEndpoint;
  readonly user: string;
  readonly password: string;
  readonly tls: TlsPolicy;
}

/** Every setting filled in; user, password and TLS are per pool slot. */
export type ResolvedOptions = Readonly<
  Required<Omit<PoolClientOptions, "pools" | "user" | "password" | "tls" | "backoff" | "urgentBackoff">> & {
    pools: readonly PoolSlot[];
    backoff: BackoffOptions;
    urgentBackoff: BackoffOptions;
  }
>;

export const DEFAULT_USER_AGENT = `vbridge/${pkg.version}`;
const MAX_POOLS = 16;

function num(
  name: string,
  v: number | undefined,
  def: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
  whole = false,
): number {
  const x = v ?? def;
  const range = { min, max, whole };
  if (!inRange(x, range)) {
    throw new UpstreamError("E_POOL_CONFIG", `${name} must be ${rangePhrase(range)}`, {
      option: name,
      value: x,
    });
  }
  return x;
}

const int = (name: string, v: number | undefined, def: number, min: number, max?: number) =>
  num(name, v, def, min, max, true);

/** A cap below the default base lowers the base with it (reconnect_max_delay = 0.1 s is allowed). */
function backoffOptions(
  name: string,
  o: Partial<BackoffOptions> | undefined,
  def: BackoffOptions,
): BackoffOptions {
  const maxMs = num(`${name}.maxMs`, o?.maxMs, def.maxMs, 0);
  const b = Object.freeze({
    baseMs: num(`${name}.baseMs`, o?.baseMs, Math.min(def.baseMs, maxMs), 0),
    maxMs,
    jitter: num(`${name}.jitter`, o?.jitter, def.jitter, 0, 1),
  });
  if (b.maxMs < b.baseMs)
    throw new UpstreamError("E_POOL_CONFIG", `${name}.maxMs must be at least ${name}.baseMs`);
  return b;
}

export function resolveOptions(o: PoolClientOptions): ResolvedOptions {
  if (o.pools.length === 0) throw new UpstreamError("E_POOL_CONFIG", "no pool configured");
  if (o.pools.length > MAX_POOLS) throw new UpstreamError("E_POOL_CONFIG", `at most ${MAX_POOLS} pools`);
  if (typeof o.user !== "string" || o.user.trim() === "")
    throw new UpstreamError("E_POOL_CONFIG", "a pool user (ADDRESS[.WORKER]) is required");
  const pools = o.pools.map((p): PoolSlot => {
    const c = typeof p === "string" ? { url: p } : p;
    return Object.freeze({
      endpoint: parsePoolUrl(c.url),
      user: c.user ?? o.user,
      password: c.password ?? o.password ?? "x",
      tls: resolveTlsPolicy(c.tls ?? o.tls),
    });
  });
  const backoff = backoffOptions("backoff", o.backoff, DEFAULT_BACKOFF);
  const urgentBackoff = backoffOptions("urgentBackoff", o.urgentBackoff, DEFAULT_URGENT_BACKOFF);
  const maxLineBytes = int("maxLineBytes", o.maxLineBytes, DEFAULT_MAX_LINE_BYTES, 256, 1 << 20);
  return Object.freeze({
    pools: Object.freeze(pools),
    userAgent: o.userAgent ?? DEFAULT_USER_AGENT,
    connectTimeoutMs: num("connectTimeoutMs", o.connectTimeoutMs, 10_000, 1),
    subscribeTimeoutMs: num("subscribeTimeoutMs", o.subscribeTimeoutMs, 30_000, 1),
    authorizeTimeoutMs: num("authorizeTimeoutMs", o.authorizeTimeoutMs, 30_000, 1),
    submitTimeoutMs: num("submitTimeoutMs", o.submitTimeoutMs, 30_000, 1),
    backoff,
    urgentBackoff,
    failoverAfter: int("failoverAfter", o.failoverAfter, 3, 1),
    returnToPrimary: o.returnToPrimary ?? true,
    primaryProbeIntervalMs: num("primaryProbeIntervalMs", o.primaryProbeIntervalMs, 60_000, 1),
    noJobTimeoutMs: num("noJobTimeoutMs", o.noJobTimeoutMs, 30_000, 1),
    urgentWorkTimeoutMs: num("urgentWorkTimeoutMs", o.urgentWorkTimeoutMs, 3_000, 1),
    healthyAfterMs: num("healthyAfterMs", o.healthyAfterMs, 30_000, 0),
    maxLineBytes,
    maxWriteBufferBytes: int("maxWriteBufferBytes", o.maxWriteBufferBytes, 64 * 1024, 4096),
    maxInFlightSubmits: int("maxInFlightSubmits", o.maxInFlightSubmits, DEFAULT_MAX_IN_FLIGHT, 1, 3),
    maxQueuedSubmits: int("maxQueuedSubmits", o.maxQueuedSubmits, DEFAULT_MAX_QUEUED, 0),
    maxJobs: int("maxJobs", o.maxJobs, JOBS_KEPT, 1, 1024),
    log: o.log ?? silentLogger,
    random: o.random ?? Math.random,
    now: o.now ?? (() => performance.now()),
    connect: o.connect ?? connectTransport,
  });
}

/** One connection's session settings: the slot's credentials, the endpoint's #xnsub, the limits. */
export function sessionOptions(
  o: ResolvedOptions,
  slot: PoolSlot,
  endpoint: PoolEndpoint,
  sessionId: string | null,
  nextEpoch: () => number,
): SessionOptions {
  return {
    user: slot.user,
    password: slot.password,
    userAgent: o.userAgent,
    sessionId,
    extranonceSubscribe: endpoint.extranonceSubscribe,
    subscribeTimeoutMs: o.subscribeTimeoutMs,
    authorizeTimeoutMs: o.authorizeTimeoutMs,
    submitTimeoutMs: o.submitTimeoutMs,
    noJobTimeoutMs: o.noJobTimeoutMs,
    allowRedirect: (host) =>
      redirectAllowed(
        host,
        endpoint,
        o.pools.map((p) => p.endpoint),
      ),
    maxInFlightSubmits: o.maxInFlightSubmits,
    maxQueuedSubmits: o.maxQueuedSubmits,
    maxJobs: o.maxJobs,
    nextEpoch,
    log: o.log,
  };
}

/** The primary's probe: connect plus subscribe must both fit in one timeout. */
export function watchOptions(o: ResolvedOptions): PrimaryWatchOptions {
  const primary = o.pools[0]!;
  return {
    endpoint: primary.endpoint,
    tls: primary.tls,
    userAgent: o.userAgent,
    timeoutMs: o.connectTimeoutMs + o.subscribeTimeoutMs,
    maxLineBytes: o.maxLineBytes,
    connect: o.connect,
    intervalMs: o.primaryProbeIntervalMs,
    log: o.log,
  };
}
