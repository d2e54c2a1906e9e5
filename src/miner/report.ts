/**
 * The lines a person watches while `vbridge mine` runs, ccminer-style: one report line every
 * interval (hashrate total and per thread, accepted/rejected/stale, difficulty, pool) and one line
 * per share result. Pure formatting; colour only when asked (a TTY without NO_COLOR, see
 * useColor), so logs and pipes get plain text.
 */
import { oneLine } from "../util/text.ts";
import type { ShareReject } from "../protocol/index.ts";
import { hashrateUnit, type HashrateUnit } from "../util/format.ts";
import { formatCcminerDifficulty } from "./ccminer.ts";
import type { MinerSummary, Rates } from "./stats.ts";

export interface Paint {
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  dim(s: string): string;
}

const sgr = (code: number) => (s: string) => `\u001b[${code}m${s}\u001b[0m`;
const plain = (s: string) => s;

export function painter(color: boolean): Paint {
  return color
    ? { green: sgr(32), red: sgr(31), yellow: sgr(33), cyan: sgr(36), dim: sgr(2) }
    : { green: plain, red: plain, yellow: plain, cyan: plain, dim: plain };
}

/** Colour for a terminal only, and never when NO_COLOR is set to anything non-empty (no-color.org). */
export function useColor(stream: { isTTY?: boolean }, env: Record<string, string | undefined>): boolean {
  return stream.isTTY === true && (env.NO_COLOR ?? "") === "";
}

/** A measured rate as ccminer shows it: whole H/s, else three decimals. */
function inUnit(hps: number, unit: HashrateUnit): string {
  return (hps / unit.size).toFixed(unit.size === 1 ? 0 : 3);
}

/** The miner's measured hashrate, ccminer-style: "950 H/s", "2.950 MH/s". */
export function formatMinerHashrate(hps: number): string {
  const u = hashrateUnit(hps);
  return `${inUnit(hps, u)} ${u.name}`;
}

/** Difficulties as pools print them: whole above 1000, else four significant digits. */
export function formatDifficulty(d: number): string {
  if (!Number.isFinite(d)) return String(d);
  return d >= 1000 ? d.toFixed(0) : String(Number(d.toPrecision(4)));
}

export interface ReportFacts {
  rates: Rates;
  accepted: number;
  rejected: number;
  stale: number;
  /** Never sent to the pool (stale before sending, or dropped): shown when there are any. */
  unsent: number;
  /** Pool difficulty and its target (for the figure ccminer 3.8.3 shows), when a target is known. */
  difficulty: number | null;
  target: bigint | null;
  pool: string | null;
  /** Why no work is being done, if that is the case. */
  idle: string | null;
}

/**
 * "2.950 MH/s [1.480 1.470], accepted 41, rejected 0, stale 1, diff 1000 (ccminer 481885),
 * stratum+tcp://127.0.0.1:3956", with ", unsent N" after the stale count when shares were never
 * sent. The per-thread rates are in the unit of the total.
 */
export function formatReport(f: ReportFacts, p: Paint): string {
  const u = hashrateUnit(f.rates.total);
  const parts = [
    `${p.cyan(formatMinerHashrate(f.rates.total))} [${f.rates.perThread.map((r) => inUnit(r, u)).join(" ")}]`,
    p.green(`accepted ${f.accepted}`),
    f.rejected > 0 ? p.red(`rejected ${f.rejected}`) : `rejected 0`,
    f.stale > 0 ? p.yellow(`stale ${f.stale}`) : `stale 0`,
  ];
  if (f.unsent > 0) parts.push(p.yellow(`unsent ${f.unsent}`));
  if (f.difficulty !== null && f.target !== null)
    parts.push(`diff ${formatDifficulty(f.difficulty)} (ccminer ${formatCcminerDifficulty(f.target)})`);
  parts.push(f.pool ?? "no pool");
  const line = parts.join(", ");
  return f.idle === null ? line : `${line}, ${p.yellow(`idle: ${f.idle}`)}`;
}

export type ResultFacts =
  | { kind: "accepted"; accepted: number; total: number; shareDifficulty: number; jobId: string; ms: number }
  | { kind: "rejected"; reject: ShareReject; jobId: string }
  /** `unsent`: never sent to the pool (its job or extranonce1 died first); else answered 21. */
  | { kind: "stale"; why: string; jobId: string; unsent?: boolean }
  | { kind: "lost" | "dropped"; why: string; jobId: string };

/** One line per share result: "accepted ✓ 41/42, share diff 1234, job 1a, 3 ms" and the like. */
export function formatResult(r: ResultFacts, p: Paint): string {
  switch (r.kind) {
    case "accepted":
      return (
        `${p.green(`accepted ✓ ${r.accepted}/${r.total}`)}, share diff ${formatDifficulty(r.shareDifficulty)}, ` +
        `job ${oneLine(r.jobId, 160)}, ${r.ms.toFixed(0)} ms`
      );
    case "rejected":
      return `${p.red(`rejected ✗ ${r.reject.code} ${oneLine(r.reject.message, 160)}`)}, job ${oneLine(r.jobId, 160)}`;
    case "stale":
      return `${p.yellow(`stale${r.unsent === true ? ", unsent" : ""} (${r.why})`)}, job ${oneLine(r.jobId, 160)}`;
    case "lost":
    case "dropped":
      return `${p.red(`${r.kind} (${r.why})`)}, job ${oneLine(r.jobId, 160)}`;
  }
}

/**
 * The closing line: "summary: 3.412 MH/s [1.706 1.706] over 60.0 s, accepted 41/42, …, unsent 1":
 * accepted of those sent to the pool; unsent (stale before sending, or dropped) last.
 */
export function formatMinerSummary(s: MinerSummary): string {
  const u = hashrateUnit(s.hashrate);
  const counts = [
    `accepted ${s.accepted}/${s.submitted}`,
    `rejected ${s.rejected}`,
    `stale ${s.stale}`,
    `lost ${s.lost}`,
    `dropped ${s.dropped}`,
    `invalid ${s.invalid}`,
    `unsent ${s.unsent}`,
  ];
  const rate = `${formatMinerHashrate(s.hashrate)} [${s.threads.map((r) => inUnit(r, u)).join(" ")}]`;
  return `summary: ${rate} over ${s.uptime_s.toFixed(1)} s, ${counts.join(", ")}`;
}
