// template.ts — verusd's getblocktemplate result turned into work and, when a share meets the block
// target, into the block (verus-stratum.md §9). Pure: no I/O, no clock.
//
// parseTemplate validates every field a solo pool uses and names the first bad one (E_DAEMON_TEMPLATE),
// so a daemon bug costs one template, never a wrong block. The notify built from it has exactly the
// shape of the built-in pool's synthetic jobs (src/pool/synthetic.ts): header fields in header byte
// order, the merkle root over [coinbase, ...transactions], nTime = curtime, the daemon's solution
// trimmed of trailing zero bytes; the Job carries the daemon nonce (the PBaaS pre-header commits to it).

import { bytesToHex, concatBytes, hexToBytesOrNull, isHex } from "../util/hex.ts";
import { Job } from "../protocol/job.ts";
import { NOTIFY, type Notify } from "../protocol/notify.ts";
import {
  BLOCK_HEADER_BYTES,
  NONCE_BYTES,
  SOLUTION_BYTES,
  SOLUTION_COMPACT_SIZE,
} from "../protocol/layout.ts";
import { compactToTarget, hashToDisplayHex } from "../protocol/target.ts";
import { DaemonError } from "./errors.ts";

export interface TemplateTransaction {
  data: Uint8Array;
  /** txid, display order (as the daemon gives it). */
  hash: string;
}

export interface BlockTemplate {
  height: number;
  /** nVersion as a number (65540 = 0x00010004). */
  version: number;
  prevHashDisplay: string;
  /** Compact nBits. */
  bits: number;
  /** GBT `target`: the block target. */
  target: bigint;
  /** Target of `mergeminebits` when present (merge-mined chains). */
  mergeMineTarget: bigint | null;
  curtime: number;
  /** The daemon's header nonce in header order (GBT `nonce` byte-reversed), 32 bytes. */
  daemonNonce: Uint8Array;
  /** The daemon's solution, full (lowercase hex, up to 1344 bytes). */
  solution: string;
  /** uint32 LE of solution bytes 0..3: > 6 means PBaaS (submitmergedblock, the daemon's coinbase). */
  solutionVersion: number;
  coinbase: Uint8Array;
  /** Coinbase txid, display order. */
  coinbaseHash: string;
  transactions: TemplateTransaction[];
  longpollId: string | null;
  /** Display order; 64 zeros when the daemon gave none. */
  finalSaplingRoot: string;
}

const ZERO_HASH = "0".repeat(64);

/** Validates a getblocktemplate result. Throws E_DAEMON_TEMPLATE naming the first bad field. */
export function parseTemplate(gbt: unknown): BlockTemplate {
  if (!isObject(gbt)) throw bad("result", "is not an object");
  const solution = hexField(gbt, "solution", { minBytes: 4, maxBytes: SOLUTION_BYTES }).toLowerCase();
  const cb = gbt.coinbasetxn;
  if (cb === undefined || cb === null)
    throw bad(
      "coinbasetxn",
      "is missing: the daemon built no coinbase (start verusd with -mineraddress=<address>)",
    );
  if (!isObject(cb)) throw bad("coinbasetxn", "is not an object");
  const coinbase = bytesField(cb, "data", "coinbasetxn.data");
  const coinbaseHash = hexField(cb, "hash", { bytes: 32 }, "coinbasetxn.hash").toLowerCase();
  const txs = gbt.transactions ?? [];
  if (!Array.isArray(txs)) throw bad("transactions", "is not an array");
  const transactions = txs.map((tx, i): TemplateTransaction => {
    const name = `transactions[${i}]`;
    if (!isObject(tx)) throw bad(name, "is not an object");
    return {
      data: bytesField(tx, "data", `${name}.data`),
      hash: hexField(tx, "hash", { bytes: 32 }, `${name}.hash`).toLowerCase(),
    };
  });
  const sapling = gbt.finalsaplingroothash;
  const mmb = gbt.mergeminebits;
  const longpoll = gbt.longpollid;
  if (longpoll !== undefined && longpoll !== null && typeof longpoll !== "string")
    throw bad("longpollid", "is not a string");
  const nonce = hexField(gbt, "nonce", { bytes: NONCE_BYTES });
  return {
    height: intField(gbt, "height", 0, 0xffffffff),
    version: intField(gbt, "version", 0, 0xffffffff),
    prevHashDisplay: hexField(gbt, "previousblockhash", { bytes: 32 }).toLowerCase(),
    bits: bitsField(gbt, "bits").bits,
    target: BigInt("0x" + hexField(gbt, "target", { bytes: 32 })),
    mergeMineTarget: mmb === undefined || mmb === null ? null : bitsField(gbt, "mergeminebits").target,
    curtime: intField(gbt, "curtime", 0, 0xffffffff),
    daemonNonce: reversed(hexToBytesOrNull(nonce)!),
    solution,
    solutionVersion: new DataView(hexToBytesOrNull(solution.slice(0, 8))!.buffer).getUint32(0, true),
    coinbase,
    coinbaseHash,
    transactions,
    longpollId: typeof longpoll === "string" ? longpoll : null,
    finalSaplingRoot:
      sapling === undefined || sapling === null
        ? ZERO_HASH
        : hexField(gbt, "finalsaplingroothash", { bytes: 32 }).toLowerCase(),
  };
}

