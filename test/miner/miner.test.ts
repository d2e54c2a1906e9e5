// The miner against the built-in pool (real jobs, every share validated with VerusHash as v-nomp
// does), seen through a recording proxy: shares accepted across a clean job switch and across a
// forced reconnect that brings a new extranonce1; every submitted hash input distinct, every tail
// starting with its connection's extranonce1; old-job work gone within 50 ms of a new block.

import { afterEach, describe, expect, test } from "bun:test";
import { NONCE_TAIL_BYTES } from "../../src/hash/index.ts";
import type { MinerEvent } from "../../src/miner/index.ts";
import { startMiner, startPool, until, type Recorded } from "./helpers.ts";
import { StratumRecorder, type RecordedSubmit } from "../support/stratum-recorder.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The 50 ms of the issue, plus room for a loaded CI machine (the benchmark reports the real number). */
const SWITCH_MS = 50;
const CI_SLACK_MS = 100;

const accepted = (subs: RecordedSubmit[], f: (s: RecordedSubmit) => boolean) =>
  subs.filter((s) => s.answer === true && f(s)).length;

describe("vbridge mine ⇄ built-in pool", () => {
  test("accepted across a new block and a reconnect with a new extranonce1; distinct inputs; fast job switch", async () => {
    const server = startPool();
    cleanups.push(() => server.stop());
    const proxy = new StratumRecorder(server.port);
    cleanups.push(() => proxy.stop());
    const r: Recorded = await startMiner({ pools: [`stratum+tcp://127.0.0.1:${proxy.port}`] });
    cleanups.push(() => r.miner.stop("test over"));
    const subs = proxy.submits;

    // 1. The first job.
    const firstJob = server.currentJob.id;
    await until(() => accepted(subs, (s) => s.jobId === firstJob) >= 5, "5 accepted shares on the first job");

    // 2. A new block: every older job is dead (clean = true).
    const switchedAt = performance.now();
    const block = server.newBlock();
    await until(() => accepted(subs, (s) => s.jobId === block.id) >= 5, "5 accepted shares on the new block");
    const blockWork = r.events.find(
      (e): e is Extract<MinerEvent, { type: "work" }> => e.type === "work" && e.jobId === block.id,
    )!;
    expect(blockWork.clean).toBe(true);

    // 3. Both sides of every connection closed: the client reconnects, the pool hands out a new xn1.
    const firstXn1 = subs[0]!.xn1;
    proxy.dropAll();
    await until(() => accepted(subs, (s) => s.conn > 0) >= 5, "5 accepted shares after the reconnect");
    const summary = await r.miner.stop("test over");

    // Every share the pool saw: its tail starts with the extranonce1 of its connection, extranonce2
    // is the zeros of nonce-space.ts, and no hash input was submitted twice.
    expect(new Set(subs.map((s) => s.xn1)).size).toBe(2);
    expect(subs.find((s) => s.conn > 0)!.xn1).not.toBe(firstXn1);
    for (const s of subs) {
      expect(s.xn1).toMatch(/^[0-9a-f]{8}$/);
      expect(s.tail.startsWith(s.xn1!)).toBe(true);
      expect(s.xn2).toBe("00".repeat(32 - s.xn1!.length / 2));
      expect(s.tail).toHaveLength(2 * NONCE_TAIL_BYTES);
    }
    const inputs = subs.map((s) => `${s.jobId}/${s.xn1}/${s.xn2}/${s.solution}`);
    expect(new Set(inputs).size).toBe(inputs.length);
    // Both workers contributed (worker byte right after the 4-byte extranonce1).
    expect(new Set(subs.map((s) => s.tail.slice(8, 10)))).toEqual(new Set(["00", "01"]));

    // Nothing rejected: at most a share that crossed the new block on the wire ("21 job not found").
    expect(subs.filter((s) => s.answer !== true && s.answer !== 21 && s.answer !== null)).toEqual([]);
    expect(summary.rejected).toBe(0);
    expect(summary.invalid).toBe(0);
    expect(summary.accepted).toBeGreaterThanOrEqual(15);
    // Every share handed to the client is settled once: sent (submitted) or dropped here as stale (unsent).
    expect(summary.accepted + summary.stale + summary.lost).toBe(summary.submitted + summary.unsent);

    // Job switch: no share for an older job reached the pool more than 50 ms after the new block,
    // and every worker was hashing the new block's work within 50 ms of it being published.
    const late = subs
      .filter((s) => s.jobId !== block.id && s.at > switchedAt && s.conn === 0)
      .map((s) => s.at - switchedAt);
    expect(Math.max(0, ...late)).toBeLessThan(SWITCH_MS + CI_SLACK_MS);
    const switches = r.events.filter(
      (e): e is Extract<MinerEvent, { type: "switched" }> => e.type === "switched" && e.seq === blockWork.seq,
    );
    expect(switches.map((e) => e.worker).sort()).toEqual([0, 1]);
    for (const e of switches) expect(e.latencyMs).toBeLessThan(SWITCH_MS + CI_SLACK_MS);
    expect(summary.job_switch_ms_max).toBeLessThan(SWITCH_MS + CI_SLACK_MS);
  }, 60_000);
});
