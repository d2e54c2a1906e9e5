// suite.ts — the share ledger's behaviour, the same on every backend (sqlite.test.ts and
// postgres.test.ts run it): acknowledgement only after commit, one transaction per event-loop turn,
// exactly-once credits (same key twice; a batch retried after its commit reply was lost), history
// per worker per minute with totals derived from it, rejects by code, pool results, blocks,
// retention, the fleet's heartbeats, a newer schema refused. trouble.ts has the failure paths.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Ledger, LedgerError, type Credit, type LedgerOptions } from "../../src/ledger/index.ts";
import type { Backend } from "./backends.ts";
import { FaultyStore } from "./faulty-store.ts";

/** 2026-01-01T00:00:00Z: the tests' clock starts here (whole minutes are easy to read). */
export const T0 = Date.UTC(2026, 0, 1);
export const MIN = 60_000;
const DAY = 86_400_000;

const encoder = new TextEncoder();
export const key = (s: string): Uint8Array => encoder.encode(s);

export function credit(l: Ledger, c: Partial<Credit> & { key: Uint8Array }): Promise<LedgerError | null> {
  return new Promise((resolve) =>
    l.credit({ worker: "RA.w1", difficulty: 1, at: T0, ...c }, (e) => resolve(e)),
  );
}

export async function openLedger(b: Backend, o: LedgerOptions = {}): Promise<{ l: Ledger; target: string }> {
  const target = await b.fresh();
  const l = Ledger.open(target, { clock: () => T0 + MIN, ...o });
  await l.ready;
  return { l, target };
}

