// verusd-chain.ts — the chain half of the verusd simulator (test/support/verusd.ts): v7 PBaaS block
// templates shaped like the recorded ones (shared/transcripts/rpc-vnomp-*.jsonl), and the full check of
// a submitted block. Written from verus-stratum.md §4, §9 and verushash.md §1.2, §3 — not from
// src/daemon or src/pool, so that the pool's block assembly is checked by an independent reading.
// No I/O; the only native call is VerusHash (src/hash).

import { createHash, randomBytes } from "node:crypto";
import { preheaderHash, type Hasher } from "../../src/hash/index.ts";
import {
  FIRST_PREHEADER_HASH_OFFSET,
  HASH_INPUT_BYTES,
  SOLUTION_BYTES,
  SOLUTION_OFFSET,
  SOLUTION_TAIL_OFFSET,
  pbaasHeaderCountOf,
  solutionVersionOf,
} from "../../src/protocol/layout.ts";
import { bytesEqual, bytesToHex, concatBytes, hexToBytes } from "../../src/util/hex.ts";

/** nVersion of every block since VerusHash 2.0 (verushash.md §1.1; GBT "version": 65540). */
export const BLOCK_VERSION = 0x00010004;
/** VRSC's chain id, the first PBaaS header of every mainnet template (verushash.md §1.2). */
export const VRSC_CHAIN_ID = "1af5b8015c64d39ab44c60ead8317f9f5a9b6c4c";
/** Block subsidy as recorded (coinbasevalue 600000000 = 6 VRSC). */
export const SUBSIDY = 600_000_000;

export const sha256d = (b: Uint8Array): Uint8Array =>
  new Uint8Array(createHash("sha256").update(createHash("sha256").update(b).digest()).digest());
export const reversed = (b: Uint8Array): Uint8Array => b.slice().reverse();
/** Display-order hex (RPC) of an internal-order hash, and back. */
export const displayHex = (internal: Uint8Array): string => bytesToHex(reversed(internal));
export const fromDisplay = (hex: string): Uint8Array => reversed(hexToBytes(hex, 32));

export interface Tx {
  data: Uint8Array;
  /** sha256d(data), internal order. */
  id: Uint8Array;
  fee: number;
}

export function makeTx(data: Uint8Array, fee: number): Tx {
  return { data, id: sha256d(data), fee };
}

/** Random non-coinbase transaction, 60..300 bytes (a Sapling v4 header, then noise). */
export function randomTx(): Tx {
  const data = randomBytes(60 + Math.floor(Math.random() * 241));
  data.set([0x04, 0x00, 0x00, 0x80, 0x85, 0x20, 0x2f, 0x89], 0);
  data[8] = 0x01; // one input: the "50-byte key" used to find txs in a block starts with real noise
  return makeTx(new Uint8Array(data), 1000 + Math.floor(Math.random() * 20_000));
}

/** Canonical compact size (bitcoin's WriteCompactSize). */
export function compactSize(n: number): Uint8Array {
  if (n < 253) return Uint8Array.of(n);
  if (n <= 0xffff) return Uint8Array.of(0xfd, n & 0xff, n >>> 8);
  return Uint8Array.of(0xfe, n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
}

/** Reads a compact size at `off`; null when truncated; `canonical` false for a longer-than-needed form. */
export function readCompactSize(
  b: Uint8Array,
  off: number,
): { n: number; len: number; canonical: boolean } | null {
  const f = b[off];
  if (f === undefined) return null;
  if (f < 253) return { n: f, len: 1, canonical: true };
  const len = f === 0xfd ? 3 : f === 0xfe ? 5 : 9;
  if (off + len > b.length) return null;
  let n = 0;
  for (let i = len - 1; i >= 1; i--) n = n * 256 + b[off + i]!;
  const min = f === 0xfd ? 253 : f === 0xfe ? 0x10000 : 2 ** 32;
  return { n, len, canonical: n >= min };
}

/** Double-SHA256 merkle root over internal-order ids; an odd level duplicates its last hash. */
export function merkleRoot(ids: Uint8Array[]): Uint8Array {
  let level = ids;
  for (let guard = 0; level.length > 1 && guard < 64; guard++) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2)
      next.push(sha256d(concatBytes(level[i]!, level[i + 1] ?? level[i]!)));
    level = next;
  }
  return level[0]!;
}

/** Compact nBits → target (verushash.md §6). */
export function bitsToTarget(bits: number): bigint {
  const mant = BigInt(bits & 0x007fffff);
  const exp = bits >>> 24;
  return exp <= 3 ? mant >> BigInt(8 * (3 - exp)) : mant << BigInt(8 * (exp - 3));
}

