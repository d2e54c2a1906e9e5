// miners.ts — GET /api/v1/miners (every open miner session) and GET /api/v1/upstreams (every
// upstream session: pool, state, latency, difficulty, failovers, age of the last job). Pure. A
// miner's address only with ?ips=1 from an authorised client; pool URLs never carry credentials
// (the core strips them).

import type { MinerInfo, UpstreamInfo } from "../../bridge/contract.ts";

/** A miner as the API shows it: its address only as `ip`, when asked for; no credited sum. */
export type MinerView = Omit<MinerInfo, "remote" | "credited"> & { ip?: string };

export function buildMiners(miners: readonly MinerInfo[], ips: boolean): { miners: MinerView[] } {
  return {
    miners: miners.map(({ remote, credited: _credited, ...view }) => ({
      ...view,
      ...(ips ? { ip: remote } : {}),
    })),
  };
}

/** An upstream as the API shows it: the age of its last job rather than its time. */
export type UpstreamView = Omit<UpstreamInfo, "lastJobAt"> & { lastJobAgeMs: number | null };

export function buildUpstreams(
  upstreams: readonly UpstreamInfo[],
  now: number,
): { upstreams: UpstreamView[] } {
  return {
    upstreams: upstreams.map((u) => ({
      index: u.index,
      url: u.url,
      state: u.state,
      difficulty: u.difficulty,
      extranonce1: u.extranonce1,
      sessions: u.sessions,
      latencyMs: u.latencyMs,
      failovers: u.failovers,
      lastJobAgeMs: u.lastJobAt === null ? null : Math.max(0, now - u.lastJobAt),
      pending: u.pending,
    })),
  };
}
