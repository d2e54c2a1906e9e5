// work.ts — from the core's MinerWork to what the WebSocket codecs need, shared per job: a new job
// goes to every miner, and all but a few bytes of its frame are the same for each (the header,
// the solution template). The per-job templates are cached on the Job object, so 10,000 sessions
// cost 10,000 small encodes, not 10,000 full ones. Also the per-session memory of which prefix
// each job was announced with, so a share is rebuilt with the bytes the miner really hashed.

import type { MinerShare, MinerWork } from "../bridge/contract.ts";
import { targetToLE, type Job } from "../protocol/index.ts";
import { JsonWorkTemplate, tailWithNonce } from "../protocol/ws-json.ts";
import { HEAD_BYTES, MsgpackJobTemplate, TAIL_BYTES } from "../protocol/ws-msgpack.ts";

const ZERO_NONCE = new Uint8Array(32);

interface JobTemplates {
  jobId: string;
  msgpack: MsgpackJobTemplate | null;
  json: JsonWorkTemplate | null;
}

const cache = new WeakMap<Job, JobTemplates>();

function templatesOf(w: MinerWork): JobTemplates {
  let t = cache.get(w.job);
  if (t === undefined || t.jobId !== w.jobId) {
    t = { jobId: w.jobId, msgpack: null, json: null };
    cache.set(w.job, t);
  }
  return t;
}

// Sessions of one upstream mostly share a difficulty: one remembered conversion saves a bigint
// walk per session on every job broadcast.
let lastTarget: bigint | null = null;
let lastTargetLE: Uint8Array = new Uint8Array(32);

function targetLE(target: bigint): Uint8Array {
  if (target !== lastTarget) {
    lastTargetLE = targetToLE(target);
    lastTarget = target;
  }
  return lastTargetLE;
}

function head(job: Job): Uint8Array {
  return job.header(ZERO_NONCE).subarray(0, HEAD_BYTES);
}

/** The msgpack job frame for this session (clean as the transport decides). */
export function msgpackJobFrame(w: MinerWork, clean: boolean): Uint8Array {
  const t = templatesOf(w);
  t.msgpack ??= new MsgpackJobTemplate(w.jobId, head(w.job), w.job.template());
  return t.msgpack.encode(clean, w.extranonce1, targetLE(w.target), w.difficulty);
}

/** The seed's JSON work message for this session. */
export function jsonWorkMessage(w: MinerWork): string {
  const t = templatesOf(w);
  t.json ??= new JsonWorkTemplate(w.jobId, head(w.job), w.job.template());
  return t.json.encode(w.extranonce1, targetLE(w.target), w.difficulty);
}

/** Jobs remembered per session: enough for every job a pool keeps valid within one block. */
const MAX_REMEMBERED_JOBS = 32;

/**
 * Which extranonce1 each job was announced to this session with. A share names its job; its tail
 * is rebuilt from that job's prefix (or the current one for a job never announced, which the core
 * then refuses as unknown). Bounded: the oldest job is forgotten first.
 */
export class AnnouncedJobs {
  readonly #prefixes = new Map<string, Uint8Array>();
  #current: Uint8Array | null = null;

  announce(w: MinerWork): void {
    this.#prefixes.delete(w.jobId);
    this.#prefixes.set(w.jobId, w.extranonce1);
    this.#current = w.extranonce1;
    if (this.#prefixes.size > MAX_REMEMBERED_JOBS) this.#prefixes.delete(this.#prefixes.keys().next().value!);
  }

  /** The prefix a share for `jobId` was hashed with; null before any work. */
  prefixFor(jobId: string): Uint8Array | null {
    return this.#prefixes.get(jobId) ?? this.#current;
  }

  /** msgpack: the miner sent the tail bytes after the prefix (exactly 15 − prefix length of them). */
  tailShare(jobId: string, nonce: Uint8Array): MinerShare | "no-work" | "nonce-size" {
    const prefix = this.prefixFor(jobId);
    if (prefix === null) return "no-work";
    if (prefix.length + nonce.length !== TAIL_BYTES) return "nonce-size";
    const tail = new Uint8Array(TAIL_BYTES);
    tail.set(prefix, 0);
    tail.set(nonce, prefix.length);
    return { kind: "tail", jobId, tail };
  }

  /** JSON: the miner sent a u32 for tail bytes 11..14. */
  nonceShare(jobId: string, nonce: number): MinerShare | "no-work" {
    const prefix = this.prefixFor(jobId);
    return prefix === null ? "no-work" : { kind: "tail", jobId, tail: tailWithNonce(prefix, nonce) };
  }
}
