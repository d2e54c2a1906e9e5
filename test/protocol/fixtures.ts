// fixtures.ts — the shared recordings the protocol tests replay: transcripts, accepted shares,
// the daemon template behind two of them, and a deterministic PRNG for the fuzz tests.
// Paths resolve from this file to ../shared beside the repository (as CI clones it).

import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { blake2b256 } from "./blake2b.ts";
import { preHeaderOf } from "../../src/protocol/pbaas.ts";

export const SHARED = resolve(import.meta.dir, "../../../shared");
export const TRANSCRIPTS = join(SHARED, "transcripts");

export interface TranscriptLine {
  file: string;
  index: number;
  raw: string;
  value: Record<string, unknown>;
}

export function transcriptFiles(): string[] {
  return readdirSync(TRANSCRIPTS)
    .filter((f) => f.endsWith(".jsonl"))
    .sort();
}

export function readTranscript(file: string): TranscriptLine[] {
  return readFileSync(join(TRANSCRIPTS, file), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((raw, index) => ({ file, index, raw, value: JSON.parse(raw) as Record<string, unknown> }));
}

/** A Stratum message line of a transcript: its direction, connection and the message as sent. */
export interface WireLine {
  file: string;
  index: number;
  conn: string;
  dir: string;
  msg: unknown;
  /** The message as one line (JSON.stringify keeps the recorded key order). */
  text: string;
  /** A gap `note` line came earlier: requests and notifies before it may be missing. */
  afterGap: boolean;
}

export function wireLines(file: string): WireLine[] {
  const out: WireLine[] = [];
  let afterGap = false;
  for (const l of readTranscript(file)) {
    // {"note": …} without a timestamp marks a trimmed gap; with one it is an annotation.
    if (typeof l.value.note === "string" && !("t" in l.value)) afterGap = true;
    if (typeof l.value.dir !== "string" || l.value.dir === "rpc" || !("msg" in l.value)) continue;
    out.push({
      file,
      index: l.index,
      conn: String(l.value.conn ?? l.value.session),
      dir: l.value.dir,
      msg: l.value.msg,
      text: JSON.stringify(l.value.msg),
      afterGap,
    });
  }
  return out;
}

export const fromPool = (dir: string) => dir.startsWith("pool->");
export const fromMiner = (dir: string) => dir === "miner->pool" || dir === "client->pool";

export interface ShareVector {
  source: string;
  jobId: string;
  notifyParams: unknown[];
  extranonce1: string;
  setTarget: string;
  submitParams: string[];
  header140Hex_asMinerBuiltIt: string;
  pbaasCleared: boolean;
  hashInput1487Hex: string;
  verusHash22_rawLE: string;
  verusHash22_displayBE: string;
  meetsTarget: boolean;
  poolShareDiff: number;
}

export function shareVectors(): ShareVector[] {
  return (JSON.parse(readFileSync(join(SHARED, "vectors/shares.json"), "utf8")) as { vectors: ShareVector[] })
    .vectors;
}

/**
 * The getblocktemplate behind job "cccd" of vnomp-rawclient (shares 0 and 1): its `nonce` is the
 * daemon nonce (display order) the pool put into the header for solution version 7.
 */
export function rawclientTemplate(): { nonce: string; target: string; previousblockhash: string } {
  for (const l of readTranscript("rpc-vnomp-startup.head.jsonl")) {
    const res = l.value.res as
      { result?: { nonce?: string; target?: string; previousblockhash?: string } } | undefined;
    const r = res?.result;
    if (r?.nonce && r.target && r.previousblockhash)
      return { nonce: r.nonce, target: r.target, previousblockhash: r.previousblockhash };
  }
  throw new Error("no getblocktemplate with a nonce in rpc-vnomp-startup");
}

const PERSONAL = new TextEncoder().encode("VerusDefaultHash");

/** Test-only pre-header hash of a 1487-byte input (the native library provides the real one). */
export function testPreHeaderHash(input: Uint8Array): Uint8Array {
  return blake2b256(preHeaderOf(input), PERSONAL);
}

/** mulberry32: a small deterministic PRNG, so fuzz failures reproduce from the seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface HashVector {
  id: string;
  algo: string;
  input_hex: string;
  hash_hex: string;
  rule?: string;
  solution_version?: number;
  canonical_input_hex?: string;
  pool_hash2b2_hex?: string;
  miner_hash_hex?: string;
}

/** The PBaaS-relevant 1487-byte vectors of vectors/verushash.json (real v7/v8 blocks and synthetic cases). */
export function pbaasVectors(): HashVector[] {
  const all = JSON.parse(readFileSync(join(SHARED, "vectors/verushash.json"), "utf8")) as HashVector[];
  return all.filter((v) => v.input_hex.length === 2 * 1487 && v.pool_hash2b2_hex !== undefined);
}
