// extranonce.ts — unique 4-byte extranonce1 values for the connections of one pool.
//
// 4 bytes as in the node-stratum-pool family (verus-stratum.md §3.1). Values are a counter passed
// through a bijection of uint32 (multiply by an odd constant, add an offset), so consecutive
// connections get unrelated-looking values and none repeats before 2^32 allocations. Values with a
// zero byte are skipped: a tail padded with zeros could otherwise contain "00"-bytes of xn1 by
// accident and pass the pool-nonce check (§4.1) without carrying it. Live values are never reused.

import { PoolError } from "./errors.ts";

export const EXTRANONCE1_BYTES = 4;
/** Bounded search for a free value; with ≤ 2^16 live connections it always ends far sooner. */
const MAX_TRIES = 1 << 20;
const GOLDEN = 0x9e3779b1; // odd: multiplication by it is a bijection of uint32

export class Extranonce1Allocator {
  readonly #live = new Set<string>();
  #counter: number;
  readonly #offset: number;

  /** `start` and `offset` (uint32) make the sequence reproducible; a random start is typical. */
  constructor(start: number, offset = 0) {
    this.#counter = start >>> 0;
    this.#offset = offset >>> 0;
  }

  get liveCount(): number {
    return this.#live.size;
  }

  /** A fresh value (8 lowercase hex digits) until released. Throws E_POOL_EXHAUSTED. */
  allocate(): string {
    for (let i = 0; i < MAX_TRIES; i++) {
      const v = (Math.imul(this.#counter, GOLDEN) + this.#offset) >>> 0;
      this.#counter = (this.#counter + 1) >>> 0;
      if (hasZeroByte(v)) continue;
      const hex = v.toString(16).padStart(2 * EXTRANONCE1_BYTES, "0");
      if (this.#live.has(hex)) continue;
      this.#live.add(hex);
      return hex;
    }
    throw new PoolError("E_POOL_EXHAUSTED", "no free extranonce1 value found");
  }

  release(xn1: string): void {
    this.#live.delete(xn1);
  }
}

function hasZeroByte(v: number): boolean {
  return (v & 0xff) === 0 || (v & 0xff00) === 0 || (v & 0xff0000) === 0 || (v & 0xff000000) === 0;
}
