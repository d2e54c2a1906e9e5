// random.ts — where the built-in pool's randomness comes from: a seeded PRNG when the caller gives
// a seed (tests, reproducible runs), the OS CSPRNG otherwise. Nothing here is security-sensitive:
// synthetic block data and extranonce1 ordering only need to look random and never collide by
// construction elsewhere.

/** Fills `n` bytes. */
export type RandomBytes = (n: number) => Uint8Array;

/** The OS generator (crypto.getRandomValues). */
export const systemRandom: RandomBytes = (n) => crypto.getRandomValues(new Uint8Array(n));

/**
 * xoshiro128** seeded through splitmix32: a small, well-mixed deterministic generator, so the same
 * seed gives the same jobs on every run and platform (32-bit integer math only).
 */
export function seededRandom(seed: number): RandomBytes {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
  let x = (seed >>> 0) ^ Math.floor(seed / 2 ** 32);
  const splitmix = (): number => {
    x = (x + 0x9e3779b9) | 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  const next = (): number => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = (b << 9) >>> 0;
    c = (c ^ a) >>> 0;
    d = (d ^ b) >>> 0;
    b = (b ^ c) >>> 0;
    a = (a ^ d) >>> 0;
    c = (c ^ t) >>> 0;
    d = rotl(d, 11);
    return result;
  };
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      const r = next();
      for (let j = 0; j < 4 && i + j < n; j++) out[i + j] = (r >>> (8 * j)) & 0xff;
    }
    return out;
  };
}

function rotl(v: number, k: number): number {
  return ((v << k) | (v >>> (32 - k))) >>> 0;
}

/** A uint32 from the generator. */
export function randomU32(random: RandomBytes): number {
  const b = random(4);
  return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
}
