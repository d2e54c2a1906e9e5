// fake-core.ts — a BridgeCore that implements the contract and nothing more: it records every
// call, hands out leases (the pool's extranonce1 ‖ a 2-byte session id), pushes work when the test
// says so, and answers shares (accept when the tail starts with the session's extranonce1) unless
// the test answers them itself.

import type {
  BridgeHealth,
  BridgeCore,
  BridgeStats,
  MinerHello,
  MinerSession,
  MinerShare,
  MinerSink,
  MinerWork,
  ShareOutcome,
} from "../../src/bridge/contract.ts";
import { hexToBytes } from "../../src/protocol/hex.ts";
import { Job } from "../../src/protocol/job.ts";
import { decodeNotify } from "../../src/protocol/notify.ts";
import { rejectOf } from "../../src/protocol/reject.ts";
import { difficultyToTarget } from "../../src/protocol/target.ts";
import { CodedError } from "../../src/util/errors.ts";
import { shareVectors } from "../protocol/fixtures.ts";

export const POOL_XN1 = hexToBytes("1ffffff9");

/** ccminer 3.8.3's recorded v7 job; `jobNumber` gives it another id (and clean flag). */
export function v7Job(id = "ced4", prevHash?: string): Job {
  const params = [...shareVectors()[2]!.notifyParams];
  params[0] = id;
  if (prevHash !== undefined) params[2] = prevHash;
  return new Job(decodeNotify(null, params));
}

export class FakeSession implements MinerSession {
  readonly id: number;
  readonly hello: MinerHello;
  readonly sink: MinerSink;
  extranonce1: Uint8Array;
  difficulty: number;
  worker: string | null = null;
  readonly authorizations: { user: string; password: string }[] = [];
  readonly shares: { share: MinerShare; token: unknown }[] = [];
  closed = false;
  readonly #core: FakeCore;

  constructor(core: FakeCore, id: number, hello: MinerHello, sink: MinerSink) {
    this.#core = core;
    this.id = id;
    this.hello = hello;
    this.sink = sink;
    this.extranonce1 = Uint8Array.of(...POOL_XN1, id >> 8, id & 0xff);
    this.difficulty = core.difficulty;
  }

  authorize(user: string, password: string): { ok: true } | { ok: false; reason: string } {
    this.authorizations.push({ user, password });
    if (user === "refused" || /\s/.test(user)) return { ok: false, reason: "user must be ADDRESS[.WORKER]" };
    this.worker = user;
    return { ok: true };
  }

  submit(share: MinerShare, token: unknown): void {
    this.shares.push({ share, token });
    if (this.#core.answer === "accept") this.sink.result({ token, outcome: this.verdict(share) });
  }

  close(): void {
    this.closed = true;
  }

  verdict(share: MinerShare): ShareOutcome {
    if (this.worker === null) return { status: "rejected", reject: rejectOf("unauthorized") };
    if (!this.#core.jobs.has(share.jobId)) return { status: "rejected", reject: rejectOf("job-not-found") };
    const tail = share.kind === "tail" ? share.tail : (share.solution ?? new Uint8Array(15)).subarray(-15);
    const ok = this.extranonce1.every((b, i) => tail[i] === b);
    return ok
      ? { status: "accepted", difficulty: this.difficulty, forwarded: false }
      : { status: "rejected", reject: rejectOf("pool-nonce-missing") };
  }

  work(job: Job, clean: boolean): MinerWork {
    return {
      jobId: job.id,
      job,
      extranonce1: this.extranonce1,
      extranonce2Size: 32 - this.extranonce1.length,
      target: difficultyToTarget(this.difficulty),
      difficulty: this.difficulty,
      clean,
    };
  }
}

export class FakeCore implements BridgeCore {
  readonly sessions: FakeSession[] = [];
  readonly jobs = new Map<string, Job>();
  current: Job | null = null;
  difficulty = 8;
  /** A CodedError code open() throws (E_BRIDGE_FULL), or null. */
  refuse: string | null = null;
  answer: "accept" | "manual" = "accept";
  #next = 1;

  constructor(job: Job | null = v7Job()) {
    if (job !== null) this.publish(job, true);
  }

  open(hello: MinerHello, sink: MinerSink): MinerSession {
    if (this.refuse !== null) throw new CodedError(this.refuse, "no lease left");
    const s = new FakeSession(this, this.#next++, hello, sink);
    this.sessions.push(s);
    // As the real core may: work before open() returns.
    if (this.current !== null) sink.work(s.work(this.current, true));
    return s;
  }

  /** A new job for every open session. */
  publish(job: Job, clean: boolean): void {
    if (clean) this.jobs.clear();
    this.jobs.set(job.id, job);
    this.current = job;
    for (const s of this.live()) s.sink.work(s.work(job, clean));
  }

  live(): FakeSession[] {
    return this.sessions.filter((s) => !s.closed);
  }

  /** What health() answers; a test sets it to a failure. */
  healthNow: BridgeHealth = { ok: true };

  health(): BridgeHealth {
    return this.healthNow;
  }

  stats(): BridgeStats {
    return {
      uptimeSeconds: 12,
      sessions: {
        "ws-msgpack": this.live().filter((s) => s.hello.transport === "ws-msgpack").length,
        "ws-json": this.live().filter((s) => s.hello.transport === "ws-json").length,
        stratum: this.live().filter((s) => s.hello.transport === "stratum").length,
      },
      shares: { accepted: 3, rejected: 1, rejectedByCode: { "23": 1 }, stale: 0, creditedDifficulty: 24 },
      pool: { submitted: 1, accepted: 1, rejected: 0, stale: 0, lost: 0 },
      upstreamErrors: { E_POOL_DIFFICULTY: 2 },
      hashrate: 1234.5,
      upstreams: [
        {
          url: "stratum+tcp://127.0.0.1:1",
          state: "subscribed",
          extranonce1: "1ffffff9",
          difficulty: 1000,
          sessions: this.live().length,
        },
      ],
    };
  }
}
