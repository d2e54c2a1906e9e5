// leases.ts — the nonce-space leases of one upstream session (verus-stratum.md §8): every miner
// session gets a unique k-byte id, appended to the pool's extranonce1 (P ‖ id). The miner puts all
// of P ‖ id at the start of its 15-byte tail, so no two sessions ever hash the same input, even on
// PBaaS jobs where the header nonce is cleared.
//
// A released id is quarantined until the next clean job of the upstream session: until then the
// jobs its previous holder worked on are still valid, and a new holder could submit shares the old
// one found (same xn1, same job) as its own. After a clean job every older job is dead, so the id
// is safe again. A new pool extranonce1 starts a new book (every id is new under a new P).
//
// Pure: no I/O, no clock.

export class LeaseBook {
  /** Bytes of each id (k). */
  readonly bytes: number;
  /** Distinct ids this book hands out: min(cap, 256^k). */
  readonly capacity: number;
  /** Ids never handed out are next..capacity-1. */
  #next = 0;
  readonly #free: number[] = [];
  readonly #quarantine: number[] = [];
  readonly #live = new Set<number>();

  constructor(bytes: number, cap = Infinity) {
    if (!Number.isInteger(bytes) || bytes < 1 || bytes > 6)
      throw new RangeError(`lease bytes must be 1..6, got ${bytes}`);
    if (!(cap >= 1)) throw new RangeError(`lease cap must be at least 1, got ${cap}`);
    this.bytes = bytes;
    this.capacity = Math.min(Math.floor(cap), 256 ** bytes);
  }

  /** Ids that allocate() can hand out now (quarantined ones excluded). */
  get available(): number {
    return this.#free.length + (this.capacity - this.#next);
  }

  get live(): number {
    return this.#live.size;
  }

  get quarantined(): number {
    return this.#quarantine.length;
  }

  /** A free id, or null when every id is live or quarantined. */
  allocate(): number | null {
    let id: number | undefined = this.#free.pop();
    if (id === undefined) {
      if (this.#next >= this.capacity) return null;
      id = this.#next++;
    }
    this.#live.add(id);
    return id;
  }

  /** The holder is gone; the id waits for the next clean job. Unknown ids are ignored (idempotent). */
  release(id: number): void {
    if (this.#live.delete(id)) this.#quarantine.push(id);
  }

  /** A clean job: every job the quarantined ids were used on is dead, so they are free again. */
  cleanJob(): void {
    for (const id of this.#quarantine) this.#free.push(id);
    this.#quarantine.length = 0;
  }

  /** The id as the k bytes appended to the pool's extranonce1 (big-endian, lowercase hex). */
  hex(id: number): string {
    return id.toString(16).padStart(2 * this.bytes, "0");
  }
}

/** Largest extranonce1 a ccminer-style miner keeps whole in tail[0..6] (verus-stratum.md §4.1, §8). */
export const MAX_SESSION_XN1_BYTES = 7;

/**
 * Lease bytes usable with a pool extranonce1 of `poolBytes`: the configured k, reduced so that
 * P ‖ id fits in 7 bytes, or 0 when not even one byte fits (the caller refuses the pool).
 */
export function leaseBytesFor(poolBytes: number, configured: number): number {
  return Math.max(0, Math.min(configured, MAX_SESSION_XN1_BYTES - poolBytes));
}