/** Double SHA-256 merkle root over txids in internal order (an odd level repeats its last hash). */
export function merkleRoot(hashesInternalOrder: readonly Uint8Array[]): Uint8Array {
  if (hashesInternalOrder.length === 0) throw new RangeError("a merkle tree needs at least one hash");
  let level = hashesInternalOrder.map((h) => {
    if (h.length !== 32) throw new RangeError(`merkle leaves are 32 bytes, got ${h.length}`);
    return h;
  });
  const pair = new Uint8Array(64);
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      pair.set(level[i]!, 0);
      pair.set(level[i + 1] ?? level[i]!, 32);
      next.push(sha256d(pair));
    }
    level = next;
  }
  return Uint8Array.from(level[0]!);
}

/** SHA-256(SHA-256(bytes)). */
export function sha256d(bytes: Uint8Array): Uint8Array {
  const once = new Bun.CryptoHasher("sha256").update(bytes).digest();
  return new Uint8Array(new Bun.CryptoHasher("sha256").update(once).digest());
}

const merkleCache = new WeakMap<BlockTemplate, string>();

/** The template's merkle root in header order (hex), over [coinbase, ...transactions]; computed once. */
export function templateMerkleRoot(t: BlockTemplate): string {
  let root = merkleCache.get(t);
  if (root === undefined) {
    const leaves = [t.coinbaseHash, ...t.transactions.map((x) => x.hash)].map((h) =>
      reversed(hexToBytesOrNull(h)!),
    );
    root = bytesToHex(merkleRoot(leaves));
    merkleCache.set(t, root);
  }
  return root;
}

/** The mining.notify a pool sends for this template (header byte order throughout). */
export function templateNotify(t: BlockTemplate, jobId: string, clean: boolean): Notify {
  return {
    method: NOTIFY,
    id: null,
    jobId,
    version: u32LEHex(t.version),
    prevHash: reversedHex(t.prevHashDisplay),
    merkleRoot: templateMerkleRoot(t),
    finalSaplingRoot: reversedHex(t.finalSaplingRoot),
    nTime: u32LEHex(t.curtime),
    nBits: u32LEHex(t.bits),
    cleanJobs: clean,
    solution: trimTrailingZeroBytes(t.solution),
  };
}

/** The block-candidate target: GBT target, or the easier (larger) mergeminebits target. */
export function templateBlockTarget(t: BlockTemplate): bigint {
  return t.mergeMineTarget !== null && t.mergeMineTarget > t.target ? t.mergeMineTarget : t.target;
}

/** The Job for this template, with the daemon nonce and the block target. */
export function templateJob(t: BlockTemplate, jobId: string, clean: boolean): Job {
  return new Job(templateNotify(t, jobId, clean), {
    daemonNonce: t.daemonNonce,
    blockTarget: templateBlockTarget(t),
  });
}

