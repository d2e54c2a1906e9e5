// invalid-window.ts — the share of invalid shares among a session's last N (verus-stratum.md §5:
// pools of the node-stratum-pool family disconnect, and ban, a client with ≥ 50 % invalid shares
// over a window). The bridge ends such a session itself, so its garbage never reaches the pool and
// never costs more than a bounded number of hashes. Pure: a ring of the last `size` outcomes.

export interface InvalidWindowOptions {
  /** Outcomes remembered. */
  size: number;
  /** No judgement before this many outcomes (a new miner's first stale shares are not a ban). */
  minShares: number;
  /** Ended at or above this fraction of invalid shares. */
  maxInvalidRatio: number;
}

export const DEFAULT_INVALID_WINDOW: InvalidWindowOptions = {
  size: 100,
  minShares: 20,
  maxInvalidRatio: 0.5,
};

export class InvalidShareWindow {
  readonly options: InvalidWindowOptions;
  readonly #ring: Uint8Array;
  #count = 0;
  #next = 0;
  #invalid = 0;

  constructor(options: InvalidWindowOptions = DEFAULT_INVALID_WINDOW) {
    const { size, minShares, maxInvalidRatio } = options;
    if (!Number.isInteger(size) || size < 1)
      throw new RangeError(`window size must be a positive integer, got ${size}`);
    if (!Number.isInteger(minShares) || minShares < 1 || minShares > size)
      throw new RangeError(`minShares must be 1..size, got ${minShares}`);
    if (!(maxInvalidRatio > 0 && maxInvalidRatio <= 1))
      throw new RangeError(`maxInvalidRatio must be in (0, 1], got ${maxInvalidRatio}`);
    this.options = options;
    this.#ring = new Uint8Array(size);
  }

  get invalid(): number {
    return this.#invalid;
  }

  get count(): number {
    return this.#count;
  }

  /** Records one outcome; true when the window is now over the limit. */
  record(valid: boolean): boolean {
    const { size, minShares, maxInvalidRatio } = this.options;
    if (this.#count === size) this.#invalid -= this.#ring[this.#next]!;
    else this.#count++;
    const bad = valid ? 0 : 1;
    this.#ring[this.#next] = bad;
    this.#invalid += bad;
    this.#next = (this.#next + 1) % size;
    return this.#count >= minShares && this.#invalid / this.#count >= maxInvalidRatio;
  }
}
