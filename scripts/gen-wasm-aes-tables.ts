/**
 * Generates native/wasm_aes_vperm.inc: the 16-entry byte tables with which native/wasm_simd.c
 * computes the AES S-box by byte shuffles (i8x16.swizzle), the vector-permute technique of
 * M. Hamburg, "Accelerating AES with Vector Permute Instructions" (CHES 2009), here for one
 * stand-alone AESENC in the standard basis (VerusHash's round keys are data, so nothing can stay in
 * another basis between rounds).
 *
 *   bun scripts/gen-wasm-aes-tables.ts            writes the file
 *   bun scripts/gen-wasm-aes-tables.ts --check    exits 1 if the committed file differs
 *
 * The math, so the tables can be checked by hand:
 * - GF(2^8) is taken as GF(16)[t] / (t^2 + a t + a), GF(16) = GF(2)[x] / (x^4 + x + 1), for the
 *   first a that makes t^2 + a t + a irreducible. A byte y = (i << 4) | k stands for i t + k.
 * - phi maps the AES field (x^8 + x^4 + x^3 + x + 1) onto that tower: the GF(2)-linear map that
 *   sends x to a root of the AES polynomial. In a swizzle it is two lookups, by low and high nibble.
 * - With j = i + k and E = k^2 + a i j (the norm of i t + k), Hamburg's
 *       io = 1 / (1/i + a/k) + j = E / (k + a i),    jo = 1 / (1/j + a/k) + i = E / (k + a j)
 *   take one-nibble lookups and xors only, and the inverse c t + d of i t + k is
 *       d = 1/io,   c = (1/a + 1/a^2) / io + (1/a^2) / jo,
 *   so S(x) without its constant 0x63 is U[io] ^ T[jo] for two 16-entry tables (the AES affine map
 *   is linear), and 2 S(x) (for MixColumns) is U2[io] ^ T2[jo].
 * - 1/0 is "infinity", the byte 0x80: a swizzle index >= 16 reads 0 = 1/infinity, infinity plus a
 *   nibble stays >= 16, and the only sum of two infinities (x = 0) gives 0, as it must.
 * The generator replays exactly that byte arithmetic for all 256 inputs and refuses to write tables
 * that do not give the S-box.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const OUTPUT = join(import.meta.dir, "../native/wasm_aes_vperm.inc");
const INF = 0x80;

function gf16mul(a: number, b: number): number {
  let r = 0;
  for (let i = 0; i < 4; i++) if ((b >> i) & 1) r ^= a << i;
  for (let i = 6; i >= 4; i--) if ((r >> i) & 1) r ^= 0x13 << (i - 4);
  return r;
}

function gf16inv(a: number): number {
  for (let b = 1; b < 16; b++) if (gf16mul(a, b) === 1) return b;
  return 0; // 0 has no inverse; callers decide what 1/0 means
}

function aesMul(a: number, b: number): number {
  let r = 0;
  for (let i = 0; i < 8; i++) {
    if ((b >> i) & 1) r ^= a;
    a = (a << 1) ^ (a & 0x80 ? 0x11b : 0);
  }
  return r;
}

function aesSbox(x: number): number {
  let inv = 0;
  for (let b = 1; b < 256 && x; b++) if (aesMul(x, b) === 1) inv = b;
  const rotl = (v: number, n: number) => ((v << n) | (v >> (8 - n))) & 0xff;
  return inv ^ rotl(inv, 1) ^ rotl(inv, 2) ^ rotl(inv, 3) ^ rotl(inv, 4) ^ 0x63;
}

/** The AES affine map without its constant: S(x) = affine(1/x) ^ 0x63. */
function affineLinear(b: number): number {
  const rotl = (v: number, n: number) => ((v << n) | (v >> (8 - n))) & 0xff;
  return b ^ rotl(b, 1) ^ rotl(b, 2) ^ rotl(b, 3) ^ rotl(b, 4);
}

const xtime = (b: number) => ((b << 1) ^ (b & 0x80 ? 0x1b : 0)) & 0xff;

// The tower: the first a with t^2 + a t + a irreducible (no root in GF(16)).
const irreducible = [...Array(16).keys()].find(
  (c) => c > 0 && [...Array(16).keys()].every((v) => (gf16mul(v, v) ^ gf16mul(c, v) ^ c) !== 0),
);
if (irreducible === undefined) throw new Error("no irreducible t^2 + a t + a");
const a: number = irreducible;

