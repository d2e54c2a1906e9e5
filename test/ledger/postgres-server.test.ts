// The PostgreSQL ledger against its server's troubles, on a real PostgreSQL of its own: a target
// that cannot be reached or logged in to fails `ready` with one clear, coded message (password
// redacted); and the server stopped with `-m immediate` while credits flow, then started again:
// no acknowledged share lost (rows == acknowledgements), the queue bound respected (E_LEDGER_FULL
// beyond maxQueued), health() not ok while down and ok after, the queue drained in order.

import { SQL } from "bun";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Ledger, type LedgerError } from "../../src/ledger/index.ts";
import { freePort } from "../support/processes.ts";
import { linesLogger } from "../support/log.ts";
import { startPostgres, type Postgres } from "../support/postgres.ts";
import { key } from "./suite.ts";
import { until } from "../e2e/stack.ts";

const PASSWORD = "outage-pw-7";
let pg: Postgres;
beforeAll(async () => {
  pg = await startPostgres({ password: PASSWORD });
}, 60_000);
afterAll(() => pg?.remove(), 60_000);

async function readyError(target: string): Promise<{ error: LedgerError; ms: number }> {
  const t0 = performance.now();
  const l = Ledger.open(target);
  const error = await l.ready.then(
    () => {
      throw new Error("ready resolved");
    },
    (e: LedgerError) => e,
  );
  const ms = performance.now() - t0;
  await l.close();
  return { error, ms };
}

describe("PostgreSQL ledger: connecting", () => {
  test("nothing listening: E_LEDGER_CONNECT within seconds; the password never in the message", async () => {
    const { error, ms } = await readyError(
      `postgres://postgres:${PASSWORD}@127.0.0.1:${freePort()}/postgres`,
    );
    expect(error.code).toBe("E_LEDGER_CONNECT");
    expect(error.message).toContain("cannot connect to PostgreSQL at postgres://postgres:***@127.0.0.1:");
    expect(error.message).not.toContain(PASSWORD);
    expect(ms).toBeLessThan(3_500);
  });

  test("a wrong password: E_LEDGER_AUTH", async () => {
    const { error } = await readyError(pg.url.replace(PASSWORD, "not-the-password"));
    expect(error.code).toBe("E_LEDGER_AUTH");
    expect(error.message).toContain("refused the credentials");
    expect(error.message).not.toContain("not-the-password");
  });

  test("no such database: E_LEDGER_CONNECT", async () => {
    const { error } = await readyError(pg.url.replace(/\/postgres$/, "/no_such_db"));
    expect(error.code).toBe("E_LEDGER_CONNECT");
  });
});

describe("PostgreSQL ledger: the server stopped with -m immediate mid-run", () => {
  test("no acknowledged share lost, the bound respected, health degraded then ok, drained in order", async () => {
    const admin = new SQL(pg.url, { max: 1 });
    await admin.unsafe("CREATE DATABASE outage");
    await admin.close();
    const target = pg.url.replace(/\/postgres$/, "/outage");
    const lines: string[] = [];
    const maxQueued = 2_000;
    const l = Ledger.open(target, { maxQueued, log: linesLogger(lines) });
    await l.ready;

    let sent = 0;
    const acked: number[] = [];
    let refused = 0;
    const otherErrors: string[] = [];
    let maxSeenQueued = 0;
    const producer = setInterval(() => {
      for (let i = 0; i < 20; i++) {
        const n = sent++;
        l.credit({ worker: `W${n % 5}`, difficulty: 1, at: Date.now(), key: key(`outage-${n}`) }, (e) => {
          if (e === null) acked.push(n);
          else if (e.code === "E_LEDGER_FULL") refused++;
          else otherErrors.push(e.code);
        });
      }
      maxSeenQueued = Math.max(maxSeenQueued, l.counters().queued);
    }, 2);
    try {
      await until(() => acked.length >= 1_000, "credits flow");
      await pg.stop("immediate");
      await until(() => !l.health().ok, "health degraded", 10_000);
      await until(() => refused > 0, "the bound refuses credits", 10_000);
      const ackedWhileDown = acked.length;
      await Bun.sleep(500);
      expect(acked.length).toBe(ackedWhileDown); // nothing acknowledged without a commit
      await pg.start();
      await until(() => l.health().ok, "health ok again", 20_000);
      const afterRestart = acked.length;
      await until(() => acked.length >= afterRestart + 1_000, "credits flow again", 10_000);
    } finally {
      clearInterval(producer);
    }
    await l.flush();
    expect(otherErrors).toEqual([]);
    expect(maxSeenQueued).toBeLessThanOrEqual(maxQueued);
    expect(acked.length + refused).toBe(sent);
    // Drained in order: acknowledgements in the order the credits were made.
    expect(acked.every((n, i) => i === 0 || n > acked[i - 1]!)).toBe(true);
    const check = new SQL(target, { max: 1 });
    const rows = Number((await check.unsafe("SELECT count(*) AS n FROM shares"))[0].n);
    await check.close();
    expect(rows).toBe(acked.length);
    const totals = await l.totals();
    expect(totals.reduce((s, t) => s + t.accepted, 0)).toBe(acked.length);
    expect(l.counters()).toMatchObject({ queued: 0, failing: false, committed: acked.length });
    expect(lines.some((x) => x.startsWith("share ledger commit failed"))).toBe(true);
    expect(lines.some((x) => x.startsWith("share ledger commits succeed again"))).toBe(true);
    await l.close();
  }, 60_000);
});

describe("PostgreSQL ledger: a server that hangs (SIGSTOP)", () => {
  test("a commit with no answer counts as failed after commitTimeoutMs; after SIGCONT it is committed once", async () => {
    const l = Ledger.open(pg.url, { commitTimeoutMs: 1_000 });
    await l.ready;
    await l.flush();
    const postmaster = Number((await Bun.file(`${pg.dir}/data/postmaster.pid`).text()).split("\n")[0]);
    const children = Bun.spawnSync(["pgrep", "-P", String(postmaster)])
      .stdout.toString()
      .trim()
      .split("\n");
    const pids = [postmaster, ...children.filter((x) => x !== "").map(Number)];
    let result: string | null | undefined;
    for (const pid of pids) process.kill(pid, "SIGSTOP");
    try {
      l.credit(
        { worker: "Hung", difficulty: 1, at: Date.now(), key: key("hung-1") },
        (e) => (result = e?.code ?? null),
      );
      await until(() => l.counters().retries >= 1, "the commit timed out", 5_000);
      expect(l.health().ok).toBe(false);
      expect(l.counters().lastError).toContain("no answer within 1000 ms");
      expect(result).toBeUndefined();
    } finally {
      for (const pid of pids) process.kill(pid, "SIGCONT");
    }
    await until(() => result !== undefined, "acknowledged", 15_000);
    expect(result).toBeNull();
    expect(await l.worker("Hung")).toMatchObject({ accepted: 1 });
    expect(l.health()).toEqual({ ok: true });
    await l.close();
  }, 30_000);
});
