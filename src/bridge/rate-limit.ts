// rate-limit.ts — a per-session token bucket for shares (bridge.max_shares_per_second).
//
// Every share checked costs one VerusHash (~1 µs) and maybe a ledger write, so a session must not
// be able to make the bridge hash for it without limit. The bucket holds `burst` tokens and refills
// at `rate` per second. A share with no token is refused unchecked ("limited"); the bucket then
// goes into debt, and a session that keeps sending until the debt reaches another full burst is
// flooding, not unlucky: "exceeded" (the session is ended) — unless the caller could make the
// miner slower and forgave the debt. Pure: the caller passes the time.

export type RateVerdict = "ok" | "limited" | "exceeded";

/** Seconds of the full rate a session may burst (a lucky miner finds several shares at once). */
export const BURST_SECONDS = 2;

export class ShareRateLimiter {
  readonly rate: number;
  readonly burst: number;
  #tokens: number;
  #at: number;

  constructor(ratePerSecond: number, nowMs: number, burstSeconds = BURST_SECONDS) {
    if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond))
      throw new RangeError(`rate must be a positive number, got ${ratePerSecond}`);
    this.rate = ratePerSecond;
    this.burst = Math.max(1, ratePerSecond * burstSeconds);
    this.#tokens = this.burst;
    this.#at = nowMs;
  }

  /** Clears the debt (the caller made the miner slower): "exceeded" counts from here. */
  forgive(): void {
    this.#tokens = Math.max(this.#tokens, 0);
  }

  take(nowMs: number): RateVerdict {
    const elapsed = Math.max(0, nowMs - this.#at) / 1000;
    this.#at = Math.max(this.#at, nowMs);
    this.#tokens = Math.min(this.burst, this.#tokens + elapsed * this.rate);
    // Debt stops at one burst: a miner that slowed down climbs out in `BURST_SECONDS`, however
    // long it flooded before (its caller decides what "exceeded" costs).
    this.#tokens = Math.max(this.#tokens - 1, -this.burst);
    if (this.#tokens >= 0) return "ok";
    return this.#tokens <= -this.burst ? "exceeded" : "limited";
  }
}
