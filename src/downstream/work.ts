// work.ts — from the core's MinerWork to what the WebSocket codecs need, shared per job: a new job
// goes to every miner, and all but a few bytes of its frame are the same for each (the header,
// the solution template). The per-job templates are cached on the Job object, so 10,000 msgpack
// sessions with one target cost one encode and 10,000 copies with their own prefix (ws-msgpack.ts),
// and JSON ones a small encode each, not a full one. Also the per-session memory of which prefix
// each job was announced with, so a share is rebuilt with the bytes the miner really hashed.
//
// A WebSocket share names only its job and the miner's bytes, not the prefix. When a session gets
// a new lease (the pool reconnected with a new extranonce1) the pool usually re-sends the job it
// had, under the same id: then the id alone cannot tell a share hashed with the old prefix (stale)
// from one hashed with the new. So the re-announced job gets a name of its own on this connection
// ("<id>~1"); the wire id maps back to the pool's id and the prefix it was announced with.

import type { MinerShare, MinerWork } from "../bridge/contract.ts";
import { bytesEqual, sameWork, targetToLE, type Job } from "../protocol/index.ts";
import { JobWindow } from "../protocol/job-window.ts";
import { JsonWorkTemplate, tailWithNonce } from "../protocol/ws-json.ts";
import { HEADER_HEAD_BYTES, NONCE_TAIL_BYTES } from "../protocol/layout.ts";
import { MsgpackJobTemplate } from "../protocol/ws-msgpack.ts";

const ZERO_NONCE = new Uint8Array(32);

interface JobTemplates {
  msgpack: MsgpackJobTemplate | null;
  json: JsonWorkTemplate | null;
}

/** Per job, by the id it goes out under (the pool's, or a renamed one after a new lease). */
const cache = new WeakMap<Job, Map<string, JobTemplates>>();

function templatesOf(w: MinerWork): JobTemplates {
  let byId = cache.get(w.job);
  if (byId === undefined) cache.set(w.job, (byId = new Map()));
  let t = byId.get(w.jobId);
  if (t === undefined) byId.set(w.jobId, (t = { msgpack: null, json: null }));
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
  return job.header(ZERO_NONCE).subarray(0, HEADER_HEAD_BYTES);
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

/** A job as this session was told it: the pool's id, the job and the extranonce1 it came with. */
interface Announced {
  poolId: string;
  job: Job;
  prefix: Uint8Array;
}

/**
 * Which extranonce1 each job was announced to this session with, by the id the session knows it
 * by. A share names its job; its tail is rebuilt from that announcement's prefix (or the current
 * one for a job never announced, which the core then refuses as unknown). Bounded like every job
 * table (protocol/job-window.ts: as many jobs as a pool keeps valid, oldest forgotten first).
 * Not cleared by a clean job: a share for a dropped job is still rebuilt as it was hashed, and the
 * core calls it stale.
 */
export class AnnouncedJobs {
  readonly #jobs = new JobWindow<Announced>();
  #current: Uint8Array | null = null;

  /**
   * Remembers the job and returns the id to send it under: the pool's, unless this session already
   * knows that id with another prefix (a job re-sent after a new lease) or for another job (a pool
   * that restarted its ids) — then "<id>~n", the first such name that is free or already means
   * this job and prefix.
   */
  announce(w: MinerWork): string {
    let wireId = w.jobId;
    for (let n = 1; ; n++) {
      const known = this.#jobs.get(wireId);
      if (known === undefined || (sameWork(known.job, w.job) && bytesEqual(known.prefix, w.extranonce1)))
        break;
      wireId = `${w.jobId}~${n}`;
    }
    this.#jobs.put(wireId, { poolId: w.jobId, job: w.job, prefix: w.extranonce1 });
    this.#current = w.extranonce1;
    return wireId;
  }

  /** The prefix a share for `wireId` was hashed with; null before any work. */
  prefixFor(wireId: string): Uint8Array | null {
    return this.#jobs.get(wireId)?.prefix ?? this.#current;
  }

  /** msgpack: the miner sent the tail bytes after the prefix (exactly 15 − prefix length of them). */
  tailShare(wireId: string, nonce: Uint8Array): MinerShare | "no-work" | "nonce-size" {
    const prefix = this.prefixFor(wireId);
    if (prefix === null) return "no-work";
    if (prefix.length + nonce.length !== NONCE_TAIL_BYTES) return "nonce-size";
    const tail = new Uint8Array(NONCE_TAIL_BYTES);
    tail.set(prefix, 0);
    tail.set(nonce, prefix.length);
    return { kind: "tail", jobId: this.#poolId(wireId), tail, ...this.#announced(wireId) };
  }

  /** JSON: the miner sent a u32 for tail bytes 11..14. */
  nonceShare(wireId: string, nonce: number): MinerShare | "no-work" {
    const prefix = this.prefixFor(wireId);
    return prefix === null
      ? "no-work"
      : {
          kind: "tail",
          jobId: this.#poolId(wireId),
          tail: tailWithNonce(prefix, nonce),
          ...this.#announced(wireId),
        };
  }

  /** The job announced under `wireId`, for the core to tell an older job of the same id (none: unknown id). */
  #announced(wireId: string): { announced?: Job } {
    const job = this.#jobs.get(wireId)?.job;
    return job === undefined ? {} : { announced: job };
  }

  /** The pool's id of a job this session knows by `wireId` (unknown ids pass through for the core to refuse). */
  #poolId(wireId: string): string {
    return this.#jobs.get(wireId)?.poolId ?? wireId;
  }
}
