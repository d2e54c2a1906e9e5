// helpers.ts — what the miner tests share: the built-in pool at an easy difficulty, a Miner with a
// recording io, and a bounded wait.

import { PoolServer } from "../../src/pool/index.ts";
import {
  Miner,
  resolveMinerOptions,
  type MinerEvent,
  type MinerOptionsInput,
} from "../../src/miner/index.ts";
import { silentLogger } from "../../src/util/log.ts";
import { linesLogger } from "../support/log.ts";

export const USER = "RLn1WTymL5G9LHpiEZW29S3otu6bTHKob6.miner";
/** ≈ 8192 × 10 hashes per share: tens of shares a second from two threads at ~1.7 MH/s each. */
export const EASY_DIFFICULTY = 10;

/** Polls `cond` every 5 ms; throws after `ms` (tests wait for behaviour, never for a fixed time). */
export async function until(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(5);
  }
}

/** The built-in pool with no timers of its own: jobs and blocks change only when a test says so. */
export function startPool(difficulty = EASY_DIFFICULTY, port = 0): PoolServer {
  return PoolServer.start({
    port,
    seed: 21,
    difficulty,
    jobIntervalSeconds: 3600,
    blockIntervalSeconds: 7200,
    summaryIntervalSeconds: null,
    log: silentLogger,
  });
}

export interface Recorded {
  miner: Miner;
  lines: string[];
  events: MinerEvent[];
}

/** A started Miner whose log lines and events are kept. */
export async function startMiner(input: Partial<MinerOptionsInput> & { pools: string[] }): Promise<Recorded> {
  const lines: string[] = [];
  const events: MinerEvent[] = [];
  const options = resolveMinerOptions({ user: USER, threads: 2, reportIntervalSeconds: 3600, ...input });
  const miner = await Miner.start(options, {
    log: linesLogger(lines),
    color: false,
    observe: (e) => events.push(e),
  });
  return { miner, lines, events };
}