/** Bitcoin's canonical CompactSize: < 253 one byte; fd + u16; fe + u32; ff + u64. */
export function compactSize(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`compact size of ${n}`);
  if (n < 0xfd) return Uint8Array.of(n);
  if (n <= 0xffff) return Uint8Array.of(0xfd, n & 0xff, n >>> 8);
  const out = new Uint8Array(n <= 0xffffffff ? 5 : 9);
  const view = new DataView(out.buffer);
  if (n <= 0xffffffff) {
    out[0] = 0xfe;
    view.setUint32(1, n, true);
  } else {
    out[0] = 0xff;
    view.setBigUint64(1, BigInt(n), true);
  }
  return out;
}

/** header ‖ fd4005 ‖ solution ‖ compactSize(1 + txs) ‖ coinbase ‖ transactions: the block to submit. */
export function assembleBlock(t: BlockTemplate, header: Uint8Array, solution: Uint8Array): Uint8Array {
  if (header.length !== BLOCK_HEADER_BYTES)
    throw new RangeError(`header must be ${BLOCK_HEADER_BYTES} bytes, got ${header.length}`);
  if (solution.length !== SOLUTION_BYTES)
    throw new RangeError(`solution must be ${SOLUTION_BYTES} bytes, got ${solution.length}`);
  const parts = [
    header,
    Uint8Array.from(SOLUTION_COMPACT_SIZE),
    solution,
    compactSize(1 + t.transactions.length),
    t.coinbase,
    ...t.transactions.map((x) => x.data),
  ];
  return concatBytes(...parts);
}

/** A block hash (32 bytes, memory order) as explorers and getblock show it. */
export function blockHashDisplay(hash: Uint8Array): string {
  if (hash.length !== 32) throw new RangeError(`a block hash is 32 bytes, got ${hash.length}`);
  return hashToDisplayHex(hash);
}

/** The daemon's solution hex as pools send it in notify param 8: trailing zero bytes removed. */
export function trimTrailingZeroBytes(hex: string): string {
  let end = hex.length;
  while (end >= 2 && hex[end - 1] === "0" && hex[end - 2] === "0") end -= 2;
  return hex.slice(0, end);
}

// --- field readers ---

function bad(field: string, why: string): DaemonError {
  return new DaemonError("E_DAEMON_TEMPLATE", `getblocktemplate field ${field} ${why}`, { field });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

interface HexRule {
  bytes?: number;
  minBytes?: number;
  maxBytes?: number;
}

function hexField(o: Record<string, unknown>, key: string, rule: HexRule, name = key): string {
  const v = o[key];
  if (v === undefined || v === null) throw bad(name, "is missing");
  if (typeof v !== "string") throw bad(name, "is not a string");
  if (!isHex(v)) throw bad(name, "is not hex");
  const n = v.length / 2;
  if (rule.bytes !== undefined && n !== rule.bytes) throw bad(name, `must be ${rule.bytes} bytes, got ${n}`);
  if (rule.minBytes !== undefined && n < rule.minBytes)
    throw bad(name, `must be at least ${rule.minBytes} bytes, got ${n}`);
  if (rule.maxBytes !== undefined && n > rule.maxBytes)
    throw bad(name, `must be at most ${rule.maxBytes} bytes, got ${n}`);
  return v;
}

function bytesField(o: Record<string, unknown>, key: string, name: string): Uint8Array {
  return hexToBytesOrNull(hexField(o, key, { minBytes: 1 }, name))!;
}

function intField(o: Record<string, unknown>, key: string, min: number, max: number): number {
  const v = o[key];
  if (v === undefined || v === null) throw bad(key, "is missing");
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max)
    throw bad(key, `must be an integer in ${min}..${max}, got ${JSON.stringify(v)}`);
  return v;
}

function bitsField(o: Record<string, unknown>, key: string): { bits: number; target: bigint } {
  const bits = Number.parseInt(hexField(o, key, { bytes: 4 }), 16) >>> 0;
  try {
    return { bits, target: compactToTarget(bits) };
  } catch {
    throw bad(key, "is not a valid compact target");
  }
}

function reversed(b: Uint8Array): Uint8Array {
  return Uint8Array.from(b).reverse();
}

function reversedHex(displayHex: string): string {
  return bytesToHex(reversed(hexToBytesOrNull(displayHex)!));
}

function u32LEHex(v: number): string {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return bytesToHex(b);
}
