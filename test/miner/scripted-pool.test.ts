// The miner against a scripted pool (test/upstream/fake-pool.ts): what real pools may do that the
// built-in one does not — an extranonce1 too long to fit, a job this miner cannot hash, a new
// target or a new extranonce1 mid-session — and what --debug prints (never the password).

import { afterEach, describe, expect, test } from "bun:test";
import { FakePool, type FakeConn } from "../upstream/fake-pool.ts";
import { notifyLine, PREV_B, resultLine, setTargetLine, TEMPLATE } from "../upstream/helpers.ts";
import type { MinerEvent } from "../../src/miner/index.ts";
import { startMiner, until, type Recorded } from "./helpers.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Difficulty 64: about half a million hashes a share, a few a second from one thread. */
const TARGET_64 = "00002" + "0".repeat(59);

function subscribeReply(c: FakeConn, id: unknown, xn1: string): void {
  c.send(resultLine(id, [[["mining.notify", "s"]], xn1, 32 - xn1.length / 2]));
  c.send(setTargetLine(TARGET_64));
}

const submits = (pool: FakePool) =>
  pool.conns.flatMap((c) =>
    c.lines
      .map((l) => JSON.parse(l) as { method?: string; params: string[] })
      .filter((m) => m.method === "mining.submit"),
  );

async function run(pool: FakePool, extra: { pass?: string; debug?: boolean } = {}): Promise<Recorded> {
  cleanups.push(() => pool.stop());
  const r = await startMiner({ pools: [pool.url], threads: 1, ...extra });
  cleanups.push(() => r.miner.stop("test over"));
  return r;
}

const works = (r: Recorded) =>
  r.events.filter((e): e is Extract<MinerEvent, { type: "work" }> => e.type === "work");

