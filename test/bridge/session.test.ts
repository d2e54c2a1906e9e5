// The bridge's miner session (src/bridge/session.ts) as a unit: a fake upstream session, a sink
// that records, a real in-memory ledger, and hashers that return the hash the test chose — so every
// verdict is decided here (all 0x00 meets any target, 0xff none, a target's own bytes meet exactly
// that difficulty). No pool, no socket, no native hash. The ledger is flushed by hand, so the order
// "committed, then acknowledged and forwarded" is asserted, not raced.

import { describe, expect, test } from "bun:test";
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
import { Ledger } from "../../src/bridge/ledger.ts";
import { Session, type SessionContext } from "../../src/bridge/session.ts";
import { BridgeCounters } from "../../src/bridge/stats.ts";
import { BRIDGE_REJECTS } from "../../src/bridge/verdict.ts";
import { bytesToHex } from "../../src/protocol/hex.ts";
import { Job } from "../../src/protocol/job.ts";
import { decodeNotify } from "../../src/protocol/notify.ts";
import { rejectOf } from "../../src/protocol/reject.ts";
import { difficultyToTarget, targetToLE } from "../../src/protocol/target.ts";
import type { ShareHashers } from "../../src/protocol/validate.ts";
import type { UpstreamShare } from "../../src/upstream/index.ts";
import { linesLogger } from "../support/log.ts";
import { shareVectors } from "../protocol/fixtures.ts";

const ADDRESS = "RLn1WTymL5G9LHpiEZW29S3otu6bTHKob6";
const WORKER = `${ADDRESS}.rig`;
const POOL_XN1 = Uint8Array.of(0x1f, 0xff, 0xff, 0xf9);
const NEW_POOL_XN1 = Uint8Array.of(0x2a, 0x00, 0x00, 0x01);
const T0 = 1_700_000_000_000;

/** ccminer 3.8.3's recorded v7 (PBaaS) job, under the id given. */
function v7Job(id = "ced4"): Job {
  const params = [...shareVectors()[2]!.notifyParams];
  params[0] = id;
  return new Job(decodeNotify(null, params));
}

const ZERO_HASH = new Uint8Array(32);
const FF_HASH = new Uint8Array(32).fill(0xff);
/** A hash of exactly this share difficulty (the target's own bytes). */
const hashOf = (difficulty: number) => targetToLE(difficultyToTarget(difficulty));

/** Hashers whose every hash is `next`; records the job keys asked for and the calls made. */
class FakeHashers {
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

class FakeUpstream implements SessionUpstream {
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

class FakeSink implements MinerSink {
  readonly works: MinerWork[] = [];
  readonly results: ShareResult[] = [];
  readonly messages: string[] = [];
  readonly ends: SessionEnd[] = [];
  onResult: ((r: ShareResult) => void) | null = null;

