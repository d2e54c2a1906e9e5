// aggregate.ts — one batch's history deltas, summed in JS so a backend writes one upsert per
// (worker, minute) per batch rather than one per share: the credits the shares table took (the
// rows its INSERT … RETURNING gave back, duplicates excluded), the rejects and the pool results.
// Shared by both backends so they count alike.

import type { PoolResultKind, PoolEvent, RejectEvent, ShareCounts } from "./store.ts";

export const MINUTE_MS = 60_000;

export function minuteOf(at: number): number {
  return Math.floor(at / MINUTE_MS) * MINUTE_MS;
}

export interface Bucket extends ShareCounts {
  minute: number;
  /** Earliest event in the bucket (unix ms). */
  firstAt: number;
  /** Latest credited share (unix ms), null when the bucket holds none. */
  lastShare: number | null;
}

export interface RejectBucket {
  worker: string;
  minute: number;
  code: string;
  count: number;
}

const POOL_FIELD: Record<PoolResultKind, "poolAccepted" | "poolRejected" | "poolStale" | "poolLost"> = {
  accepted: "poolAccepted",
  rejected: "poolRejected",
  stale: "poolStale",
  lost: "poolLost",
};

/** A credited share as the shares table returned it (at and difficulty as numbers or strings). */
export interface InsertedShare {
  worker: string;
  at: number | string;
  difficulty: number | string;
}

export function aggregate(
  inserted: readonly InsertedShare[],
  rejects: readonly RejectEvent[],
  pools: readonly PoolEvent[],
): { buckets: Bucket[]; rejectBuckets: RejectBucket[] } {
  const buckets = new Map<string, Bucket>();
  const bucket = (worker: string, at: number): Bucket => {
    const minute = minuteOf(at);
    const k = `${minute}\u0000${worker}`;
    let b = buckets.get(k);
    if (b === undefined) {
      b = {
        worker,
        minute,
        accepted: 0,
        acceptedDifficulty: 0,
        rejected: 0,
        poolAccepted: 0,
        poolRejected: 0,
        poolStale: 0,
        poolLost: 0,
        firstAt: at,
        lastShare: null,
      };
      buckets.set(k, b);
    } else if (at < b.firstAt) b.firstAt = at;
    return b;
  };
  for (const s of inserted) {
    const at = Number(s.at);
    const b = bucket(s.worker, at);
    b.accepted++;
    b.acceptedDifficulty += Number(s.difficulty);
    if (b.lastShare === null || at > b.lastShare) b.lastShare = at;
  }
  const rejectBuckets = new Map<string, RejectBucket>();
  for (const r of rejects) {
    const b = bucket(r.worker, r.at);
    b.rejected++;
    const code = String(r.code);
    const k = `${b.minute}\u0000${code}\u0000${r.worker}`;
    const rb = rejectBuckets.get(k);
    if (rb === undefined) rejectBuckets.set(k, { worker: r.worker, minute: b.minute, code, count: 1 });
    else rb.count++;
  }
  for (const p of pools) bucket(p.worker, p.at)[POOL_FIELD[p.result]]++;
  return { buckets: [...buckets.values()], rejectBuckets: [...rejectBuckets.values()] };
}
