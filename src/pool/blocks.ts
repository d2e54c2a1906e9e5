// blocks.ts — a share that met the block target, at the built-in pool: with jobs from a daemon,
// the block is submitted to it (src/daemon/source.ts assembles and sends it) and the verdict logged
// prominently; with synthetic jobs there is nobody to submit to, and the candidate is only logged.
// The server counts it and tells the finder (blockFoundMessage: the bridge reads that line).

import type { BlockResult, DaemonJobSource } from "../daemon/source.ts";
import { hashToDisplayHex, type SubmitParams, type Verdict } from "../protocol/index.ts";
import { hexToBytes } from "../protocol/hex.ts";
import { SOLUTION_COMPACT_SIZE } from "../protocol/layout.ts";
import { isLoopback } from "../net/addresses.ts";
import type { Logger } from "../util/log.ts";

export interface BlockCandidateContext {
  daemon: DaemonJobSource | null;
  /** The height of the work the share was found on. */
  height: number;
  log: Logger;
  /** The daemon's verdict is in. */
  done(r: BlockResult): void;
}

/** What the finder is told (client.show_message); src/bridge/blocks.ts parses it. */
export function blockFoundMessage(r: BlockResult): string {
  return `block found at height ${r.height}: ${r.hash} (${r.result})`;
}

export function blockCandidate(
  ctx: BlockCandidateContext,
  conn: number,
  submit: SubmitParams,
  v: Extract<Verdict, { ok: true }>,
): void {
  const hash = hashToDisplayHex(v.hash);
  const daemon = ctx.daemon;
  if (daemon === null || v.job.daemonNonce === null) {
    ctx.log.info(
      `conn ${conn} BLOCK CANDIDATE at height ${ctx.height}: hash ${hash} (no daemon: not submitted)`,
    );
    return;
  }
  const header = v.job.header(v.job.daemonNonce);
  const solution = hexToBytes(submit.solution).subarray(SOLUTION_COMPACT_SIZE.length);
  ctx.log.info(`conn ${conn} BLOCK FOUND at height ${ctx.height}: hash ${hash}, submitting to the daemon`);
  void daemon.submit(v.job, header, solution, v.hash).then((r) => {
    const line = `block ${r.hash} at height ${r.height}: ${r.result}${r.confirmed ? ", confirmed by getblock" : ""} (submit sent ${r.sendMs.toFixed(1)} ms after the share)`;
    if (r.accepted) ctx.log.info(`BLOCK ACCEPTED: ${line}`);
    else ctx.log.warn(`block not accepted: ${line}`);
    ctx.done(r);
  });
}

/**
 * `vbridge blocknotify HASH` (verusd's -blocknotify) sends this on the Stratum port, from loopback
 * only: fetch a template now. Answered true; from anywhere else, or with no daemon, 20 unknown method.
 */
export const BLOCKNOTIFY_METHOD = "vbridge.blocknotify";

/** Whether a method from a peer is the blocknotify the pool takes: that method, from loopback. */
export function takesBlocknotify(method: string, remote: string): boolean {
  return method === BLOCKNOTIFY_METHOD && isLoopback(remote);
}