  work(w: MinerWork): void {
    this.works.push(w);
  }
  result(r: ShareResult): void {
    this.onResult?.(r);
    this.results.push(r);
  }
  message(text: string): void {
    this.messages.push(text);
  }
  end(e: SessionEnd): void {
    this.ends.push(e);
  }
  /** Each result as accepted(difficulty, forwarded) or its reject code. */
  verdicts(): (number | { difficulty: number; forwarded: boolean })[] {
    return this.results.map(({ outcome: o }) =>
      o.status === "accepted" ? { difficulty: o.difficulty, forwarded: o.forwarded } : o.reject.code,
    );
  }
}

function leaseOf(book: LeaseBook, poolXn1: Uint8Array, epoch: number): Lease {
  const id = book.allocate()!;
  const idBytes = Uint8Array.of(id >> 8, id & 0xff);
  const extranonce1 = Uint8Array.of(...poolXn1, ...idBytes);
  return { book, id, epoch, extranonce1, extranonce1Hex: bytesToHex(extranonce1), idHex: book.hex(id) };
}

interface Options {
  maxSharesPerSecond?: number;
  invalidWindow?: SessionContext["invalidWindow"];
  startDifficulty?: number;
  minDifficulty?: number;
  maxDifficulty?: number;
  retargetSeconds?: number;
}

function setup(o: Options = {}) {
  const clock = { now: T0, closing: false };
  const ledger = Ledger.open("");
  const stats = new BridgeCounters(T0);
  const hashers = new FakeHashers();
  const logs: string[] = [];
  const closed: Session[] = [];
  const ctx: SessionContext = {
    now: () => clock.now,
    closing: () => clock.closing,
    ledger,
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
  return { clock, ledger, stats, hashers, logs, closed, up, sink, session, book, job, lease };
}

type Setup = ReturnType<typeof setup>;

/** Authorised, leased, and given the job: ready for shares. */
function ready(o: Options = {}): Setup {
  const s = setup(o);
  expect(s.session.authorize(WORKER, "x")).toEqual({ ok: true });
  s.session.assign(s.lease);
  s.session.deliver(s.job, true);
  return s;
}

let counter = 0;
/** A tail of the lease (xn1 first), unique per call unless `n` is given. */
function tailOf(xn1: Uint8Array, n = ++counter): Uint8Array {
  const t = new Uint8Array(15);
  t.set(xn1);
  new DataView(t.buffer).setUint32(11, n, true);
  return t;
}

function share(s: Setup, tail = tailOf(s.lease.extranonce1), jobId = s.job.id): MinerShare {
  return { kind: "tail", jobId, tail };
}

/** Submits with the chosen hash, commits the ledger, and returns the session's verdict on it. */
function judge(
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

describe("authorize", () => {
  test("ADDRESS[.WORKER]: printable ASCII, no spaces, 1..128, an address before any dot", () => {
    const { session } = setup();
    for (const good of [ADDRESS, `${ADDRESS}.rig-1`, "R.w", "x".repeat(128)])
      expect(session.authorize(good, "")).toEqual({ ok: true });
    for (const bad of ["", "has space.w", "x".repeat(129), ".worker", "Rädress", "R\tw"]) {
      expect(session.authorize(bad, "").ok).toBe(false);
    }
    expect(session.authorize(`  ${ADDRESS}.rig  `, "").ok).toBe(true);
    expect(session.worker).toBe(`${ADDRESS}.rig`);
  });

  test("a share before authorize → 24, counted as rejected but nobody's in the ledger", () => {
    const s = setup();
    s.session.assign(s.lease);
    s.session.deliver(s.job, true);
    expect(judge(s, ZERO_HASH)).toBe(24);
    expect(s.hashers.calls).toBe(0);
    expect(s.ledger.totals()).toEqual([]);
    expect(s.stats.snapshot(T0, []).shares.rejectedByCode).toEqual({ "24": 1 });
  });
});

describe("verdicts", () => {
  test("no lease, or a job the upstream does not hold → 21", () => {
    const s = setup();
    s.session.authorize(WORKER, "");
    expect(judge(s, ZERO_HASH)).toBe(21); // not leased yet
    s.session.assign(s.lease);
    s.session.deliver(s.job, true);
    expect(judge(s, ZERO_HASH, share(s, undefined, "feed"))).toBe(21);
    expect(s.hashers.calls).toBe(0);
  });

  test("accepted: committed to the ledger first, then acknowledged; not forwarded below the pool's difficulty", () => {
    const s = ready();
    const seen: (number | undefined)[] = [];
    s.sink.onResult = () => seen.push(s.ledger.worker(WORKER)?.accepted);
    s.hashers.next = hashOf(10); // session difficulty 1, pool 100
    s.session.submit(share(s), "t1");
    expect(s.sink.results).toEqual([]); // nothing before the commit
    s.ledger.flush();
    expect(s.sink.results).toEqual([
      { token: "t1", outcome: { status: "accepted", difficulty: 1, forwarded: false } },
    ]);
    expect(seen).toEqual([1]); // the credit was on disk when the miner was told
    expect(s.ledger.worker(WORKER)).toMatchObject({ accepted: 1, acceptedDifficulty: 1, rejected: 0 });
    expect(s.up.forwards).toEqual([]);
    expect(s.hashers.keys).toEqual([s.up.jobKey(s.job.id)]);
    expect(s.stats.snapshot(T0, []).shares).toMatchObject({
      accepted: 1,
      rejected: 0,
      creditedDifficulty: 1,
    });
  });

  test("meeting the pool's difficulty: forwarded after the commit, as the job's submit with the lease id in extranonce2", () => {
    const s = ready();
    const events: string[] = [];
    s.up.onForward = () => events.push(`forward credited=${s.ledger.worker(WORKER)?.accepted}`);
    s.sink.onResult = () => events.push("result");
    const tail = tailOf(s.lease.extranonce1);
    s.hashers.next = hashOf(1000);
    s.session.submit(share(s, tail), { seq: 1 });
    expect(s.up.forwards).toEqual([]);
    s.ledger.flush();
    expect(events).toEqual(["forward credited=1", "result"]);
    expect(s.sink.verdicts()).toEqual([{ difficulty: 1, forwarded: true }]);
    const [f] = s.up.forwards;
    expect(f!.token).toEqual({ worker: WORKER, session: 7, jobId: s.job.id, difficulty: 1 });
    expect(f!.share.jobId).toBe(s.job.id);
    expect(f!.share.epoch).toBe(1);
    expect(f!.share.extranonce2).toBe(s.lease.idHex + "00".repeat(32 - s.lease.extranonce1.length));
    expect(f!.share.solution.endsWith(bytesToHex(tail))).toBe(true);
  });

  test("no pool difficulty known yet: credited, never forwarded", () => {
    const s = ready();
    s.up.difficulty = null;
    expect(judge(s, hashOf(1000))).toEqual({ difficulty: 1, forwarded: false });
    expect(s.up.forwards).toEqual([]);
  });

  test("below the session's difficulty → 23, counted in the ledger as a reject", () => {
    const s = ready();
    expect(judge(s, FF_HASH)).toBe(23);
    expect(judge(s, hashOf(0.5))).toBe(23);
    s.ledger.flush();
    expect(s.ledger.worker(WORKER)).toMatchObject({ accepted: 0, rejected: 2 });
    expect(s.up.forwards).toEqual([]);
  });

  test("the same tail twice → 22", () => {
    const s = ready();
    const tail = tailOf(s.lease.extranonce1);
    expect(judge(s, ZERO_HASH, share(s, tail))).toMatchObject({ difficulty: 1 });
    expect(judge(s, ZERO_HASH, share(s, tail))).toBe(22);
    expect(s.ledger.worker(WORKER)).toMatchObject({ accepted: 1, rejected: 1 });
  });

  test("after a clean job the old job is gone (21), the new one takes shares; a tail of another prefix is 20", () => {
    const s = ready();
    const tail = tailOf(s.lease.extranonce1);
    judge(s, ZERO_HASH, share(s, tail));
    const next = s.up.publish(v7Job("ced5"));
    s.session.deliver(next, true);
    expect(judge(s, ZERO_HASH, share(s, tail, "ced4"))).toBe(21); // the old job is gone
    expect(judge(s, ZERO_HASH, share(s, tail, "ced5"))).toMatchObject({ difficulty: 1 });
    expect(judge(s, ZERO_HASH, share(s, tailOf(Uint8Array.of(9, 9, 9, 9, 9, 9)), "ced5"))).toBe(20);
  });

  test("a tail of the previous lease (the pool reconnected, same job id) is stale: 21, not invalid", () => {
    const s = ready({ invalidWindow: { size: 10, minShares: 2, maxInvalidRatio: 0.5 } });
    const oldXn1 = s.lease.extranonce1;
    const renewed = leaseOf(new LeaseBook(2), NEW_POOL_XN1, 2);
    s.session.assign(renewed);
    s.session.deliver(s.job, false);
    expect(s.sink.works.at(-1)).toMatchObject({ extranonce1: renewed.extranonce1, clean: true });
    for (let i = 0; i < 5; i++) expect(judge(s, ZERO_HASH, share(s, tailOf(oldXn1)))).toBe(21);
    expect(s.sink.ends).toEqual([]); // stale work never ends a session
    expect(judge(s, ZERO_HASH, share(s, tailOf(renewed.extranonce1)))).toMatchObject({ difficulty: 1 });
    expect(s.hashers.calls).toBe(1);
  });

  test("a tail of the wrong size → 20 (nonce size), before hashing", () => {
    const s = ready();
    expect(judge(s, ZERO_HASH, { kind: "tail", jobId: s.job.id, tail: new Uint8Array(14) })).toBe(20);
    expect(s.sink.results[0]!.outcome).toEqual({ status: "rejected", reject: rejectOf("nonce-size") });
    expect(s.hashers.calls).toBe(0);
  });
});

describe("ending a session", () => {
  test("too many invalid shares: ended with too-many-invalid, its lease released", () => {
    const s = ready({ invalidWindow: { size: 10, minShares: 4, maxInvalidRatio: 0.5 } });
    judge(s, ZERO_HASH);
    judge(s, ZERO_HASH);
    judge(s, FF_HASH);
    expect(s.sink.ends).toEqual([]);
    judge(s, FF_HASH); // 2 of 4
    expect(s.sink.ends.map((e) => e.reason)).toEqual(["too-many-invalid"]);
    expect(s.session.closed).toBe(true);
    expect(s.book.live).toBe(0);
    expect(s.closed).toEqual([s.session]);
    expect(s.up.left).toEqual([s.session]);
  });

  test("over the share rate: refused unhashed, the miner made ×4 harder at once, and ended only if it keeps flooding", () => {
    // 2 shares/s, a burst of 4; no harder target past 4 (the start ×4).
    const s = ready({ maxSharesPerSecond: 2, maxDifficulty: 4 });
    s.up.difficulty = 1000;
    for (let i = 0; i < 4; i++) expect(judge(s, ZERO_HASH)).toMatchObject({ difficulty: 1 });
    const works = s.sink.works.length;
    expect(judge(s, ZERO_HASH)).toBe(BRIDGE_REJECTS.rateLimited.code);
    expect(s.sink.results.at(-1)!.outcome).toEqual({
      status: "rejected",
      reject: BRIDGE_REJECTS.rateLimited,
    });
    expect(s.hashers.calls).toBe(4);
    // The slow-down: the current job again, not clean, at 4× the difficulty.
    expect(s.sink.works.length).toBe(works + 1);
    expect(s.sink.works.at(-1)).toMatchObject({
      jobId: s.job.id,
      difficulty: 4,
      clean: false,
      target: difficultyToTarget(4),
    });
    expect(s.session.difficulty).toBe(4);
    // Still flooding within the second: refused, not ended (shares in flight had the old target).
    for (let i = 0; i < 6; i++) expect(judge(s, ZERO_HASH)).toBe(20);
    expect(s.sink.ends).toEqual([]);
    // A second later, still flooding and nothing harder to give: ended.
    s.clock.now += 1000;
    for (let i = 0; i < 3 && s.sink.ends.length === 0; i++) s.session.submit(share(s), { seq: 100 + i });
    expect(s.sink.ends.map((e) => e.reason)).toEqual(["rate-limited"]);
    expect(s.session.closed).toBe(true);
    expect(s.hashers.calls).toBe(4);
    // Rate-limit refusals never count as invalid shares.
    expect(s.sink.ends.some((e) => e.reason === "too-many-invalid")).toBe(false);
  });

  test("end() tells the sink once and closes; close() releases the lease once, and later calls do nothing", () => {
    const s = ready();
    s.session.end({ reason: "bridge-closing" });
    s.session.end({ reason: "bridge-closing" });
    s.session.close();
    expect(s.sink.ends).toEqual([{ reason: "bridge-closing" }]);
    expect(s.closed).toEqual([s.session]);
    expect(s.up.left).toEqual([s.session]);
    expect(s.book.live).toBe(0);
    expect(s.book.quarantined).toBe(1);
    expect(s.session.lease).toBeNull();
    const works = s.sink.works.length;
    s.session.submit(share(s), 1);
    s.session.deliver(s.job, true);
    s.session.notice("hello");
    s.ledger.flush();
    expect(s.sink.results).toEqual([]);
    expect(s.sink.works.length).toBe(works);
    expect(s.sink.messages).toEqual([]);
  });

  test("closed while a credit is being committed: the share is on disk, the closed sink is not told", () => {
    const s = ready();
    s.hashers.next = hashOf(1000);
    s.session.submit(share(s), 1);
    s.session.close();
    s.ledger.flush();
    expect(s.ledger.worker(WORKER)).toMatchObject({ accepted: 1 });
    expect(s.sink.results).toEqual([]);
    expect(s.up.forwards.length).toBe(1); // the pool still gets its share
  });

  test("the bridge closing: shares refused with its own reject, not held against the miner", () => {
    const s = ready();
    s.clock.closing = true;
    expect(judge(s, ZERO_HASH)).toBe(BRIDGE_REJECTS.closing.code);
    expect(s.sink.results[0]!.outcome).toEqual({ status: "rejected", reject: BRIDGE_REJECTS.closing });
    s.ledger.flush();
    expect(s.ledger.worker(WORKER)).toBeNull();
  });
});

describe("work", () => {
  test("assign(null) then deliver: no work; a new lease: the next job is clean whatever the pool said", () => {
    const s = setup();
    s.session.authorize(WORKER, "");
    s.session.deliver(s.job, true);
    expect(s.sink.works).toEqual([]); // never leased
    s.session.assign(s.lease);
    s.session.deliver(s.job, false);
    expect(s.sink.works.map((w) => w.clean)).toEqual([true]);
    s.session.deliver(v7Job("ced5"), false);
    expect(s.sink.works.map((w) => w.clean)).toEqual([true, false]);
    s.session.assign(null); // the pool went away
    s.session.deliver(v7Job("ced6"), false);
    expect(s.sink.works.length).toBe(2);
    expect(judge(s, ZERO_HASH)).toBe(21);
    const renewed = leaseOf(new LeaseBook(2), NEW_POOL_XN1, 2);
    s.session.assign(renewed);
    s.session.deliver(v7Job("ced7"), false);
    expect(s.sink.works.at(-1)).toMatchObject({
      jobId: "ced7",
      extranonce1: renewed.extranonce1,
      extranonce2Size: 32 - renewed.extranonce1.length,
      clean: true,
    });
  });

  test("work carries the session's difficulty and its target", () => {
    const s = ready({ startDifficulty: 2 });
    expect(s.sink.works[0]).toMatchObject({
      jobId: s.job.id,
      difficulty: 2,
      target: difficultyToTarget(2),
      extranonce1: s.lease.extranonce1,
    });
  });

  test("the start difficulty is clamped to the bounds, and never above the pool's", () => {
    expect(ready({ startDifficulty: 50, maxDifficulty: 8 }).sink.works[0]!.difficulty).toBe(8);
    expect(ready({ startDifficulty: 0.0001, minDifficulty: 0.01 }).sink.works[0]!.difficulty).toBe(0.01);
    const s = setup({ startDifficulty: 500 });
    s.session.assign(s.lease);
    s.session.deliver(s.job, true); // pool difficulty 100
    expect(s.sink.works[0]!.difficulty).toBe(100);
  });

  test("vardiff: a retarget is sent with the next job, not before; a share at the previous difficulty still counts", () => {
    const s = ready({ retargetSeconds: 10, startDifficulty: 1 });
    // 20 shares in 10 s: one every 0.5 s against a target of 10 s → ×4 (the largest step).
    for (let i = 0; i < 20; i++) {
      s.clock.now += 500;
      expect(judge(s, ZERO_HASH)).toMatchObject({ difficulty: 1 });
    }
    expect(s.sink.works.length).toBe(1);
    expect(s.session.difficulty).toBe(1);
    const next = s.up.publish(v7Job("ced5"), false);
    s.session.deliver(next, false);
    expect(s.sink.works.at(-1)).toMatchObject({
      jobId: "ced5",
      difficulty: 4,
      target: difficultyToTarget(4),
      clean: false,
    });
    expect(s.session.difficulty).toBe(4);
    // Found before the miner saw the new target: credited at the old difficulty; below both → 23.
    expect(judge(s, hashOf(2), share(s, undefined, "ced5"))).toEqual({ difficulty: 1, forwarded: false });
    expect(judge(s, hashOf(5), share(s, undefined, "ced5"))).toEqual({ difficulty: 4, forwarded: false });
    expect(judge(s, hashOf(0.5), share(s, undefined, "ced5"))).toBe(23);
  });

  test("the pool's messages reach the sink", () => {
    const s = ready();
    s.session.notice("maintenance at noon");
    expect(s.sink.messages).toEqual(["maintenance at noon"]);
  });
});

describe("the ledger failing", () => {
  test("a credit that cannot be committed: rejected with the ledger's reject, nothing forwarded, not invalid", () => {
    const s = ready({ invalidWindow: { size: 10, minShares: 2, maxInvalidRatio: 0.5 } });
    s.ledger.close();
    for (let i = 0; i < 3; i++) expect(judge(s, hashOf(1000))).toBe(BRIDGE_REJECTS.ledger.code);
    expect(s.sink.results[0]!.outcome).toEqual({ status: "rejected", reject: BRIDGE_REJECTS.ledger });
    expect(s.up.forwards).toEqual([]);
    expect(s.sink.ends).toEqual([]);
    expect(s.stats.snapshot(T0, []).shares).toMatchObject({
      accepted: 0,
      rejected: 3,
      creditedDifficulty: 0,
    });
    expect(s.logs.some((l) => l.includes("code=E_LEDGER"))).toBe(true);
  });
});
