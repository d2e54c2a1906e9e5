// session-harness.ts — fakes for the bridge's miner session tests: an upstream session, a sink that
// records, hashers returning the hash a test chose (so the test decides every verdict: all 0x00
// meets any target, 0xff none, a target's own bytes exactly that difficulty), a real in-memory
// ledger flushed by hand, and a settable clock. No pool, no socket, no native hash.

import { expect } from "bun:test";
import type {
  ForwardToken,
  Lease,
  LeasedSession,
  MinerShare,
  MinerSink,
  MinerWork,
  SessionEnd,
  SessionUpstream,
  ShareResult,
} from "../../src/bridge/contract.ts";
import type { HasherCache } from "../../src/bridge/hashers.ts";
import { LeaseBook } from "../../src/bridge/leases.ts";
import type { BridgeEvent } from "../../src/events/index.ts";
import { Ledger } from "../../src/ledger/index.ts";
import { Session, type SessionContext } from "../../src/bridge/session.ts";
import { BridgeCounters } from "../../src/bridge/stats.ts";
import { bytesToHex } from "../../src/protocol/hex.ts";
import { Job } from "../../src/protocol/job.ts";
import { decodeNotify } from "../../src/protocol/notify.ts";
import { difficultyToTarget, targetToLE } from "../../src/protocol/target.ts";
import type { ShareHashers } from "../../src/protocol/validate.ts";
import type { UpstreamShare } from "../../src/upstream/index.ts";
import { linesLogger } from "../support/log.ts";
import { shareVectors } from "../protocol/fixtures.ts";
import { FakeSink } from "../support/fake-sink.ts";

export const ADDRESS = "RLn1WTymL5G9LHpiEZW29S3otu6bTHKob6";
export const WORKER = `${ADDRESS}.rig`;
export const POOL_XN1 = Uint8Array.of(0x1f, 0xff, 0xff, 0xf9);
export const NEW_POOL_XN1 = Uint8Array.of(0x2a, 0x00, 0x00, 0x01);
export const T0 = 1_700_000_000_000;

/** ccminer 3.8.3's recorded v7 (PBaaS) job, under the id given. */
export function v7Job(id = "ced4"): Job {
  const params = [...shareVectors()[2]!.notifyParams];
  params[0] = id;
  return new Job(decodeNotify(null, params));
}

export const ZERO_HASH = new Uint8Array(32);
export const FF_HASH = new Uint8Array(32).fill(0xff);
/** A hash of exactly this share difficulty (the target's own bytes). */
export const hashOf = (difficulty: number) => targetToLE(difficultyToTarget(difficulty));

/** Hashers whose every hash is `next`; records the job keys asked for and the calls made. */
export class FakeHashers {
  next: Uint8Array = ZERO_HASH;
  readonly keys: string[] = [];
  calls = 0;
  readonly #hashers: ShareHashers = {
    hash22: () => {
      this.calls++;
      return this.next.slice();
    },
    preHeaderHash: () => {
      throw new Error("the bridge uses the miner rule");
    },
  };
  forJob(key: string): ShareHashers {
    this.keys.push(key);
    return this.#hashers;
  }
}

export class FakeUpstream implements SessionUpstream {
  readonly jobs = new Map<string, Job>();
  difficulty: number | null = 100;
  latest: Job | null = null;
  readonly forwards: { share: UpstreamShare; token: ForwardToken }[] = [];
  readonly left: LeasedSession[] = [];
  /** Runs inside forward() (to look at the ledger at that moment). */
  onForward: (() => void) | null = null;

  job(jobId: string): Job | undefined {
    return this.jobs.get(jobId);
  }
  jobKey(jobId: string): string {
    return `up0/e1/${jobId}`;
  }
  forward(share: UpstreamShare, token: ForwardToken): void {
    this.onForward?.();
    this.forwards.push({ share, token });
  }
  leave(session: LeasedSession): void {
    this.left.push(session);
  }
  publish(job: Job, clean = true): Job {
    if (clean) this.jobs.clear();
    this.jobs.set(job.id, job);
    this.latest = job;
    return job;
  }
}