describe("vbridge mine ⇄ scripted pool", () => {
  test("an extranonce1 of 10 bytes leaves no room: E_MINER_XN1_TOO_LONG once, nothing hashed or sent", async () => {
    const pool = new FakePool({
      onLine: (c, _l, m) => {
        if (m.method !== "mining.subscribe") return false;
        subscribeReply(c, m.id, "00112233445566778899");
        c.send(notifyLine("j1"));
        return true;
      },
    });
    const r = await run(pool);
    await until(() => r.lines.some((l) => l.includes("E_MINER_XN1_TOO_LONG")), "the error line");
    pool.conns[0]!.send(notifyLine("j2", false));
    await until(() => pool.conns[0]!.lines.length >= 2, "authorize");
    await Bun.sleep(100);
    const summary = await r.miner.stop("test over");
    expect(r.lines.filter((l) => l.includes("E_MINER_XN1_TOO_LONG"))).toHaveLength(1);
    expect(works(r)).toEqual([]);
    expect(summary.hashes).toBe(0);
    expect(submits(pool)).toEqual([]);
  });

  test("the longest extranonce1 that fits (9 bytes) is mined: tail = xn1 ‖ worker ‖ round ‖ counter", async () => {
    const xn1 = "aabbccddeeff001122";
    const pool = new FakePool({
      onLine: (c, _l, m) => {
        if (m.method !== "mining.subscribe") return false;
        subscribeReply(c, m.id, xn1);
        c.send(notifyLine("j1"));
        return true;
      },
    });
    const r = await run(pool);
    await until(() => r.miner.summary().accepted >= 2, "2 accepted shares");
    for (const s of submits(pool)) {
      expect(s.params[3]).toBe("00".repeat(23)); // extranonce2
      expect(s.params[4]!.slice(-30, -8)).toBe(`${xn1}0000`); // xn1, worker 0, round 0
    }
  });

  test("a solution-version 3 job is refused with E_MINER_JOB_UNSUPPORTED; the next v7 job is mined", async () => {
    const v3 = notifyLine("old").replace(TEMPLATE, `03${TEMPLATE.slice(2)}`);
    const pool = new FakePool({
      onLine: (c, _l, m) => {
        if (m.method !== "mining.subscribe") return false;
        subscribeReply(c, m.id, "1ffffff0");
        c.send(v3);
        return true;
      },
    });
    const r = await run(pool);
    await until(() => r.lines.some((l) => l.includes("E_MINER_JOB_UNSUPPORTED")), "the refusal");
    expect(r.miner.summary().hashes).toBe(0);
    pool.conns[0]!.send(notifyLine("new", true));
    await until(() => r.miner.summary().accepted >= 1, "a share on the v7 job");
    expect(submits(pool).every((s) => s.params[1] === "new")).toBe(true);
  });

  test("a new target and a new extranonce1 (set_extranonce) each become new work; shares carry the new xn1", async () => {
    const pool = new FakePool({
      onLine: (c, _l, m) => {
        if (m.method !== "mining.subscribe") return false;
        subscribeReply(c, m.id, "1ffffff0");
        c.send(notifyLine("j1"));
        return true;
      },
    });
    const r = await run(pool);
    await until(() => r.miner.summary().accepted >= 1, "a first share");
    const c = pool.conns[0]!;
    c.send(setTargetLine("0004" + "0".repeat(60))); // difficulty 2
    await until(() => works(r).length >= 2, "work for the new target");
    expect(works(r)[1]!.jobId).toBe("j1");
    c.send(JSON.stringify({ id: null, method: "mining.set_extranonce", params: ["2eeeeee1", 28] }));
    await until(() => works(r).some((w) => w.extranonce1 === "2eeeeee1"), "work for the new extranonce1");
    const before = submits(pool).length;
    await until(() => submits(pool).length >= before + 2, "shares on the new extranonce1");
    const after = submits(pool).slice(before + 1); // the first may have been found just before
    expect(after.every((s) => s.params[4]!.slice(-30).startsWith("2eeeeee1"))).toBe(true);
    expect(r.miner.summary().difficulty).toBe(2);
  });

  test("shares whose job died before they could be sent are stale and unsent, never submitted", async () => {
    // The pool holds its answers: 3 submits in flight (the flood guard), the rest wait in the
    // client's queue. A clean job then kills j1: the waiting shares must never be sent or counted.
    const held: unknown[] = [];
    let answering = false;
    const pool = new FakePool({
      onLine: (c, _l, m) => {
        if (m.method === "mining.subscribe") {
          subscribeReply(c, m.id, "1ffffff0");
          c.send(setTargetLine("0001" + "0".repeat(60))); // difficulty 8: tens of shares a second
          c.send(notifyLine("j1"));
          return true;
        }
        if (m.method !== "mining.submit" || answering) return false;
        held.push(m.id);
        return true;
      },
    });
    const r = await run(pool);
    const handed = () => r.events.filter((e) => e.type === "submit");
    await until(() => handed().length >= 6 && held.length === 3, "3 shares in flight and 3 more queued");
    expect(r.miner.summary().submitted).toBe(0); // in flight: not counted until the outcome shows it went out
    const c = pool.conns[0]!;
    c.send(notifyLine("j2", true, PREV_B));
    await until(() => r.miner.summary().stale >= 3, "the queued j1 shares reported stale");
    expect(submits(pool)).toHaveLength(3); // none of them went out
    answering = true;
    for (const id of held) c.send(resultLine(id, true));
    await until(() => r.miner.summary().accepted >= 5, "the held shares and some of j2 accepted");
    const s = await r.miner.stop("test over");
    const sentToPool = submits(pool);
    expect(s.submitted).toBe(sentToPool.length);
    expect(s.accepted).toBe(sentToPool.length);
    expect(s.stale).toBeGreaterThanOrEqual(3);
    expect(s.unsent).toBe(s.stale + s.dropped);
    expect(s.submitted + s.unsent).toBe(handed().length);
    const unsentLines = r.lines.filter((l) => l.startsWith("stale, unsent (job-gone), job j1"));
    expect(unsentLines.length).toBe(s.stale);
    // Every share that reached the pool is one of the held j1 three or a j2 share.
    expect(sentToPool.filter((m) => m.params[1] === "j1")).toHaveLength(3);
  });

  test("--debug traces every line both ways; the authorize password is ***", async () => {
    const pool = new FakePool();
    const r = await run(pool, { pass: "hunter2-secret", debug: true });
    await until(() => r.miner.summary().accepted >= 1, "a share");
    await r.miner.stop("test over");
    const all = r.lines.join("\n");
    expect(all).not.toContain("hunter2-secret");
    expect(all).toMatch(/> \{"id":\d+,"method":"mining.authorize","params":\["[^"]+","\*\*\*"\]\}/);
    expect(all).toMatch(/< \{.*"mining.notify"/);
    expect(all).toMatch(/> \{.*"mining.submit"/);
  });
});