function towerMul(y: number, z: number): number {
  const [i1, k1, i2, k2] = [y >> 4, y & 15, z >> 4, z & 15];
  const ii = gf16mul(i1, i2);
  return ((gf16mul(ii, a) ^ gf16mul(i1, k2) ^ gf16mul(k1, i2)) << 4) | (gf16mul(ii, a) ^ gf16mul(k1, k2));
}

// phi: x -> r, r a root of the AES polynomial in the tower.
const aesPolyAt = (r: number) => {
  const pow = [1];
  for (let e = 1; e <= 8; e++) pow.push(towerMul(pow[e - 1]!, r));
  return pow[8]! ^ pow[4]! ^ pow[3]! ^ pow[1]! ^ pow[0]!;
};
const root = [...Array(256).keys()].find((r) => r > 1 && aesPolyAt(r) === 0);
if (root === undefined) throw new Error("the AES polynomial has no root in the tower");
const phiBasis = [1];
for (let e = 1; e < 8; e++) phiBasis.push(towerMul(phiBasis[e - 1]!, root));
const phi = (x: number) => phiBasis.reduce((acc, p, bit) => ((x >> bit) & 1 ? acc ^ p : acc), 0);
const phiInv = new Array<number>(256);
for (let x = 0; x < 256; x++) phiInv[phi(x)] = x;
for (let x = 0; x < 256; x++)
  for (let y = 0; y < 256; y++)
    if (phi(aesMul(x, y)) !== towerMul(phi(x), phi(y))) throw new Error("phi is not a field isomorphism");

const ainv = gf16inv(a);
const alpha = ainv ^ gf16mul(ainv, ainv); // 1/a + 1/a^2
const beta = gf16mul(ainv, ainv); // 1/a^2
const range16 = [...Array(16).keys()];
const tables = {
  ipt_lo: range16.map((n) => phi(n)),
  ipt_hi: range16.map((n) => phi(n << 4)),
  inv: range16.map((v) => (v ? gf16inv(v) : INF)),
  inva: range16.map((v) => (v ? gf16mul(a, gf16inv(v)) : INF)),
  sb_u: range16.map((v) => affineLinear(phiInv[(gf16mul(alpha, gf16inv(v)) << 4) | gf16inv(v)]!)),
  sb_t: range16.map((v) => affineLinear(phiInv[gf16mul(beta, gf16inv(v)) << 4]!)),
  sb2_u: [] as number[],
  sb2_t: [] as number[],
};
tables.sb2_u = tables.sb_u.map(xtime);
tables.sb2_t = tables.sb_t.map(xtime);

/** One byte through the exact sequence of swizzles and xors wasm_simd.c performs. */
function replay(x: number): [number, number] {
  const swz = (t: number[], idx: number) => (idx < 16 ? t[idx]! : 0);
  const y = swz(tables.ipt_lo, x & 15) ^ swz(tables.ipt_hi, x >> 4);
  const i = y >> 4,
    k = y & 15,
    j = i ^ k;
  const ak = swz(tables.inva, k);
  const io = swz(tables.inv, swz(tables.inv, i) ^ ak) ^ j;
  const jo = swz(tables.inv, swz(tables.inv, j) ^ ak) ^ i;
  return [swz(tables.sb_u, io) ^ swz(tables.sb_t, jo), swz(tables.sb2_u, io) ^ swz(tables.sb2_t, jo)];
}
for (let x = 0; x < 256; x++) {
  const [s, s2] = replay(x);
  if ((s ^ 0x63) !== aesSbox(x) || s2 !== xtime(s)) throw new Error(`tables fail at x = ${x}`);
}

const hex = (b: number) => "0x" + b.toString(16).padStart(2, "0");
const body = Object.entries(tables)
  .map(([name, t]) => `#define VP_${name.toUpperCase()} {${t.map(hex).join(", ")}}`)
  .join("\n");
const text = `/* Generated by scripts/gen-wasm-aes-tables.ts (the math is explained there); do not edit.
 * AES S-box by 16-entry byte lookups: tower GF(16)[t]/(t^2 + ${a}t + ${a}), GF(16) mod x^4 + x + 1.
 * Checked by the generator for all 256 bytes; S(x) = SB_U[io] ^ SB_T[jo] ^ 0x63. Initialisers of
 * 16-byte tables, each used as one i8x16.swizzle table. */
${body}
`;

if (process.argv.includes("--check")) {
  const committed = readFileSync(OUTPUT, "utf8");
  if (committed !== text) {
    console.error(`${OUTPUT} is stale: run bun scripts/gen-wasm-aes-tables.ts`);
    process.exit(1);
  }
  console.log("wasm AES tables up to date");
} else {
  writeFileSync(OUTPUT, text);
  console.log(`wrote ${OUTPUT}`);
}
