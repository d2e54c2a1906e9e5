// The SQLite ledger's own concerns: the file is in WAL mode at schema version 2 and keeps its data
// across reopening; a v1 file (per-worker totals, before issue 12) migrates into history; an
// unusable path is E_LEDGER at open.

import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { Ledger, LEDGER_SCHEMA_VERSION } from "../../src/ledger/index.ts";
import { codeOf } from "../support/errors.ts";
import { sqliteBackend } from "./backends.ts";
import { V1_SCHEMA } from "./fixtures/v1-schema.ts";
import { credit, key, MIN, T0 } from "./suite.ts";

const b = sqliteBackend();
afterAll(() => b.teardown());

describe("SQLite ledger file", () => {
  test("WAL, schema version 2; reopening keeps the totals", async () => {
    const path = await b.fresh();
    const l = Ledger.open(path, { clock: () => T0 });
    expect(await credit(l, { key: key("x"), worker: "RA", difficulty: 3 })).toBeNull();
    await l.close();
    const db = new Database(path);
    expect(db.query("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" });
    expect(db.query("PRAGMA user_version").get()).toEqual({ user_version: LEDGER_SCHEMA_VERSION });
    expect(LEDGER_SCHEMA_VERSION).toBe(2);
    db.close();
    const again = Ledger.open(path, { clock: () => T0 });
    expect(await again.worker("RA")).toMatchObject({ accepted: 1, acceptedDifficulty: 3 });
    await again.close();
  });

  test("a v1 file migrates: each worker's totals become one history bucket, its rejects code 0", async () => {
    const path = await b.fresh();
    const v1 = new Database(path, { create: true, strict: true });
    v1.exec(V1_SCHEMA);
    const insert = v1.prepare(
      "INSERT INTO workers (worker, accepted, accepted_difficulty, rejected, pool_accepted, pool_rejected, " +
        "pool_stale, pool_lost, first_seen, last_share) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    );
    insert.run("RA.w1", 10, 2.5, 3, 4, 1, 2, 0, T0 + 5, T0 + 3 * MIN + 7);
    insert.run("RB", 0, 0, 2, 0, 0, 0, 1, T0 + 2 * MIN + 1, null);
    v1.close();

    const l = Ledger.open(path, { clock: () => T0 + 10 * MIN });
    expect(await l.totals()).toEqual([
      {
        worker: "RA.w1",
        accepted: 10,
        acceptedDifficulty: 2.5,
        rejected: 3,
        poolAccepted: 4,
        poolRejected: 1,
        poolStale: 2,
        poolLost: 0,
        firstSeen: T0 + 5,
        lastShare: T0 + 3 * MIN + 7,
      },
      {
        worker: "RB",
        accepted: 0,
        acceptedDifficulty: 0,
        rejected: 2,
        poolAccepted: 0,
        poolRejected: 0,
        poolStale: 0,
        poolLost: 1,
        firstSeen: T0 + 2 * MIN + 1,
        lastShare: null,
      },
    ]);
    const rows = await l.history({ from: T0, to: T0 + 10 * MIN });
    expect(rows.map((r) => [r.worker, r.minute - T0, r.rejectedByCode])).toEqual([
      ["RA.w1", 3 * MIN, { "0": 3 }],
      ["RB", 2 * MIN, { "0": 2 }],
    ]);
    // New credits add to the migrated history.
    expect(
      await credit(l, { key: key("after"), worker: "RA.w1", difficulty: 0.5, at: T0 + 3 * MIN + 9 }),
    ).toBeNull();
    expect(await l.worker("RA.w1")).toMatchObject({
      accepted: 11,
      acceptedDifficulty: 3,
      lastShare: T0 + 3 * MIN + 9,
    });
    await l.close();
    const db = new Database(path, { readonly: true });
    expect(db.query("PRAGMA user_version").get()).toEqual({ user_version: 2 });
    expect(db.query("SELECT count(*) AS n FROM sqlite_master WHERE name = 'workers'").get()).toEqual({
      n: 0,
    });
    db.close();
  });

  test("an unusable path is E_LEDGER_OPEN at open (the operator's to fix: exit 2)", () => {
    expect(codeOf(() => Ledger.open("/nonexistent-dir/x/ledger.sqlite"))).toBe("E_LEDGER_OPEN");
  });

  test("in memory: kind, target and a working ledger", async () => {
    const l = Ledger.open("");
    expect([l.kind, l.target, l.health()]).toEqual(["sqlite", "", { ok: true }]);
    expect(await credit(l, { key: key("m") })).toBeNull();
    await l.close();
  });
});
