// workers.ts — GET /api/v1/workers: one row per worker (the ledger key ADDRESS[.WORKER]) in
// xmrig-proxy's /1/workers row shape, positions fixed so existing tools read it:
//   [name, ip, connections, accepted, rejected, invalid, stale, lastShareMs, hashes,
//    hashrate1m, hashrate10m, hashrate1h, hashrate12h, hashrate24h]
// ip is null unless asked for (?ips=1, authorised); connections and the 1m column come from the
// live sessions, the counts, hashes (credited difficulty) and the longer columns from the ledger's
// last 24 h. Pure.

import type { MinerInfo } from "../../bridge/contract.ts";
import type { HistoryRow } from "../../ledger/index.ts";
import { byWorker, longRates, staleOf } from "./rates.ts";

export type WorkerRow = [
  name: string,
  ip: string | null,
  connections: number,
  accepted: number,
  rejected: number,
  invalid: number,
  stale: number,
  lastShareMs: number | null,
  hashes: number,
  hashrate1m: number,
  hashrate10m: number,
  hashrate1h: number,
  hashrate12h: number,
  hashrate24h: number,
];

export function buildWorkers(
  miners: readonly MinerInfo[],
  history: readonly HistoryRow[],
  now: number,
  ips: boolean,
): { workers: WorkerRow[] } {
  const live = new Map<string, MinerInfo[]>();
  for (const m of miners) {
    if (m.worker === null) continue; // not authorised yet: no worker to file it under
    const list = live.get(m.worker);
    if (list === undefined) live.set(m.worker, [m]);
    else list.push(m);
  }
  const past = byWorker(history);
  const names = [...new Set([...live.keys(), ...past.keys()])].sort();
  const workers = names.map((name): WorkerRow => {
    const sessions = live.get(name) ?? [];
    const rows = past.get(name) ?? [];
    let accepted = 0;
    let rejected = 0;
    let stale = 0;
    let hashes = 0;
    let lastMinute: number | null = null;
    for (const r of rows) {
      accepted += r.accepted;
      rejected += r.rejected;
      stale += staleOf(r);
      hashes += r.acceptedDifficulty;
      if (r.accepted > 0 && (lastMinute === null || r.minute > lastMinute)) lastMinute = r.minute;
    }
    // A live session knows the exact time; the ledger only the minute.
    let lastShare = lastMinute;
    let newest: MinerInfo | null = null;
    let rate1m = 0;
    for (const s of sessions) {
      if (s.lastShareAt !== null && (lastShare === null || s.lastShareAt > lastShare))
        lastShare = s.lastShareAt;
      if (newest === null || s.connectedAt > newest.connectedAt) newest = s;
      rate1m += s.hashrate;
    }
    const [r10m, r1h, r12h, r24h] = longRates(rows, now) as [number, number, number, number];
    return [
      name,
      ips && newest !== null ? newest.remote : null,
      sessions.length,
      accepted,
      rejected,
      rejected - stale,
      stale,
      lastShare,
      hashes,
      rate1m,
      r10m,
      r1h,
      r12h,
      r24h,
    ];
  });
  return { workers };
}
