// vardiff.ts — variable difficulty for one connection: steer its share interval toward a target,
// within bounds (the node-stratum-pool family's varDiff, verus-stratum.md §2 and §3.4).
//
// Pure: the caller passes the time. Used by the built-in pool (per connection) and the bridge (per
// miner session), hence here beside the other difficulty arithmetic rather than in either.
//
// Shares are counted over a window; once the window is at least
// `retargetSeconds` old, the average interval decides. Outside ±variance, the difficulty moves by
// target/average, at most ×4 or ÷4 per step (a burst or a pause does not swing it by orders of
// magnitude), clamped to [min, max]. Called on every accepted share and at every job broadcast, so
// a miner that stopped finding shares is eased down too. The pool sends the new target right
// before the next notify, as real pools do (transcripts/ccminer383-vs-vnomp-vardiff).

export interface VardiffOptions {
  /** Desired seconds between shares of one connection. */
  targetShareSeconds: number;
  /** Shortest window judged; also the minimum time between two changes. */
  retargetSeconds: number;
  /** Tolerated deviation of the average interval, in percent of the target. */
  variancePercent: number;
  minDifficulty: number;
  maxDifficulty: number;
}

export const DEFAULT_VARDIFF = {
  targetShareSeconds: 10,
  retargetSeconds: 60,
  variancePercent: 30,
} as const;

/** Largest factor of one change. */
const MAX_STEP = 4;

/**
 * What is wrong with `o`, in one line, or null. Callers validating user settings turn it into their
 * own coded error (E_POOL_OPTIONS, E_BRIDGE_OPTIONS); the constructor treats it as a programmer error.
 */
export function vardiffOptionsProblem(o: VardiffOptions): string | null {
  const positive = (name: string, v: number) =>
    !Number.isFinite(v) || v <= 0 ? `vardiff ${name} must be a positive number, got ${v}` : null;
  const problem =
    positive("targetShareSeconds", o.targetShareSeconds) ??
    positive("retargetSeconds", o.retargetSeconds) ??
    positive("minDifficulty", o.minDifficulty) ??
    positive("maxDifficulty", o.maxDifficulty);
  if (problem !== null) return problem;
  if (!Number.isFinite(o.variancePercent) || o.variancePercent < 0 || o.variancePercent >= 100) {
    return `vardiff variancePercent must be in [0, 100), got ${o.variancePercent}`;
  }
  if (o.minDifficulty > o.maxDifficulty) return "vardiff minDifficulty is above maxDifficulty";
  return null;
}

export class Vardiff {
  readonly options: VardiffOptions;
  #windowStart: number;
  #shares = 0;

  /** Throws a RangeError for options that vardiffOptionsProblem rejects (check user input first). */
  constructor(options: VardiffOptions, nowMs: number) {
    const problem = vardiffOptionsProblem(options);
    if (problem !== null) throw new RangeError(problem);
    this.options = options;
    this.#windowStart = nowMs;
  }

  /** An accepted share at `nowMs`; returns the difficulty to switch to, or null to keep `current`. */
  onShare(nowMs: number, current: number): number | null {
    this.#shares++;
    return this.#evaluate(nowMs, current);
  }

  /** A job broadcast at `nowMs`: the same judgement without a new share. */
  onTick(nowMs: number, current: number): number | null {
    return this.#evaluate(nowMs, current);
  }

  #evaluate(nowMs: number, current: number): number | null {
    const o = this.options;
    const elapsed = (nowMs - this.#windowStart) / 1000;
    if (elapsed < o.retargetSeconds) return null;
    // No share in the whole window counts as one share now: the interval is at least `elapsed`.
    const average = elapsed / Math.max(this.#shares, 1);
    this.#windowStart = nowMs;
    this.#shares = 0;
    const variance = (o.targetShareSeconds * o.variancePercent) / 100;
    if (Math.abs(average - o.targetShareSeconds) <= variance) return null;
    const factor = Math.min(MAX_STEP, Math.max(1 / MAX_STEP, o.targetShareSeconds / average));
    const next = Math.min(o.maxDifficulty, Math.max(o.minDifficulty, current * factor));
    return next === current ? null : next;
  }
}
