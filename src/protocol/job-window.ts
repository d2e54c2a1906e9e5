// job-window.ts — which jobs are still valid, by job id: the one eviction policy behind the pool
// client's job book (upstream/jobs.ts), each upstream's jobs in the bridge (bridge/upstream.ts), the
// prefixes a WebSocket session announced its jobs with (downstream/work.ts) and the built-in pool's
// job table (pool/jobs.ts). Each keeps its own payload per job; the placement is decided here only
// (as xmrig-proxy keeps its policy behind NonceStorage).
//
// - A clean job (clean_jobs = true: a new block) drops every other job first (verus-stratum.md §3.5).
// - Job ids are opaque counters that wrap (§7): a re-sent id replaces its entry and becomes the newest.
// - Past the capacity the oldest job, by arrival, is evicted.

/**
 * Jobs kept valid at once, unless configured otherwise. Within one block v-nomp re-broadcasts the
 * work every ~55 s under a new job id (verus-stratum.md §3.5, §7): 32 ids cover half an hour of one
 * block, far past Verus' one-minute blocks (the built-in pool's 5 s jobs make 12 a block), while a
 * pool that never sends a clean job still cannot grow the tables without bound (STYLE.md 10).
 */
export const JOBS_KEPT = 32;

export class JobWindow<T> {
  readonly capacity: number;
  /** Insertion order is arrival order: the first key is the oldest. */
  readonly #entries = new Map<string, T>();

  constructor(capacity: number = JOBS_KEPT) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`a job window holds a whole number >= 1 of jobs, got ${capacity}`);
    this.capacity = capacity;
  }

  /** Make `id` the newest job (`clean`: after dropping every other one); evicts past the capacity. */
  put(id: string, value: T, clean = false): void {
    if (clean) this.#entries.clear();
    this.#entries.delete(id); // a re-sent id moves to the newest position
    this.#entries.set(id, value);
    if (this.#entries.size > this.capacity) this.#entries.delete(this.#entries.keys().next().value!);
  }

  get(id: string): T | undefined {
    return this.#entries.get(id);
  }

  has(id: string): boolean {
    return this.#entries.has(id);
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Oldest first. */
  values(): MapIterator<T> {
    return this.#entries.values();
  }

  clear(): void {
    this.#entries.clear();
  }
}
