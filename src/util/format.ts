// format.ts — the parts the summary lines share (pool/stats.ts, bridge/stats.ts, miner/report.ts):
// counts with their noun, rejects by Stratum code, hashrates in their unit. One wording for all three.

const HASHRATE_UNITS = ["H/s", "kH/s", "MH/s", "GH/s", "TH/s"] as const;

export interface HashrateUnit {
  name: (typeof HASHRATE_UNITS)[number];
  /** Hashes per second in one of this unit. */
  size: number;
}

/** The unit a rate is shown in: the largest in which it is ≥ 1 (H/s below that). */
export function hashrateUnit(hps: number): HashrateUnit {
  let u = 0;
  for (let v = hps; v >= 1000 && u < HASHRATE_UNITS.length - 1; v /= 1000) u++;
  return { name: HASHRATE_UNITS[u]!, size: 1000 ** u };
}

/** A rate estimated from shares, as the pool's and the bridge's summaries print it: "81.92 H/s". */
export function formatHashrate(hps: number): string {
  const unit = hashrateUnit(hps);
  return `${(hps / unit.size).toFixed(2)} ${unit.name}`;
}

/** "1 connection", "3 connections". */
export function countOf(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/** " (21: 1, 23: 2)" after a reject count, or "" when there are none. */
export function byCode(counts: Record<string | number, number>): string {
  const codes = Object.entries(counts).map(([c, n]) => `${c}: ${n}`);
  return codes.length === 0 ? "" : ` (${codes.join(", ")})`;
}
