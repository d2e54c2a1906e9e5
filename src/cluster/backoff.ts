// backoff.ts — when a crashed worker is started again: 0.5 s after the first crash, doubling with
// each crash that follows soon after, at most 30 s; a worker that ran a minute starts the count
// over (a crash after a long run is news, not a crash loop). Pure: the caller gives the times.

export interface RestartPolicy {
  firstMs: number;
  maxMs: number;
  /** A run at least this long resets the delay to firstMs. */
  resetAfterMs: number;
}

export const DEFAULT_RESTART: RestartPolicy = { firstMs: 500, maxMs: 30_000, resetAfterMs: 60_000 };

/** The delay before the next start, given the previous delay (0: none yet) and how long it ran. */
export function restartDelay(p: RestartPolicy, previousMs: number, ranMs: number): number {
  if (previousMs <= 0 || ranMs >= p.resetAfterMs) return p.firstMs;
  return Math.min(p.maxMs, previousMs * 2);
}
