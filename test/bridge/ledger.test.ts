// The share ledger: totals per worker, acknowledgement only after commit, schema versioning, and
// durability across kill -9 of the process writing it.

import { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ledger, LEDGER_SCHEMA_VERSION } from "../../src/bridge/ledger.ts";
import { codeOf } from "../support/errors.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempFile(): string {
  const d = mkdtempSync(join(tmpdir(), "vbridge-ledger-"));
  dirs.push(d);
  return join(d, "ledger.sqlite");
}

function credit(l: Ledger, worker: string, d: number, at = 1000): Promise<void> {
  return new Promise((resolve, reject) =>
    l.credit(worker, d, at, (e) => (e === null ? resolve() : reject(e))),
  );
}

describe("Ledger", () => {
  test("totals per worker: credits, rejects and pool results", async () => {
    const l = Ledger.open("");
    await Promise.all([
      credit(l, "RA.w1", 0.5, 1000),
      credit(l, "RA.w1", 0.25, 2000),
      credit(l, "RB", 8, 1500),
    ]);
    l.reject("RA.w1", 2500);
    l.poolResult("RA.w1", "accepted", 3000);
    l.poolResult("RA.w1", "stale", 3000);
    l.poolResult("RB", "lost", 3000);
    l.flush();
    expect(l.totals()).toEqual([
      {
        worker: "RA.w1",
        accepted: 2,
        acceptedDifficulty: 0.75,
        rejected: 1,
        poolAccepted: 1,
        poolRejected: 0,
        poolStale: 1,
        poolLost: 0,
        firstSeen: 1000,
        lastShare: 2000,
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
        firstSeen: 1500,
        lastShare: 1500,
      },
    ]);
    expect(l.worker("nobody")).toBeNull();
    l.close();
  });

  test("a credit is acknowledged only once committed: another connection already sees it", async () => {
    const path = tempFile();
    const l = Ledger.open(path);
    const reader = new Database(path, { readonly: true });
    let seenAtAck: unknown = "not called";
    const acked = new Promise<void>((resolve) =>
      l.credit("RA.w", 2, 1000, (e) => {
        expect(e).toBeNull();
        seenAtAck = reader
          .query("SELECT accepted, accepted_difficulty AS d FROM workers WHERE worker = 'RA.w'")
          .get();
        resolve();
      }),
    );
    expect(reader.query("SELECT count(*) AS n FROM workers").get()).toEqual({ n: 0 }); // queued, not yet acknowledged
    await acked;
    expect(seenAtAck).toEqual({ accepted: 1, d: 2 });
    reader.close();
    l.close();
  });

  test("one commit for a burst: callbacks in order, all after the commit", async () => {
    const l = Ledger.open("");
    const order: number[] = [];
    for (let i = 0; i < 50; i++) l.credit("RA", 1, 1000, () => order.push(l.worker("RA")!.accepted));
    l.flush();
    expect(order).toEqual(Array(50).fill(50));
    l.close();
  });

  test("WAL, schema version; reopening keeps the totals", async () => {
    const path = tempFile();
    const l = Ledger.open(path);
    await credit(l, "RA", 3);
    l.close();
    const db = new Database(path);
    expect(db.query("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" });
    expect(db.query("PRAGMA user_version").get()).toEqual({ user_version: LEDGER_SCHEMA_VERSION });
    db.close();
    const again = Ledger.open(path);
    expect(again.worker("RA")).toMatchObject({ accepted: 1, acceptedDifficulty: 3 });
    again.close();
  });

  test("a ledger from a newer vbridge is refused (E_LEDGER_VERSION); an unusable path is E_LEDGER", () => {
    const path = tempFile();
    const db = new Database(path, { create: true });
    db.exec(`PRAGMA user_version = ${LEDGER_SCHEMA_VERSION + 1}`);
    db.close();
    expect(codeOf(() => Ledger.open(path))).toBe("E_LEDGER_VERSION");
    expect(codeOf(() => Ledger.open("/nonexistent-dir/x/ledger.sqlite"))).toBe("E_LEDGER");
  });

  test("after close: credits fail at once (E_LEDGER), counts are ignored", () => {
    const l = Ledger.open("");
    l.close();
    const codes: (string | null)[] = [];
    l.credit("RA", 1, 1, (e) => codes.push(e?.code ?? null));
    expect(codes).toEqual(["E_LEDGER"]);
    l.reject("RA", 1);
    expect(l.close()).toBeNull();
  });

  test("every acknowledged share survives kill -9 of the process writing it", async () => {
    const path = tempFile();
    const child = Bun.spawn([process.execPath, join(import.meta.dir, "fixtures/ledger-child.ts"), path], {
      stdout: "pipe",
      stderr: "pipe",
    });
    let lastAcked = 0;
    const reader = child.stdout.getReader();
    const decoder = new TextDecoder();
    let buffered = "";
    const deadline = performance.now() + 10_000;
    while (lastAcked < 500) {
      if (performance.now() > deadline)
        throw new Error(`child acknowledged only ${lastAcked} shares in 10 s`);
      const { value, done } = await reader.read();
      if (done) throw new Error(`child exited early: ${await new Response(child.stderr).text()}`);
      buffered += decoder.decode(value, { stream: true });
      const lines = buffered.split("\n");
      buffered = lines.pop()!;
      for (const line of lines) lastAcked = Number(line.slice("acked ".length));
    }
    child.kill("SIGKILL");
    expect(await child.exited).not.toBe(0);
    expect(child.signalCode).toBe("SIGKILL");
    const l = Ledger.open(path);
    const row = l.worker("RChild.worker")!;
    expect(row.accepted).toBeGreaterThanOrEqual(lastAcked);
    expect(row.acceptedDifficulty).toBe(row.accepted * 0.5);
    l.close();
  });
});