export function ledgerSuite(b: Backend): void {
  describe(`ledger on ${b.name}`, () => {
    beforeAll(() => b.setup(), 60_000);
    afterAll(() => b.teardown(), 60_000);

    test("totals per worker: credits, rejects and pool results, derived from the history", async () => {
      const { l } = await openLedger(b);
      expect(l.kind).toBe(b.name);
      const acks = await Promise.all([
        credit(l, { key: key("a"), worker: "RA.w1", difficulty: 0.5, at: T0 + 1000 }),
        credit(l, { key: key("b"), worker: "RA.w1", difficulty: 0.25, at: T0 + 2 * MIN }),
        credit(l, { key: key("c"), worker: "RB", difficulty: 8, at: T0 + 1500 }),
      ]);
      expect(acks).toEqual([null, null, null]);
      l.reject("RA.w1", 23, T0 + 2500);
      l.poolResult("RA.w1", "accepted", T0 + 3000);
      l.poolResult("RA.w1", "stale", T0 + 3000);
      l.poolResult("RB", "lost", T0 + 3000);
      await l.flush();
      const totals = await l.totals();
      expect(totals).toEqual([
        {
          worker: "RA.w1",
          accepted: 2,
          acceptedDifficulty: 0.75,
          rejected: 1,
          poolAccepted: 1,
          poolRejected: 0,
          poolStale: 1,
          poolLost: 0,
          firstSeen: T0 + 1000,
          lastShare: T0 + 2 * MIN,
        },
        {
          worker: "RB",
          accepted: 1,
          acceptedDifficulty: 8,
          rejected: 0,
          poolAccepted: 0,
          poolRejected: 0,
          poolStale: 0,
          poolLost: 1,
          firstSeen: T0 + 1500,
          lastShare: T0 + 1500,
        },
      ]);
      expect(await l.worker("RB")).toEqual(totals[1]!);
      expect(await l.worker("nobody")).toBeNull();
      // Totals are sums of the history.
      const rows = await l.history({ from: 0, to: T0 + DAY });
      for (const t of totals) {
        const mine = rows.filter((r) => r.worker === t.worker);
        expect(mine.reduce((s, r) => s + r.accepted, 0)).toBe(t.accepted);
        expect(mine.reduce((s, r) => s + r.acceptedDifficulty, 0)).toBe(t.acceptedDifficulty);
        expect(mine.reduce((s, r) => s + r.rejected, 0)).toBe(t.rejected);
        expect(mine.reduce((s, r) => s + r.poolStale + r.poolLost + r.poolAccepted, 0)).toBe(
          t.poolStale + t.poolLost + t.poolAccepted,
        );
      }
      await l.close();
    });

    test("a credit is acknowledged only once committed: another connection already sees it", async () => {
      const { l, target } = await openLedger(b);
      let seenAtAck: Promise<number> | undefined;
      const acked = new Promise<LedgerError | null>((resolve) =>
        l.credit({ worker: "RA.w", difficulty: 2, at: T0, key: key("k1") }, (e) => {
          seenAtAck = b.count(target, "shares");
          resolve(e);
        }),
      );
      expect(await acked).toBeNull();
      expect(await seenAtAck!).toBe(1);
      await l.close();
    });

    test("a burst in one turn is one transaction; callbacks run in order, after it", async () => {
      const { l } = await openLedger(b);
      await l.flush();
      const before = l.counters().commits;
      const order: number[] = [];
      const all = Array.from(
        { length: 300 },
        (_, i) =>
          new Promise<void>((resolve) =>
            l.credit({ worker: `RA.w${i % 7}`, difficulty: 1, at: T0 + i, key: key(`burst-${i}`) }, (e) => {
              expect(e).toBeNull();
              order.push(i);
              resolve();
            }),
          ),
      );
      expect(l.counters().queued).toBe(300);
      await Promise.all(all);
      expect(order).toEqual(Array.from({ length: 300 }, (_, i) => i));
      expect(l.counters()).toMatchObject({ commits: before + 1, committed: 300, queued: 0 });
      expect((await l.totals()).reduce((s, t) => s + t.accepted, 0)).toBe(300);
      await l.close();
    });

    test("the same key twice is credited once; both are acknowledged", async () => {
      const { l } = await openLedger(b);
      const same = { key: key("ext1|job7|tail"), difficulty: 4 };
      // In one batch, and again in a later one.
      expect(await Promise.all([credit(l, same), credit(l, same)])).toEqual([null, null]);
      expect(await credit(l, same)).toBeNull();
      expect(await l.worker("RA.w1")).toMatchObject({ accepted: 1, acceptedDifficulty: 4 });
      expect(l.counters()).toMatchObject({ committed: 1, duplicates: 2 });
      await l.close();
    });

    test("a batch retried after its commit reply was lost is counted once (credits and counts)", async () => {
      const target = await b.fresh();
      const store = new FaultyStore(b.store(target));
      const l = Ledger.withStore(store, target, { clock: () => T0 + MIN });
      await l.ready;
      await l.flush();
      store.loseReplies = 1;
      const acks = Promise.all([
        credit(l, { key: key("r1"), difficulty: 2 }),
        credit(l, { key: key("r2"), difficulty: 3 }),
      ]);
      l.reject("RA.w1", 21, T0);
      l.poolResult("RA.w1", "accepted", T0);
      expect(await acks).toEqual([null, null]);
      expect(store.attempts).toBe(3); // the prune batch, then the same batch twice
      expect(l.counters()).toMatchObject({ retries: 1, committed: 2, duplicates: 0, failing: false });
      expect(await l.worker("RA.w1")).toMatchObject({
        accepted: 2,
        acceptedDifficulty: 5,
        rejected: 1,
        poolAccepted: 1,
      });
      await l.close();
    });

    test("history per worker per minute, between T1 and T2, rejects by code", async () => {
      const { l } = await openLedger(b);
      for (let m = 0; m < 5; m++) {
        for (let i = 0; i < m + 1; i++) {
          void credit(l, {
            key: key(`h${m}-${i}`),
            worker: "W",
            difficulty: 0.5,
            at: T0 + m * MIN + i * 1000,
          });
        }
        void credit(l, { key: key(`o${m}`), worker: "Other", difficulty: 2, at: T0 + m * MIN });
      }
      l.reject("W", 23, T0 + 2 * MIN + 5);
      l.reject("W", 23, T0 + 2 * MIN + 6);
      l.reject("W", 21, T0 + 2 * MIN + 7);
      l.poolResult("W", "rejected", T0 + 3 * MIN);
      await l.flush();
      const rows = await l.history({ worker: "W", from: T0 + MIN, to: T0 + 4 * MIN });
      expect(rows.map((r) => [r.minute - T0, r.accepted, r.acceptedDifficulty, r.rejected])).toEqual([
        [MIN, 2, 1, 0],
        [2 * MIN, 3, 1.5, 3],
        [3 * MIN, 4, 2, 0],
      ]);
      expect(rows[1]!.rejectedByCode).toEqual({ "23": 2, "21": 1 });
      expect(rows[2]).toMatchObject({ poolRejected: 1, rejectedByCode: {} });
      // What did W earn between T1 and T2: the sum of its minutes there.
      expect(rows.reduce((s, r) => s + r.acceptedDifficulty, 0)).toBe(4.5);
      const everyone = await l.history({ from: T0, to: T0 + 5 * MIN });
      expect(everyone.map((r) => `${r.worker}@${(r.minute - T0) / MIN}`)).toEqual([
        "Other@0",
        "Other@1",
        "Other@2",
        "Other@3",
        "Other@4",
        "W@0",
        "W@1",
        "W@2",
        "W@3",
        "W@4",
      ]);
      await l.close();
    });

    test("blocks found, by time", async () => {
      const { l } = await openLedger(b);
      l.block({ at: T0 + 10, worker: "RA.w1", height: 1200, hash: "00ab", result: "accepted" });
      l.block({ at: T0 + 20, worker: "RB", height: null, hash: "00cd", result: "rejected: stale" });
      await l.flush();
      expect(await l.blocks({ from: T0, to: T0 + 15 })).toEqual([
        { at: T0 + 10, worker: "RA.w1", height: 1200, hash: "00ab", result: "accepted" },
      ]);
      expect((await l.blocks({ from: 0, to: T0 + MIN })).map((x) => x.height)).toEqual([1200, null]);
      await l.close();
    });

    test("retention: share keys kept an hour, history and blocks retentionDays", async () => {
      let now = T0;
      const { l, target } = await openLedger(b, { clock: () => now, retentionDays: 2 });
      await l.flush();
      expect(await credit(l, { key: key("old"), at: T0 })).toBeNull();
      l.block({ at: T0, worker: "RA.w1", height: 1, hash: "01", result: "accepted" });
      now = T0 + DAY + MIN;
      expect(await credit(l, { key: key("new"), at: now })).toBeNull();
      await l.prune();
      expect(await b.count(target, "shares")).toBe(1); // "old" is past an hour: its key is gone
      expect(await l.worker("RA.w1")).toMatchObject({ accepted: 2 }); // its history is not
      now = T0 + 4 * DAY;
      await l.prune();
      expect(await l.history({ from: 0, to: now })).toEqual([]);
      expect(await l.blocks({ from: 0, to: now })).toEqual([]);
      await l.close();
    });

    test("heartbeats: the fleet seen since a time", async () => {
      const { l } = await openLedger(b);
      const beat = {
        id: "boxA:100",
        host: "boxA",
        pid: 100,
        startedAt: T0,
        seenAt: T0 + 5000,
        stats: { sessions: 3 },
      };
      await l.heartbeat(beat);
      await l.heartbeat({ ...beat, id: "boxB:7", host: "boxB", pid: 7, seenAt: T0 + 1000, stats: null });
      await l.heartbeat({ ...beat, seenAt: T0 + 9000, stats: { sessions: 4 } });
      expect(await l.fleet(T0 + 2000)).toEqual([{ ...beat, seenAt: T0 + 9000, stats: { sessions: 4 } }]);
      expect((await l.fleet(0)).map((x) => x.id)).toEqual(["boxA:100", "boxB:7"]);
      await l.close();
    });

    test("after close: credits fail at once (E_LEDGER_CLOSED), counts are ignored", async () => {
      const { l } = await openLedger(b);
      await l.close();
      expect((await credit(l, { key: key("late") }))?.code).toBe("E_LEDGER_CLOSED");
      l.reject("RA", 1, T0);
      await l.close();
    });
  });
}
