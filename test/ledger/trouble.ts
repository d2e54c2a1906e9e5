// trouble.ts — the ledger's failure paths, the same on every backend (sqlite.test.ts and
// postgres.test.ts run them): commits failing (the real store behind a switch, faulty-store.ts) keep
// credits waiting unacknowledged and retried, refuse new ones beyond maxQueued (E_LEDGER_FULL), say
// so in health(), then drain in order; close() gives up on what still waits (E_LEDGER_CLOSED); a
// database written by a newer vbridge is refused (E_LEDGER_VERSION). The real PostgreSQL outage
// (stopped with -m immediate mid-run) is postgres-outage.test.ts.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Ledger, type LedgerError } from "../../src/ledger/index.ts";
import type { Backend } from "./backends.ts";
import { until } from "../e2e/stack.ts";
import { FaultyStore } from "./faulty-store.ts";
import { credit, key, MIN, T0 } from "./suite.ts";

/** The code opening `target` fails with (SQLite: thrown by open; PostgreSQL: `ready` rejects), or null. */
export async function openCode(target: string): Promise<string | null> {
  let l: Ledger | undefined;
  try {
    l = Ledger.open(target);
    await l.ready;
    return null;
  } catch (e) {
    return (e as LedgerError).code ?? `not coded: ${String(e)}`;
  } finally {
    await l?.close();
  }
}

export function troubleSuite(b: Backend): void {
  describe(`ledger trouble on ${b.name}`, () => {
    beforeAll(() => b.setup(), 60_000);
    afterAll(() => b.teardown(), 60_000);

    test("no shares flowing, the database gone: a failed read (the fleet heartbeat) makes health say so until one works", async () => {
      const target = await b.fresh();
      const store = new FaultyStore(b.store(target));
      const l = Ledger.withStore(store, target, { clock: () => T0 + MIN });
      await l.ready;
      await l.flush();
      store.down = true;
      const beat = { id: "b1", host: "h", pid: 1, startedAt: T0, seenAt: T0, stats: {} };
      expect(
        await l.heartbeat(beat).then(
          () => "ok",
          (e: LedgerError) => e.code,
        ),
      ).toBe("E_LEDGER");
      expect(l.health()).toMatchObject({ ok: false, reason: expect.stringContaining("reads failing") });
      store.down = false;
      await l.heartbeat(beat);
      expect(l.health()).toEqual({ ok: true });
      await l.close();
    });

    test("commits failing: credits wait unacknowledged, the bound refuses more, health says so; recovery drains in order", async () => {
      const target = await b.fresh();
      const store = new FaultyStore(b.store(target));
      const l = Ledger.withStore(store, target, { clock: () => T0 + MIN, maxQueued: 100 });
      await l.ready;
      await l.flush();
      expect(l.health()).toEqual({ ok: true });
      store.down = true;
      const acked: number[] = [];
      const refused: string[] = [];
      for (let i = 0; i < 150; i++) {
        l.credit({ worker: "RA.w1", difficulty: 1, at: T0, key: key(`q${i}`) }, (e) => {
          if (e === null) acked.push(i);
          else refused.push(`${i}:${e.code}`);
        });
        l.reject("RA.w1", 20, T0);
      }
      // The first 100 wait; the other 50 are refused at once, never queued.
      expect(refused).toEqual(Array.from({ length: 50 }, (_, k) => `${100 + k}:E_LEDGER_FULL`));
      await until(() => l.counters().retries >= 2, "the commit failed twice");
      expect(acked).toEqual([]);
      expect(l.health().ok).toBe(false);
      expect(l.counters()).toMatchObject({ queued: 100, refused: 50, failing: true });
      expect(l.counters().lastError).toContain("the database is down");
      expect(await b.count(target, "shares")).toBe(0);
      store.down = false;
      await until(() => acked.length === 100, "the queue drained");
      expect(acked).toEqual(Array.from({ length: 100 }, (_, i) => i));
      expect(l.health()).toEqual({ ok: true });
      expect(l.counters()).toMatchObject({ queued: 0, committed: 100, failing: false });
      expect(await l.worker("RA.w1")).toMatchObject({ accepted: 100, rejected: 100 });
      await l.close();
    });

    test("close while commits fail: waiting credits get E_LEDGER_CLOSED, nothing is acknowledged", async () => {
      const target = await b.fresh();
      const store = new FaultyStore(b.store(target));
      const l = Ledger.withStore(store, target, { clock: () => T0 + MIN, closeWaitMs: 200 });
      await l.ready;
      await l.flush();
      store.down = true;
      const got = Promise.all([credit(l, { key: key("c1") }), credit(l, { key: key("c2") })]);
      await until(() => l.counters().failing, "a commit failed");
      const t0 = performance.now();
      await l.close();
      expect(performance.now() - t0).toBeLessThan(2_000);
      expect((await got).map((e) => e?.code)).toEqual(["E_LEDGER_CLOSED", "E_LEDGER_CLOSED"]);
      expect(await b.count(target, "shares")).toBe(0);
    });

    test("a database from a newer vbridge is refused (E_LEDGER_VERSION)", async () => {
      const target = await b.fresh();
      expect(await openCode(target)).toBeNull(); // creates the schema
      await b.exec(
        target,
        b.name === "sqlite" ? "PRAGMA user_version = 3" : "UPDATE schema_version SET version = 3",
      );
      expect(await openCode(target)).toBe("E_LEDGER_VERSION");
    });
  });
}