/** Target → compact nBits (bitcoin's GetCompact). */
export function targetToBits(t: bigint): number {
  let size = t === 0n ? 0 : Math.ceil(t.toString(16).length / 2);
  let mant = size <= 3 ? Number(t << BigInt(8 * (3 - size))) : Number(t >> BigInt(8 * (size - 3)));
  if (mant & 0x00800000) {
    mant >>>= 8;
    size++;
  }
  return ((size << 24) | mant) >>> 0;
}

/** A hash (memory order) read as the little-endian 256-bit integer compared with targets. */
export function hashValue(hash: Uint8Array): bigint {
  return BigInt("0x" + (displayHex(hash) || "0"));
}

const u32le = (n: number): Uint8Array =>
  Uint8Array.of(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
const u64le = (n: number): Uint8Array => concatBytes(u32le(n % 2 ** 32), u32le(Math.floor(n / 2 ** 32)));

/**
 * The coinbase, shaped as recorded: a Sapling v4 transaction, one null input whose scriptSig pushes
 * the height (BIP34), one P2PKH output of subsidy + fees, expiry height + 20, no shielded parts.
 */
export function coinbaseTx(height: number, value: number, pubKeyHash: Uint8Array): Tx {
  const tag = new TextEncoder().encode("vbridge-verusd-sim");
  const script = concatBytes(Uint8Array.of(3, height & 0xff, (height >>> 8) & 0xff, height >>> 16, 0), tag);
  const data = concatBytes(
    hexToBytes("0400008085202f89" + "01" + "00".repeat(32) + "ffffffff"),
    compactSize(script.length),
    script,
    hexToBytes("ffffffff01"),
    u64le(value),
    Uint8Array.of(0x19, 0x76, 0xa9, 0x14),
    pubKeyHash,
    Uint8Array.of(0x88, 0xac),
    u32le(0),
    u32le(height + 20),
    new Uint8Array(8 + 3),
  );
  return makeTx(data, 0);
}

export interface ChainParams {
  bits: number;
  mergeBits: number | null;
}

/** One block template: what getblocktemplate serves and what a submitted block is checked against. */
export interface Template {
  height: number;
  prev: Uint8Array;
  sapling: Uint8Array;
  bits: number;
  mergeBits: number | null;
  nonce: Uint8Array;
  coinbase: Tx;
  txs: Tx[];
  merkle: Uint8Array;
  solution: Uint8Array;
  mintime: number;
  longpollId: string;
}

/** Builds a template and its solution: descriptor v7, one PBaaS header with the correct hashPreHeader. */
export function buildTemplate(o: {
  height: number;
  prev: Uint8Array;
  sapling: Uint8Array;
  params: ChainParams;
  txs: Tx[];
  pubKeyHash: Uint8Array;
  longpollId: string;
  now: number;
}): Template {
  const fees = o.txs.reduce((s, t) => s + t.fee, 0);
  const coinbase = coinbaseTx(o.height, SUBSIDY + fees, o.pubKeyHash);
  coinbase.fee = -fees;
  const merkle = merkleRoot([coinbase.id, ...o.txs.map((t) => t.id)]);
  const nonce = new Uint8Array(randomBytes(32));
  const solution = new Uint8Array(SOLUTION_BYTES);
  solution.set([7, 0, 0, 0, 1, 1, 0, 0], 0); // version 7, descrBits 1, 1 PBaaS header, no extra data
  solution.set(randomBytes(64), 8); // hashPrevMMRRoot, hashBlockMMRRoot
  solution.set(hexToBytes(VRSC_CHAIN_ID), 72);
  const t: Template = {
    height: o.height,
    prev: o.prev,
    sapling: o.sapling,
    bits: o.params.bits,
    mergeBits: o.params.mergeBits,
    nonce,
    coinbase,
    txs: o.txs,
    merkle,
    solution,
    mintime: o.now - 601,
    longpollId: o.longpollId,
  };
  solution.set(preheaderHash(hashInput(header(t, o.now), solution)), FIRST_PREHEADER_HASH_OFFSET);
  return t;
}

/** The 140-byte header of a template at time nTime, with the daemon nonce (§9 "Building the block"). */
export function header(t: Template, nTime: number): Uint8Array {
  return concatBytes(u32le(BLOCK_VERSION), t.prev, t.merkle, t.sapling, u32le(nTime), u32le(t.bits), t.nonce);
}

/** header ‖ fd4005 ‖ solution: the 1487 bytes VerusHash covers. */
export function hashInput(hdr: Uint8Array, solution: Uint8Array): Uint8Array {
  return concatBytes(hdr, Uint8Array.of(0xfd, 0x40, 0x05), solution);
}

/** The getblocktemplate result, keys in the recorded order. */
export function templateJson(t: Template, curtime: number): Record<string, unknown> {
  const target = bitsToTarget(t.bits).toString(16).padStart(64, "0");
  const tx = (x: Tx) => ({
    data: bytesToHex(x.data),
    hash: displayHex(x.id),
    depends: [],
    fee: x.fee,
    sigops: 1,
  });
  return {
    capabilities: ["proposal"],
    version: BLOCK_VERSION,
    previousblockhash: displayHex(t.prev),
    finalsaplingroothash: displayHex(t.sapling),
    solution: bytesToHex(t.solution),
    transactions: t.txs.map(tx),
    coinbasetxn: { ...tx(t.coinbase), coinbasevalue: SUBSIDY - t.coinbase.fee, required: true },
    longpollid: t.longpollId,
    target,
    mintime: t.mintime,
    mutable: ["time", "transactions", "prevblock"],
    noncerange: "00000000ffffffff",
    sigoplimit: 60000,
    sizelimit: 2000000,
    curtime,
    bits: t.bits.toString(16).padStart(8, "0"),
    ...(t.mergeBits === null ? {} : { mergeminebits: t.mergeBits.toString(16).padStart(8, "0") }),
    nonce: displayHex(t.nonce),
    height: t.height,
  };
}

/** What the check of a block concludes. */
export type Verdict =
  | { kind: "decode-failed"; detail: string }
  | { kind: "reason"; reason: string; detail: string; hash: Uint8Array; txCount: number }
  | {
      kind: "accepted";
      result: null | "accepted" | "inconclusive";
      hash: Uint8Array;
      template: Template;
      txCount: number;
    };

/** The state a block is checked against; the simulator owns it. */
export interface ChainView {
  tip: Uint8Array;
  knownBlock(hashDisplay: string): boolean;
  knownPrev(prevDisplay: string): boolean;
  /** Every live template (bounded by the simulator). */
  templates: Iterable<Template>;
  now: number;
}

/**
 * Pool-rule VerusHash (verushash.md §3.4): solution version > 6 with a PBaaS header → cleared hash if
 * the pre-header matches the first header's hashPreHeader, 32 × ff if not; otherwise the raw hash.
 */
export function poolRuleHash(hasher: Hasher, input: Uint8Array): Uint8Array {
  if (solutionVersionOf(input) > 6 && pbaasHeaderCountOf(input) > 0) {
    const at = SOLUTION_OFFSET + FIRST_PREHEADER_HASH_OFFSET;
    const pre = input.subarray(4, 140);
    const cleared =
      pre.every((b, i) => b === 0 || (i >= 96 && i < 100)) && input.subarray(151, 215).every((b) => b === 0);
    if (cleared || bytesEqual(preheaderHash(input), input.subarray(at, at + 32)))
      return hasher.hashHeader(input).hash;
    return new Uint8Array(32).fill(0xff);
  }
  return hasher.hash(input);
}

const MAX_TXS = 100_000;

/** Splits the block body into the transactions it carries, by matching the bytes of known ones. */
function decodeTxs(block: Uint8Array, view: ChainView): { txs: Tx[]; coinbases: Set<Tx> } | string {
  const byKey = new Map<string, Tx[]>();
  const coinbases = new Set<Tx>();
  for (const t of view.templates) {
    coinbases.add(t.coinbase);
    for (const x of [t.coinbase, ...t.txs]) {
      const k = bytesToHex(x.data.subarray(0, 50));
      const list = byKey.get(k) ?? [];
      if (!list.includes(x)) list.push(x);
      byKey.set(k, list);
    }
  }
  const count = readCompactSize(block, HASH_INPUT_BYTES);
  if (count === null) return "truncated before the transaction count";
  if (!count.canonical) return `non-canonical compact size for the transaction count ${count.n}`;
  if (count.n > MAX_TXS) return `transaction count ${count.n} is over ${MAX_TXS}`;
  const txs: Tx[] = [];
  let p = HASH_INPUT_BYTES + count.len;
  for (let i = 0; i < count.n; i++) {
    if (p >= block.length) return `truncated: ${i} of ${count.n} transactions present`;
    const cands = byKey.get(bytesToHex(block.subarray(p, p + 50))) ?? [];
    const x = cands.find(
      (c) => p + c.data.length <= block.length && bytesEqual(block.subarray(p, p + c.data.length), c.data),
    );
    if (x === undefined) return `transaction ${i} at byte ${p} is not one this daemon knows`;
    txs.push(x);
    p += x.data.length;
  }
  if (p !== block.length) return `${block.length - p} trailing bytes after ${count.n} transactions`;
  return { txs, coinbases };
}

const rd32 = (b: Uint8Array, off: number): number =>
  (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0;

/**
 * Checks a submitted block fully (see verusd.ts's header for the order and the answers). `merged`:
 * submitmergedblock, for which a hash meeting only mergeminebits is "accepted" (by merged chains).
 */
export function checkBlock(hasher: Hasher, block: Uint8Array, view: ChainView, merged: boolean): Verdict {
  if (block.length < HASH_INPUT_BYTES + 1)
    return { kind: "decode-failed", detail: `only ${block.length} bytes` };
  const sol = readCompactSize(block, 140)!;
  if (!sol.canonical || sol.len !== 3 || sol.n !== SOLUTION_BYTES) {
    return {
      kind: "decode-failed",
      detail: `solution compact size is not fd4005 (${bytesToHex(block.subarray(140, 143))})`,
    };
  }
  const body = decodeTxs(block, view);
  if (typeof body === "string") return { kind: "decode-failed", detail: body };
  const input = block.subarray(0, HASH_INPUT_BYTES);
  const hash = poolRuleHash(hasher, input);
  const txCount = body.txs.length;
  const no = (reason: string, detail: string): Verdict => ({ kind: "reason", reason, detail, hash, txCount });
  if (view.knownBlock(displayHex(hash))) return no("duplicate", "this block was submitted before");
  if (rd32(block, 0) !== BLOCK_VERSION) return no("bad-version", `nVersion ${rd32(block, 0).toString(16)}`);
  const prev = block.subarray(4, 36);
  if (!view.knownPrev(displayHex(prev)))
    return no("bad-prevblk", `unknown previous block ${displayHex(prev)}`);
  const root = merkleRoot(body.txs.map((t) => t.id));
  if (!bytesEqual(root, block.subarray(36, 68)))
    return no("bad-txnmrklroot", "header merkle root ≠ merkle root of the block's transactions");
  if (!body.coinbases.has(body.txs[0]!))
    return no("bad-cb-missing", "the first transaction is not a coinbase");
  if (body.txs.slice(1).some((t) => body.coinbases.has(t)))
    return no("bad-cb-multiple", "more than one coinbase");
  const t = [...view.templates].find((c) => bytesEqual(c.prev, prev) && bytesEqual(c.merkle, root));
  if (t === undefined)
    return no(
      "high-hash",
      "coinbase or transactions differ from every template of this previous block (the pre-header commits to the template's merkle root)",
    );
  if (!bytesEqual(block.subarray(68, 100), t.sapling))
    return no("bad-sapling-root-in-block", "hashFinalSaplingRoot differs");
  if (rd32(block, 104) !== t.bits)
    return no("bad-diffbits", `nBits ${rd32(block, 104).toString(16)} ≠ ${t.bits.toString(16)}`);
  const nTime = rd32(block, 100);
  if (nTime < t.mintime) return no("time-too-old", `nTime ${nTime} < mintime ${t.mintime}`);
  if (nTime > view.now + 60) return no("time-too-new", `nTime ${nTime} is over 60 s ahead`);
  const s = block.subarray(SOLUTION_OFFSET, SOLUTION_OFFSET + SOLUTION_BYTES);
  if (!bytesEqual(s.subarray(0, SOLUTION_TAIL_OFFSET), t.solution.subarray(0, SOLUTION_TAIL_OFFSET))) {
    return no("high-hash", "solution differs from the template's outside its 15-byte tail");
  }
  if (!bytesEqual(block.subarray(108, 140), t.nonce))
    return no("high-hash", "header nonce is not the daemon's (GBT nonce, reversed): pre-header mismatch");
  const v = hashValue(hash);
  const merge = merged && t.mergeBits !== null && v <= bitsToTarget(t.mergeBits);
  if (v > bitsToTarget(t.bits) && !merge) return no("high-hash", `hash ${displayHex(hash)} above the target`);
  if (!bytesEqual(prev, view.tip))
    return { kind: "accepted", result: "inconclusive", hash, template: t, txCount };
  if (v > bitsToTarget(t.bits)) return { kind: "accepted", result: "accepted", hash, template: t, txCount };
  return { kind: "accepted", result: null, hash, template: t, txCount };
}
