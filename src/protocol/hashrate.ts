// hashrate.ts — hashrate estimated from credited share difficulty, as pools report it: a share at
// difficulty d stands for d · 2^13 hashes (verus-stratum.md §6). Difficulty is summed into fixed
// 10 s buckets over a sliding window, so memory is constant whatever the share rate (STYLE.md
// principle 10). Pure: the caller passes the time.

/** Expected hashes per share at difficulty 1 (diff1 ≈ 2^243 of 2^256). */
export const HASHES_PER_DIFFICULTY = 2 ** 13;
const BUCKET_SECONDS = 10;

export class HashrateWindow {
  readonly windowSeconds: number;
  readonly #startedAt: number;
  readonly #buckets: Float64Array;
  /** The absolute bucket number each slot holds (-1: none yet). */
  readonly #bucketIds: Float64Array;

  constructor(windowSeconds: number, nowMs: number) {
    if (!Number.isInteger(windowSeconds / BUCKET_SECONDS) || windowSeconds <= 0) {
      throw new RangeError(`window must be a positive multiple of ${BUCKET_SECONDS} s, got ${windowSeconds}`);
    }
    this.windowSeconds = windowSeconds;
    this.#startedAt = nowMs;
    this.#buckets = new Float64Array(windowSeconds / BUCKET_SECONDS);
    this.#bucketIds = new Float64Array(windowSeconds / BUCKET_SECONDS).fill(-1);
  }

  /** Credited difficulty at `nowMs`. */
  add(nowMs: number, difficulty: number): void {
    const n = this.#buckets.length;
    const id = Math.floor(nowMs / 1000 / BUCKET_SECONDS);
    const slot = ((id % n) + n) % n;
    if (this.#bucketIds[slot] !== id) {
      this.#bucketIds[slot] = id;
      this.#buckets[slot] = 0;
    }
    this.#buckets[slot] = this.#buckets[slot]! + difficulty;
  }

  /** Hashes per second over the window, or over the time since start when that is shorter (no
   * inflated first minutes). */
  hashrate(nowMs: number): number {
    const n = this.#buckets.length;
    const current = Math.floor(nowMs / 1000 / BUCKET_SECONDS);
    let difficulty = 0;
    for (let i = 0; i < n; i++) {
      const id = this.#bucketIds[i]!;
      if (id > current - n && id <= current) difficulty += this.#buckets[i]!;
    }
    const seconds = Math.min(this.windowSeconds, Math.max(1, (nowMs - this.#startedAt) / 1000));
    return (difficulty * HASHES_PER_DIFFICULTY) / seconds;
  }
}
