// The lines a person watches: the report line, one line per share result, the closing summary;
// colour only on a TTY without NO_COLOR.

import { describe, expect, test } from "bun:test";
import {
  formatDifficulty,
  formatMinerHashrate,
  formatReport,
  formatResult,
  formatMinerSummary,
  painter,
  useColor,
  type ReportFacts,
} from "../../src/miner/report.ts";
import { MinerStats } from "../../src/miner/stats.ts";
import { difficultyToTarget, rejectOf } from "../../src/protocol/index.ts";

const ESC = "\u001b[";
const POOL = "stratum+tcp://127.0.0.1:3956";
const facts: ReportFacts = {
  rates: { total: 2_950_000, perThread: [1_480_000, 1_470_000] },
  accepted: 41,
  rejected: 0,
  stale: 1,
  unsent: 0,
  difficulty: 1000,
  target: difficultyToTarget(1000),
  pool: POOL,
  idle: null,
};

describe("report line", () => {
  test("total and per-thread rate, accepted/rejected/stale, pool and ccminer difficulty, pool URL", () => {
    expect(formatReport(facts, painter(false))).toBe(
      `2.950 MH/s [1.480 1.470], accepted 41, rejected 0, stale 1, diff 1000 (ccminer 481885), ${POOL}`,
    );
  });

  test("shares never sent are shown as unsent after the stale count", () => {
    expect(formatReport({ ...facts, stale: 3, unsent: 2 }, painter(false))).toBe(
      `2.950 MH/s [1.480 1.470], accepted 41, rejected 0, stale 3, unsent 2, diff 1000 (ccminer 481885), ${POOL}`,
    );
  });

  test("no target yet, no pool, idle", () => {
    const line = formatReport(
      {
        ...facts,
        difficulty: null,
        target: null,
        pool: null,
        idle: "disconnected (E_CONNECT_REFUSED)",
        rates: { total: 0, perThread: [0, 0] },
      },
      painter(false),
    );
    expect(line).toBe(
      "0 H/s [0 0], accepted 41, rejected 0, stale 1, no pool, idle: disconnected (E_CONNECT_REFUSED)",
    );
  });

  test("colour only when asked: no escape codes in plain output, colours in TTY output", () => {
    expect(formatReport({ ...facts, rejected: 2 }, painter(false))).not.toContain(ESC);
    const coloured = formatReport({ ...facts, rejected: 2 }, painter(true));
    expect(coloured).toContain(`${ESC}32maccepted 41${ESC}0m`);
    expect(coloured).toContain(`${ESC}31mrejected 2${ESC}0m`);
    expect(coloured.replace(/\u001b\[\d+m/g, "")).toBe(
      formatReport({ ...facts, rejected: 2 }, painter(false)),
    );
  });

  test("useColor: a TTY, and NO_COLOR unset or empty", () => {
    expect(useColor({ isTTY: true }, {})).toBe(true);
    expect(useColor({ isTTY: true }, { NO_COLOR: "" })).toBe(true);
    expect(useColor({ isTTY: true }, { NO_COLOR: "1" })).toBe(false);
    expect(useColor({ isTTY: false }, {})).toBe(false);
    expect(useColor({}, {})).toBe(false);
  });
});

describe("share result lines", () => {
  const p = painter(false);
  test("accepted, rejected with code and reason, stale, lost, dropped", () => {
    expect(
      formatResult(
        { kind: "accepted", accepted: 41, total: 42, shareDifficulty: 1234.5678, jobId: "1a", ms: 3.4 },
        p,
      ),
    ).toBe("accepted ✓ 41/42, share diff 1235, job 1a, 3 ms");
    const low = {
      ...rejectOf("duplicate"),
      code: 23,
      reason: "low-difficulty" as const,
      message: "low difficulty share of 0.5",
    };
    expect(formatResult({ kind: "rejected", reject: low, jobId: "1a" }, p)).toBe(
      "rejected ✗ 23 low difficulty share of 0.5, job 1a",
    );
    expect(formatResult({ kind: "stale", why: "job-gone", jobId: "1b" }, p)).toBe("stale (job-gone), job 1b");
    expect(formatResult({ kind: "stale", unsent: true, why: "job-gone", jobId: "1b" }, p)).toBe(
      "stale, unsent (job-gone), job 1b",
    );
    expect(formatResult({ kind: "lost", why: "E_CONNECTION_RESET", jobId: "1c" }, p)).toBe(
      "lost (E_CONNECTION_RESET), job 1c",
    );
    expect(formatResult({ kind: "dropped", why: "queue-full", jobId: "1d" }, p)).toBe(
      "dropped (queue-full), job 1d",
    );
  });

  test("pool text cannot forge log lines", () => {
    const evil = { ...rejectOf("duplicate"), message: "dup\n2026 accepted ✓ 999/999" };
    expect(formatResult({ kind: "rejected", reject: evil, jobId: "x\ny" }, p)).toBe(
      "rejected ✗ 22 dup?2026 accepted ✓ 999/999, job x?y",
    );
  });
});

describe("numbers", () => {
  test("hashrates and difficulties", () => {
    expect(formatMinerHashrate(0)).toBe("0 H/s");
    expect(formatMinerHashrate(950)).toBe("950 H/s");
    expect(formatMinerHashrate(12_345)).toBe("12.345 kH/s");
    expect(formatMinerHashrate(2_950_000)).toBe("2.950 MH/s");
    expect(formatDifficulty(0.00012345)).toBe("0.0001234");
    expect(formatDifficulty(12.3456)).toBe("12.35");
    expect(formatDifficulty(31999.6)).toBe("32000");
  });

  test("the closing summary line", () => {
    const s = new MinerStats(2, 0);
    s.working(0, true);
    for (let i = 0; i < 43; i++) s.offered();
    for (let i = 0; i < 41; i++) s.result("accepted", true);
    s.result("stale", true); // answered 21: it was sent
    const line = () =>
      formatMinerSummary(s.summary(60_000, [88_800_000, 88_200_000], { difficulty: 1, pool: POOL }));
    // Issue 10 adds the unsent count at the end.
    expect(line()).toBe(
      "summary: 2.950 MH/s [1.480 1.470] over 60.0 s, accepted 41/42, rejected 0, stale 1, lost 0, dropped 0, invalid 0, unsent 0",
    );
    s.result("stale", false); // its job died before it was sent: not submitted
    expect(line()).toBe(
      "summary: 2.950 MH/s [1.480 1.470] over 60.0 s, accepted 41/42, rejected 0, stale 2, lost 0, dropped 0, invalid 0, unsent 1",
    );
  });
});
