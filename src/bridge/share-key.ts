// share-key.ts — the idempotency key a credited share carries into the ledger (issue 12): the same
// share retried after a lost commit reply must never be credited twice, and two different shares
// must never share a key. SHA-256 over
//   the session's extranonce1 (the pool's ‖ the lease) ‖ the job id ‖ the job's header bytes 0..107
//   ‖ what makes the share itself: the 15-byte tail on a PBaaS-cleared job (the only bytes hashed
//   there, as the duplicate check keys it), else nTime ‖ extranonce2 ‖ solution.
// The header bytes keep a job id the pool reuses after a restart (v-nomp counts from 1 again) from
// colliding with the old job of that id: its prevhash, merkle root or nTime differ.

import { bytesToHex, NONCE_TAIL_BYTES, type Job } from "../protocol/index.ts";
import type { MinerShare } from "./contract.ts";

const SEPARATOR = new Uint8Array([0]);
const encoder = new TextEncoder();

export function shareKey(extranonce1: Uint8Array, job: Job, share: MinerShare): Uint8Array {
  const h = new Bun.CryptoHasher("sha256");
  h.update(extranonce1);
  h.update(SEPARATOR);
  h.update(encoder.encode(job.id));
  h.update(SEPARATOR);
  h.update(job.head);
  if (share.kind === "tail") h.update(share.tail);
  else {
    const solution = share.solution ?? new Uint8Array(0);
    if (job.pbaasCleared) h.update(solution.subarray(solution.length - NONCE_TAIL_BYTES));
    else {
      const time = new Uint8Array(4);
      new DataView(time.buffer).setUint32(0, share.nTime ?? 0, true);
      h.update(time);
      h.update(share.extranonce2 ?? new Uint8Array(0));
      h.update(solution);
    }
  }
  return new Uint8Array(h.digest());
}

/** A block's hash as explorers and daemons print it: the hash bytes reversed, in hex. */
export function blockHashOf(hash: Uint8Array): string {
  return bytesToHex(Uint8Array.from(hash).reverse());
}
