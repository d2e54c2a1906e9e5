// The miner session through pool trouble (issue 10): paused once while there is no work, shares for
// dead work answered stale (21) and counted as stale, never as invalid — for Stratum submits too when
// the pool restarts its job ids (v-nomp) — and a valid share counted only once the ledger has it.
// Fakes in session-harness.ts decide every hash.

import { describe, expect, test } from "bun:test";
import { LeaseBook } from "../../src/bridge/leases.ts";
import { BRIDGE_REJECTS } from "../../src/bridge/verdict.ts";
import { Job } from "../../src/protocol/job.ts";
import { decodeNotify } from "../../src/protocol/notify.ts";
import { parseSubmit } from "../../src/protocol/submit.ts";
import { shareVectors } from "../protocol/fixtures.ts";
import {
  NEW_POOL_XN1,
  POOL_XN1,
  v7Job,
  ZERO_HASH,
  FF_HASH,
  leaseOf,
  ready,
  tailOf,
  share,
  judge,
  type Setup,
} from "./session-harness.ts";
import type { Lease } from "../../src/bridge/contract.ts";

/** The same job id with another template (a pool that restarted its ids: v-nomp). */
function otherJob(id: string): Job {
  const params = [...shareVectors()[2]!.notifyParams];
  params[0] = id;
  const sol = params[8] as string;
  params[8] = sol.slice(0, 100) + (sol[100] === "0" ? "1" : "0") + sol.slice(101);
  return new Job(decodeNotify(null, params));
}

/** A Stratum mining.submit for `job` under `lease` (tail = its extranonce1 ‖ … ‖ counter). */
function stratum(job: Job, lease: Lease, n?: number) {
  const xn2 = new Uint8Array(32 - lease.extranonce1.length);
  return parseSubmit(job.submitParams("w", xn2, tailOf(lease.extranonce1, n)));
}

/** The pool drops (every lease void) and comes back with `xn1`, `job` clean. */
function reconnect(s: Setup, xn1: Uint8Array, job: Job, epoch = 2): Lease {
  s.session.assign(null);
  s.up.jobs.clear();
  s.up.latest = null;
  const lease = leaseOf(new LeaseBook(2), xn1, epoch);
  s.session.assign(lease);
  s.up.publish(job);
  s.session.deliver(job, true);
  return lease;
}

describe("no work", () => {
  test("paused once until work comes back; then a clean job", () => {
    const s = ready();
    s.session.assign(null);
    s.session.idle("pool lost");
    s.session.idle("pool lost");
    expect(s.sink.pauses).toEqual(["pool lost"]);
    expect(s.session.paused).toBe(true);
    const lease = leaseOf(s.book, NEW_POOL_XN1, 2);
    s.session.assign(lease);
    s.session.deliver(s.job, false);
    expect(s.session.paused).toBe(false);
    expect(s.sink.works.at(-1)!.clean).toBe(true);
    s.session.idle("pool lost again");
    expect(s.sink.pauses).toEqual(["pool lost", "pool lost again"]);
  });

  test("shares for dead work: 21, counted as stale, never toward too-many-invalid; a job never given is 21 but not stale", () => {
    const s = ready({ invalidWindow: { size: 10, minShares: 4, maxInvalidRatio: 0.5 } });
    s.session.assign(null);
    for (let i = 0; i < 20; i++) expect(judge(s, ZERO_HASH)).toBe(21);
    expect(s.sink.ends).toEqual([]);
    expect(judge(s, ZERO_HASH, share(s, undefined, "never-given"))).toBe(21);
    const st = s.stats.snapshot(0, []);
    expect(st.shares.rejectedByCode["21"]).toBe(21);
    expect(st.shares.stale).toBe(20);
  });

  test("flooding with no work to carry a harder target: nothing forgiven, ended as the rate limit says", () => {
    const s = ready({ maxSharesPerSecond: 2 });
    s.session.assign(null);
    for (let i = 0; i < 50 && s.sink.ends.length === 0; i++) s.session.submit(share(s), { seq: i });
    expect(s.sink.ends.map((e) => e.reason)).toEqual(["rate-limited"]);
    expect(s.sink.works.length).toBe(1); // no re-delivery was possible
  });
});

describe("stale, not invalid, across a reconnect", () => {
  test("Stratum: the pool reuses the job id with a new template; a share of the old job is 21, a new one credited", () => {
    const s = ready();
    expect(judge(s, ZERO_HASH, stratum(s.job, s.lease))).toMatchObject({ difficulty: 1 });
    const old = stratum(s.job, s.lease);
    const lease = reconnect(s, NEW_POOL_XN1, otherJob(s.job.id));
    expect(judge(s, ZERO_HASH, old)).toBe(21);
    expect(s.stats.snapshot(0, []).shares.stale).toBe(1);
    expect(judge(s, ZERO_HASH, stratum(s.up.latest!, lease))).toMatchObject({ difficulty: 1 });
  });

  test("Stratum: the pool comes back with the same extranonce1 (same lease bytes) and job ids: still 21", () => {
    const s = ready();
    const old = stratum(s.job, s.lease);
    const lease = reconnect(s, POOL_XN1, otherJob(s.job.id));
    expect(lease.extranonce1Hex).toBe(s.lease.extranonce1Hex);
    expect(judge(s, ZERO_HASH, old)).toBe(21);
  });

  test("Stratum: same extranonce1, same job id and template, another nTime: the old job's nTime is 21", () => {
    const s = ready();
    const old = stratum(s.job, s.lease);
    const params = [...shareVectors()[2]!.notifyParams];
    params[0] = s.job.id;
    params[5] = "cb2d016b"; // nTime, one tick later
    const next = new Job(decodeNotify(null, params));
    expect(next.nTime).not.toBe(s.job.nTime);
    const lease = reconnect(s, POOL_XN1, next);
    expect(lease.extranonce1Hex).toBe(s.lease.extranonce1Hex);
    expect(judge(s, ZERO_HASH, old)).toBe(21);
    expect(judge(s, ZERO_HASH, stratum(next, lease))).toMatchObject({ difficulty: 1 });
  });

  test("Stratum: the same job re-sent under a new extranonce1: the old lease's tail is 21", () => {
    const s = ready();
    const old = stratum(s.job, s.lease);
    reconnect(s, NEW_POOL_XN1, v7Job(s.job.id));
    expect(judge(s, ZERO_HASH, old)).toBe(21);
  });

  test("a template of the miner's own making on a job it never had under another epoch stays 20", () => {
    const s = ready();
    const forged = stratum(otherJob(s.job.id), s.lease);
    expect(judge(s, ZERO_HASH, forged)).toBe(BRIDGE_REJECTS.template.code);
    expect(s.stats.snapshot(0, []).shares.stale).toBe(0);
  });
});

describe("the ledger failing", () => {
  test("a share refused by a ledger failure is not a valid share for the invalid-share window", () => {
    const s = ready({ invalidWindow: { size: 10, minShares: 4, maxInvalidRatio: 0.5 } });
    s.ledger.close();
    expect(judge(s, ZERO_HASH)).toBe(BRIDGE_REJECTS.ledger.code);
    expect(judge(s, ZERO_HASH)).toBe(BRIDGE_REJECTS.ledger.code);
    judge(s, FF_HASH);
    judge(s, FF_HASH);
    // 2 invalid of 2 counted: below minShares (were the refused ones counted valid: 2 of 4, ended).
    expect(s.sink.ends).toEqual([]);
    judge(s, FF_HASH);
    judge(s, FF_HASH);
    expect(s.sink.ends.map((e) => e.reason)).toEqual(["too-many-invalid"]);
  });
});
