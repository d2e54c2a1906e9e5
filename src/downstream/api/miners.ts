// miners.ts — GET /api/v1/miners (every open miner session) and GET /api/v1/upstreams (every
// upstream session: pool, state, latency, difficulty, failovers, age of the last job). Pure. A
// miner's address only with ?ips=1 from an authorised client; pool URLs never carry credentials
// (the core strips them).

import type { MinerInfo, UpstreamInfo } from "../../bridge/contract.ts";

export interface MinerView {
  id: number;
  worker: string | null;
  transport: string;
  agent: string | null;
  ip?: string;
  upstream: number;
  difficulty: number;
  connectedAt: number;
  accepted: number;
  rejected: number;
  invalid: number;
  stale: number;
  lastShareAt: number | null;
  hashrate: number;
}

export function buildMiners(miners: readonly MinerInfo[], ips: boolean): { miners: MinerView[] } {
  return {
    miners: miners.map((m) => ({
      id: m.id,
      worker: m.worker,
      transport: m.transport,
      agent: m.agent,
      ...(ips ? { ip: m.remote } : {}),
      upstream: m.upstream,
      difficulty: m.difficulty,
      connectedAt: m.connectedAt,
      accepted: m.accepted,
      rejected: m.rejected,
      invalid: m.invalid,
      stale: m.stale,
      lastShareAt: m.lastShareAt,
      hashrate: m.hashrate,
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