export { FakeSink };

export function leaseOf(book: LeaseBook, poolXn1: Uint8Array, epoch: number): Lease {
  const id = book.allocate()!;
  const idBytes = Uint8Array.of(id >> 8, id & 0xff);
  const extranonce1 = Uint8Array.of(...poolXn1, ...idBytes);
  return { book, id, epoch, extranonce1, extranonce1Hex: bytesToHex(extranonce1), idHex: book.hex(id) };
}

export interface Options {
  maxSharesPerSecond?: number;
  invalidWindow?: SessionContext["invalidWindow"];
  startDifficulty?: number;
  minDifficulty?: number;
  maxDifficulty?: number;
  retargetSeconds?: number;
}

export function setup(o: Options = {}) {
  const clock = { now: T0, closing: false };
  const ledger = Ledger.open("", { clock: () => clock.now });
  const stats = new BridgeCounters(T0);
  const hashers = new FakeHashers();
  const logs: string[] = [];
  const closed: Session[] = [];
  const events: BridgeEvent[] = [];
  const ctx: SessionContext = {
    now: () => clock.now,
    closing: () => clock.closing,
    ledger,
    events: { publish: (e) => events.push(e) },
    stats,
    hashers: hashers as unknown as HasherCache,
    log: linesLogger(logs),
    maxSharesPerSecond: o.maxSharesPerSecond ?? 1000,
    maxShareMemory: 1000,
    invalidWindow: o.invalidWindow ?? { size: 100, minShares: 20, maxInvalidRatio: 0.5 },
    closed: (s) => closed.push(s),
  };
  const up = new FakeUpstream();
  const sink = new FakeSink();
  const session = new Session(7, { transport: "ws-msgpack", remote: "203.0.113.5" }, sink, ctx, up, {
    startDifficulty: o.startDifficulty ?? 1,
    vardiff: {
      targetShareSeconds: 10,
      retargetSeconds: o.retargetSeconds ?? 3600,
      variancePercent: 30,
      minDifficulty: o.minDifficulty ?? 0.001,
      maxDifficulty: o.maxDifficulty ?? 1e9,
    },
  });
  const book = new LeaseBook(2);
  const job = up.publish(v7Job());
  const lease = leaseOf(book, POOL_XN1, 1);
  return { clock, ledger, stats, hashers, logs, closed, events, up, sink, session, book, job, lease };
}

export type Setup = ReturnType<typeof setup>;

/** Authorised, leased, and given the job: ready for shares. */
export function ready(o: Options = {}): Setup {
  const s = setup(o);
  expect(s.session.authorize(WORKER, "x")).toEqual({ ok: true });
  s.session.assign(s.lease);
  s.session.deliver(s.job, true);
  return s;
}

export let counter = 0;
/** A tail of the lease (xn1 first), unique per call unless `n` is given. */
export function tailOf(xn1: Uint8Array, n = ++counter): Uint8Array {
  const t = new Uint8Array(15);
  t.set(xn1);
  new DataView(t.buffer).setUint32(11, n, true);
  return t;
}

export function share(s: Setup, tail = tailOf(s.lease.extranonce1), jobId = s.job.id): MinerShare {
  return { kind: "tail", jobId, tail };
}

/** Submits with the chosen hash, commits the ledger, and returns the session's verdict on it. */
export function judge(
  s: Setup,
  hash: Uint8Array,
  sh: MinerShare = share(s),
): number | { difficulty: number; forwarded: boolean } {
  s.hashers.next = hash;
  const before = s.sink.results.length;
  s.session.submit(sh, { seq: before });
  s.ledger.flush();
  expect(s.sink.results.length).toBe(before + 1);
  return s.sink.verdicts().at(-1)!;
}
