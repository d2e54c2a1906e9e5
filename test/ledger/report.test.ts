// The payout report on both backends (a SQLite file in a temporary directory, a real PostgreSQL):
// its sums are the ledger's — Ledger.history over the same range, and Ledger.totals when the range
// covers everything — per worker and in total; shares add up to 1; minutes outside [from, to) stay
// out; the CSV is RFC 4180 (a worker name with a comma, a quote and a line break round-trips).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Ledger } from "../../src/ledger/index.ts";
import { formatCsv, payoutReport, CSV_HEADER, type PayoutReport } from "../../src/ledger/report.ts";
import { postgresBackend, sqliteBackend, type Backend } from "./backends.ts";
import { credit, key, MIN, openLedger, T0 } from "./suite.ts";

const ODD = 'RQ.odd,"name"\nline';

/** Credits, rejects and pool results over minutes 0 … 5 (difficulties exact in binary). */
async function seed(l: Ledger): Promise<void> {
  const credits: [string, number, number][] = [
    ["RA.w1", 0.5, T0 + 10_000],
    ["RA.w1", 0.25, T0 + MIN + 1],
    ["RA.w1", 2, T0 + 5 * MIN], // outside [T0, T0 + 5 min)
    ["RB", 8, T0 + 2 * MIN + 59_999],
    ["RB", 4, T0 - 1], // before T0
    [ODD, 1.75, T0 + 4 * MIN],
  ];
  const acks = await Promise.all(
    credits.map(([worker, difficulty, at], i) => credit(l, { key: key(`k${i}`), worker, difficulty, at })),
  );
  expect(acks.every((a) => a === null)).toBe(true);
  l.reject("RA.w1", 23, T0 + 2 * MIN);
  l.reject("RA.w1", 21, T0 + 3 * MIN);
  l.reject("RC.none", 23, T0 + 3 * MIN); // only rejected: in the report with 0
  l.reject("RB", 23, T0 + 6 * MIN); // outside
  l.poolResult("RA.w1", "accepted", T0 + 20_000);
  l.poolResult("RB", "accepted", T0 + 3 * MIN);
  l.poolResult("RB", "rejected", T0 + 3 * MIN);
  l.poolResult(ODD, "accepted", T0 + 4 * MIN);
  await l.flush();
}

function sumsOf(
  rows: { acceptedDifficulty: number; accepted: number; rejected: number; poolAccepted: number }[],
) {
  return rows.reduce(
    (s, r) => ({
      creditedDifficulty: s.creditedDifficulty + r.acceptedDifficulty,
      accepted: s.accepted + r.accepted,
      rejected: s.rejected + r.rejected,
      poolAccepted: s.poolAccepted + r.poolAccepted,
    }),
    { creditedDifficulty: 0, accepted: 0, rejected: 0, poolAccepted: 0 },
  );
}

/** RFC 4180 rows (quoted fields with commas, doubled quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') ((field += '"'), i++);
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") (row.push(field), (field = ""));
    else if (c === "\r" && text[i + 1] === "\n") {
      (row.push(field), rows.push(row), (row = []), (field = ""), i++);
    } else field += c;
  }
  expect(field).toBe(""); // every row ends with CRLF
  return rows;
}

function reportSuite(b: Backend): void {
  describe(`payout report on ${b.name}`, () => {
    let l: Ledger;
    beforeAll(async () => {
      await b.setup();
      l = (await openLedger(b, { retentionDays: 0 })).l;
      await seed(l);
    }, 60_000);
    afterAll(async () => {
      await l?.close();
      await b.teardown();
    }, 60_000);

    test("per worker and in total, the sums of Ledger.history over [from, to)", async () => {
      const from = T0;
      const to = T0 + 5 * MIN;
      const r = await payoutReport(l, from, to);
      expect(r.from).toBe(from);
      expect(r.to).toBe(to);
      expect(r.workers).toEqual([
        { worker: "RB", creditedDifficulty: 8, share: 8 / 10.5, accepted: 1, rejected: 0, poolAccepted: 1 },
        {
          worker: ODD,
          creditedDifficulty: 1.75,
          share: 1.75 / 10.5,
          accepted: 1,
          rejected: 0,
          poolAccepted: 1,
        },
        {
          worker: "RA.w1",
          creditedDifficulty: 0.75,
          share: 0.75 / 10.5,
          accepted: 2,
          rejected: 2,
          poolAccepted: 1,
        },
        { worker: "RC.none", creditedDifficulty: 0, share: 0, accepted: 0, rejected: 1, poolAccepted: 0 },
      ]);
      const history = await l.history({ from, to });
      expect(r.totals).toEqual({ workers: 4, ...sumsOf(history) });
      for (const w of r.workers) {
        const own = sumsOf(history.filter((h) => h.worker === w.worker));
        expect({ ...w, worker: undefined, share: undefined }).toEqual({
          ...own,
          worker: undefined,
          share: undefined,
        });
      }
      expect(r.workers.reduce((s, w) => s + w.share, 0)).toBeCloseTo(1, 12);
    });

    test("over everything, the totals are Ledger.totals()", async () => {
      const r = await payoutReport(l, T0 - 60 * MIN, T0 + 60 * MIN);
      const totals = await l.totals();
      expect(r.totals).toEqual({ workers: totals.length, ...sumsOf(totals) });
      for (const t of totals) {
        const w = r.workers.find((x) => x.worker === t.worker)!;
        expect([w.creditedDifficulty, w.accepted, w.rejected, w.poolAccepted]).toEqual([
          t.acceptedDifficulty,
          t.accepted,
          t.rejected,
          t.poolAccepted,
        ]);
      }
    });

    test("whole minutes: a minute counts when it starts in [from, to)", async () => {
      // T0 + 30 s … T0 + 2 min: only minute 1 (minute 0 starts before from, minute 2 at to).
      const r = await payoutReport(l, T0 + 30_000, T0 + 2 * MIN);
      expect(r.workers.map((w) => [w.worker, w.creditedDifficulty, w.accepted])).toEqual([
        ["RA.w1", 0.25, 1],
      ]);
    });

    test("an empty range is an empty report; from ≥ to is a RangeError", async () => {
      const r = await payoutReport(l, T0 + 100 * MIN, T0 + 200 * MIN);
      expect(r).toEqual({
        from: T0 + 100 * MIN,
        to: T0 + 200 * MIN,
        workers: [],
        totals: { workers: 0, creditedDifficulty: 0, accepted: 0, rejected: 0, poolAccepted: 0 },
      });
      expect(formatCsv(r)).toBe(`${CSV_HEADER.join(",")}\r\n`);
      await expect(payoutReport(l, T0, T0)).rejects.toThrow(RangeError);
      await expect(payoutReport(l, Number.NaN, T0)).rejects.toThrow(RangeError);
    });

    test("CSV: a header, one row per worker, the odd name quoted and read back", async () => {
      const r: PayoutReport = await payoutReport(l, T0, T0 + 5 * MIN);
      const rows = parseCsv(formatCsv(r));
      expect(rows[0]).toEqual(CSV_HEADER);
      expect(rows.slice(1).map((row) => row[0])).toEqual(r.workers.map((w) => w.worker));
      expect(formatCsv(r)).toContain(`"RQ.odd,""name""\nline"`);
      const rb = rows[1]!;
      expect(rb.map(Number).slice(1)).toEqual([8, 8 / 10.5, 1, 0, 1]);
    });
  });
}

reportSuite(sqliteBackend());
reportSuite(postgresBackend());
