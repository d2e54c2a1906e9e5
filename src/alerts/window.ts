/**
 * ShareWindow: accepted / rejected / stale share counts over the last N seconds, in one bucket per
 * second (a ring of N buckets, so memory is capped by the window, not by the share rate). add() is
 * O(1) for the share path; sum() walks the ring, O(N), and runs only on the periodic check.
 */

interface Bucket {
  /** Unix second this bucket counts; a bucket of an older second is stale and reads as zero. */
  second: number;
  accepted: number;
  rejected: number;
  stale: number;
  /** Rejections by code (20..25: six at most). */
  byCode: Record<string, number>;
}

export interface WindowSum {
  accepted: number;
  rejected: number;
  stale: number;
  byCode: Record<string, number>;
}

/** Longest window allowed: a day of one-second buckets. */
export const MAX_WINDOW_SECONDS = 86_400;

export class ShareWindow {
  private readonly ring: Bucket[];

  constructor(readonly seconds: number) {
    this.ring = Array.from({ length: seconds }, () => ({
      second: -1,
      accepted: 0,
      rejected: 0,
      stale: 0,
      byCode: {},
    }));
  }

  add(atMs: number, verdict: "accepted" | "rejected", stale: boolean, code?: number): void {
    const second = Math.floor(atMs / 1000);
    const b = this.ring[second % this.seconds]!;
    if (b.second !== second) {
      if (b.second > second) return; // older than the window already holds: too old to count
      b.second = second;
      b.accepted = b.rejected = b.stale = 0;
      b.byCode = {};
    }
    if (verdict === "accepted") b.accepted++;
    else {
      b.rejected++;
      if (stale) b.stale++;
      if (code !== undefined) b.byCode[code] = (b.byCode[code] ?? 0) + 1;
    }
  }

  /** Counts of the `seconds` seconds up to and including the one of `nowMs`. */
  sum(nowMs: number): WindowSum {
    const now = Math.floor(nowMs / 1000);
    const out: WindowSum = { accepted: 0, rejected: 0, stale: 0, byCode: {} };
    for (const b of this.ring) {
      if (b.second <= now - this.seconds || b.second > now) continue;
      out.accepted += b.accepted;
      out.rejected += b.rejected;
      out.stale += b.stale;
      for (const [code, n] of Object.entries(b.byCode)) out.byCode[code] = (out.byCode[code] ?? 0) + n;
    }
    return out;
  }
}
