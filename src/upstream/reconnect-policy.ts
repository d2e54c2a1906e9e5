// reconnect-policy.ts — when and where to reconnect: exponential backoff with jitter, and an
// ordered failover list that moves on after N consecutive failures and comes back to the primary.
// Pure (the random number is an argument), so the tests can assert exact delay sequences.
//
// Why jitter: a pool restart disconnects every miner at once; without jitter they all return in
// the same millisecond, again and again. The delay for the k-th consecutive failure is
// min(max, base·2^(k−1)) scaled by a factor in [1 − jitter, 1] — it never exceeds `max`, and with
// jitter ≤ 1 it never drops below (1 − jitter) of the exponential step.

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** 0 = no jitter, 1 = anywhere in (0, step]. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = Object.freeze({ baseMs: 1_000, maxMs: 60_000, jitter: 0.5 });

/**
 * While miners are attached (PoolClient.setUrgent): they hash on dead work until we are back, so
 * the first retry comes within 250 ms and the wait never grows past 5 s (issue 10).
 */
export const DEFAULT_URGENT_BACKOFF: BackoffOptions = Object.freeze({
  baseMs: 250,
  maxMs: 5_000,
  jitter: 0.5,
});

/**
 * A refused connect costs the pool nothing (its kernel answers), so while miners wait a pool that
 * is not listening is knocked on at least once a second: fresh work then reaches them within about
 * a second of the pool listening again, whatever the cap on other failures.
 */
export const REFUSED_RETRY_MAX_MS = 1_000;

/** Delay before the next attempt after `failures` (≥ 1) consecutive failures; `random` in [0, 1). */
export function backoffDelay(o: BackoffOptions, failures: number, random: number): number {
  if (failures < 1) return 0;
  // 2^(k−1) overflows to Infinity for huge k; min() then clamps it to max.
  const step = Math.min(o.maxMs, o.baseMs * 2 ** Math.min(failures - 1, 1024));
  return Math.round(step * (1 - o.jitter * random));
}

/**
 * The backoff in force: the long one, or — while miners are attached (`urgent` given) — the fast
 * one, its cap lowered to REFUSED_RETRY_MAX_MS when the last attempt was refused.
 */
export function retryPolicy(
  normal: BackoffOptions,
  urgent: BackoffOptions | null,
  lastCode: string | null,
): BackoffOptions {
  if (urgent === null) return normal;
  if (lastCode !== "E_CONNECT_REFUSED" || urgent.maxMs <= REFUSED_RETRY_MAX_MS) return urgent;
  return { ...urgent, baseMs: Math.min(urgent.baseMs, REFUSED_RETRY_MAX_MS), maxMs: REFUSED_RETRY_MAX_MS };
}

/**
 * Which pool of the ordered list to use. Index 0 is the primary. After `failoverAfter`
 * consecutive failures on the current pool the next one is tried (wrapping round), and a healthy
 * session resets the count. `toPrimary` is how the client returns once a probe found the primary
 * healthy again.
 */
export class PoolRotation {
  readonly size: number;
  readonly failoverAfter: number;
  #current = 0;
  #failures = 0;

  constructor(size: number, failoverAfter: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError("need at least one pool");
    if (!Number.isInteger(failoverAfter) || failoverAfter < 1)
      throw new RangeError("failoverAfter must be a positive integer");
    this.size = size;
    this.failoverAfter = failoverAfter;
  }

  get current(): number {
    return this.#current;
  }

  /** Consecutive failures on the current pool. */
  get failures(): number {
    return this.#failures;
  }

  get onBackup(): boolean {
    return this.#current !== 0;
  }

  /** A connection to the current pool failed. True when this moved to another pool. */
  fail(): boolean {
    this.#failures++;
    if (this.#failures < this.failoverAfter || this.size === 1) return false;
    this.#current = (this.#current + 1) % this.size;
    this.#failures = 0;
    return true;
  }

  /** The current pool is unusable: the next one at once. True when this moved to another pool. */
  next(): boolean {
    this.#failures = 0;
    if (this.size === 1) return false;
    this.#current = (this.#current + 1) % this.size;
    return true;
  }

  /** The current pool served a healthy session. */
  healthy(): void {
    this.#failures = 0;
  }

  toPrimary(): void {
    this.#current = 0;
    this.#failures = 0;
  }
}
