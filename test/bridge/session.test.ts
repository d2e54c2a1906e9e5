// The bridge's miner session (src/bridge/session.ts) as a unit, its verdicts: authorisation, the
// job and lease checks, accepted shares committed to the ledger before they are acknowledged and
// forwarded (only those meeting the pool's difficulty), low difficulty, duplicates, stale tails,
// and a failing ledger. Fakes in session-harness.ts decide every hash; ending a session and the
// work it is given: session-lifecycle.test.ts.

import { describe, expect, test } from "bun:test";
import { LeaseBook } from "../../src/bridge/leases.ts";
import { BRIDGE_REJECTS } from "../../src/bridge/verdict.ts";
import { bytesToHex } from "../../src/protocol/hex.ts";
import { rejectOf } from "../../src/protocol/reject.ts";
import {
  ADDRESS,
  WORKER,
  NEW_POOL_XN1,
  T0,
  v7Job,
  ZERO_HASH,
  FF_HASH,
  hashOf,
  leaseOf,
  setup,
  ready,
  tailOf,
  share,
  judge,
} from "./session-harness.ts";

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

  test("a share before authorize → 24, counted as rejected but nobody's in the ledger", async () => {
    const s = setup();
    s.session.assign(s.lease);
    s.session.deliver(s.job, true);
    expect(judge(s, ZERO_HASH)).toBe(24);
    expect(s.hashers.calls).toBe(0);
    expect(await s.ledger.totals()).toEqual([]);
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

  test("accepted: committed to the ledger first, then acknowledged; not forwarded below the pool's difficulty", async () => {
    const s = ready();
    // SQLite reads at call time: the row as it was when the miner was told.
    const seen: Promise<number | undefined>[] = [];
    s.sink.onResult = () => seen.push(s.ledger.worker(WORKER).then((w) => w?.accepted));
    s.hashers.next = hashOf(10); // session difficulty 1, pool 100
    s.session.submit(share(s), "t1");
    expect(s.sink.results).toEqual([]); // nothing before the commit
    s.ledger.flush();
    expect(s.sink.results).toEqual([
      { token: "t1", outcome: { status: "accepted", difficulty: 1, forwarded: false } },
    ]);
    expect(await Promise.all(seen)).toEqual([1]); // the credit was on disk when the miner was told
    expect(await s.ledger.worker(WORKER)).toMatchObject({ accepted: 1, acceptedDifficulty: 1, rejected: 0 });
    expect(s.up.forwards).toEqual([]);
    expect(s.hashers.keys).toEqual([s.up.jobKey(s.job.id)]);
    expect(s.stats.snapshot(T0, []).shares).toMatchObject({
      accepted: 1,
      rejected: 0,
      creditedDifficulty: 1,
    });
  });

  test("meeting the pool's difficulty: forwarded after the commit, as the job's submit with the lease id in extranonce2", async () => {
    const s = ready();
    const events: Promise<string>[] = [];
    s.up.onForward = () =>
      events.push(s.ledger.worker(WORKER).then((w) => `forward credited=${w?.accepted}`));
    s.sink.onResult = () => events.push(Promise.resolve("result"));
    const tail = tailOf(s.lease.extranonce1);
    s.hashers.next = hashOf(1000);
    s.session.submit(share(s, tail), { seq: 1 });
    expect(s.up.forwards).toEqual([]);
    s.ledger.flush();
    expect(await Promise.all(events)).toEqual(["forward credited=1", "result"]);
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

  test("below the session's difficulty → 23, counted in the ledger as a reject", async () => {
    const s = ready();
    expect(judge(s, FF_HASH)).toBe(23);
    expect(judge(s, hashOf(0.5))).toBe(23);
    s.ledger.flush();
    expect(await s.ledger.worker(WORKER)).toMatchObject({ accepted: 0, rejected: 2 });
    expect(s.up.forwards).toEqual([]);
  });

  test("the same tail twice → 22", async () => {
    const s = ready();
    const tail = tailOf(s.lease.extranonce1);
    expect(judge(s, ZERO_HASH, share(s, tail))).toMatchObject({ difficulty: 1 });
    expect(judge(s, ZERO_HASH, share(s, tail))).toBe(22);
    s.ledger.flush();
    expect(await s.ledger.worker(WORKER)).toMatchObject({ accepted: 1, rejected: 1 });
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

describe("events", () => {
  test("a credited share and a rejected one: one share event each, with the verdict's facts", () => {
    const s = ready();
    s.hashers.next = hashOf(10);
    s.session.submit(share(s), "t1");
    expect(s.events).toEqual([]); // not before the commit
    s.ledger.flush();
    expect(judge(s, FF_HASH)).toBe(23);
    expect(s.events).toEqual([
      {
        type: "share",
        at: T0,
        worker: WORKER,
        session: 7,
        transport: "ws-msgpack",
        verdict: "accepted",
        difficulty: 1,
        stale: false,
        forwarded: false,
      },
      {
        type: "share",
        at: T0,
        worker: WORKER,
        session: 7,
        transport: "ws-msgpack",
        verdict: "rejected",
        code: 23,
        reason: expect.any(String),
        stale: false,
        forwarded: false,
      },
    ]);
  });
});
