// ws-load-rounds.ts — what bench/ws-load.ts and bench/fanout.ts measure the same way: the clock
// offset to the generator process (bench/ws-load-gen.ts) over IPC, and rounds of "arm the generator,
// trigger a new job, collect every session's receive time" — p50 / p99 / last per round, printed,
// and their medians. Plus the number formats both print.

import type { Child } from "./ipc-child.ts";
import type { FromGen, Sizes, ToGen } from "./ws-load-gen.ts";

/** Both processes read the same clock: timeOrigin + now(). */
export const now = () => performance.timeOrigin + performance.now();
export const ms = (x: number) => `${x.toFixed(1)} ms`;
export const kb = (x: number) => `${(x / 1024).toFixed(2)} KB`;
export const mb = (x: number) => `${(x / 1024 / 1024).toFixed(1)} MB`;

export function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
}

export type Generator = Child<ToGen, FromGen>;

/** Offset of the generator's clock from ours (ms) and its uncertainty (half the best round trip). */
export async function clockOffset(gen: Generator): Promise<{ offset: number; error: number }> {
  let best = { offset: 0, error: Infinity };
  for (let i = 0; i < 30; i++) {
    const t1 = now();
    gen.tell({ cmd: "clock" });
    const { t } = await gen.next("clock", 10_000);
    const t2 = now();
    if ((t2 - t1) / 2 < best.error) best = { offset: t - (t1 + t2) / 2, error: (t2 - t1) / 2 };
  }
  return best;
}

export interface FanOut {
  p50: number;
  p99: number;
  last: number;
}

/**
 * `rounds` rounds of: arm the generator, trigger a new job (`trigger` returns the time just before
 * it acted, and a note for the round's line), collect every session's receive time. Prints each
 * round; returns the medians and the frame sizes the generator saw.
 */
export async function fanOutRounds(
  gen: Generator,
  n: number,
  rounds: number,
  trigger: (round: number) => Promise<{ t0: number; note?: string }>,
): Promise<{ median: FanOut; sizes: Sizes | null }> {
  const all: FanOut[] = [];
  let sizes: Sizes | null = null;
  for (let r = 1; r <= rounds; r++) {
    await Bun.sleep(300);
    gen.tell({ cmd: "arm", timeoutMs: 30_000 });
    await gen.next("armed", 10_000);
    const { t0, note = "" } = await trigger(r);
    const jobs = await gen.next("jobs", 60_000);
    sizes ??= jobs.sizes;
    const got = jobs.times
      .filter((t) => t > 0)
      .map((t) => t - t0)
      .sort();
    if (got.length === 0) throw new Error("no session got the new job");
    const f = { p50: quantile(got, 0.5), p99: quantile(got, 0.99), last: got[got.length - 1]! };
    all.push(f);
    const problems = [
      jobs.missing > 0 ? `${jobs.missing} missing` : "",
      jobs.wrong > 0 ? `${jobs.wrong} not the clean new job` : "",
    ].filter((x) => x !== "");
    console.log(
      `  round ${r}: p50 ${ms(f.p50)}, p99 ${ms(f.p99)}, last ${ms(f.last)}; first ${ms(got[0]!)}; ` +
        `generator CPU ${ms(jobs.cpuMs)}${note}` +
        (problems.length > 0 ? ` (${problems.join(", ")})` : ` (all ${n} got the new job, clean)`),
    );
  }
  return {
    median: {
      p50: median(all.map((f) => f.p50)),
      p99: median(all.map((f) => f.p99)),
      last: median(all.map((f) => f.last)),
    },
    sizes,
  };
}
