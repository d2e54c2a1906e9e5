// work.ts — what the browser miner hashes: the 1487-byte input built from a job frame exactly as
// docs/protocol.md §2 says, and the nonce chunks the page hands to its Web Workers. Pure (bytes
// in, bytes out), so bun tests check it without a browser.
//
// Nonce space of one job: tail bytes prefix.length..14 (the prefix is the session's own, so other
// miners never overlap). vh_scan counts a u32 in tail bytes 11..14; the page cuts that counter into
// chunks of 2^24 nonces (≈ 30 s of one worker) and gives every worker its own chunk, one at a
// time, so no two workers — nor a Stop and Start on the same job — ever hash the same nonce. Past
// 256 chunks, tail byte 10 carries the chunk's high bits (when the prefix leaves it free).

import {
  HASH_INPUT_BYTES,
  HEADER_HEAD_BYTES,
  NONCE_OFFSET,
  NONCE_TAIL_BYTES,
  NONCE_TAIL_OFFSET,
  SOLUTION_BYTES,
  SOLUTION_COMPACT_SIZE,
  SOLUTION_OFFSET,
  SOLUTION_SIZE_OFFSET,
  TAIL_COUNTER_OFFSET,
} from "../src/protocol/layout.ts";
import type { MsgpackJob } from "../src/protocol/ws-msgpack.ts";

const EXTRA_AT = TAIL_COUNTER_OFFSET - 1; // the chunk's bits above vh_scan's u32 counter
export const CHUNK_BITS = 24;
export const CHUNK_NONCES = 2 ** CHUNK_BITS;
const CHUNKS_PER_COUNTER = 2 ** (32 - CHUNK_BITS);

/** header 0..107 ‖ nNonce = prefix ‖ zeros ‖ fd 40 05 ‖ solution (zero-padded) — tail = prefix ‖ zeros. */
export function buildInput(job: MsgpackJob): Uint8Array {
  if (job.head.length !== HEADER_HEAD_BYTES)
    throw new RangeError(`job header is ${job.head.length} bytes, not ${HEADER_HEAD_BYTES}`);
  if (job.solution.length > SOLUTION_BYTES)
    throw new RangeError(`solution template is ${job.solution.length} bytes`);
  if (job.prefix.length < 1 || job.prefix.length >= NONCE_TAIL_BYTES)
    throw new RangeError(`prefix is ${job.prefix.length} bytes`);
  const input = new Uint8Array(HASH_INPUT_BYTES);
  input.set(job.head, 0);
  input.set(job.prefix, NONCE_OFFSET);
  input.set(SOLUTION_COMPACT_SIZE, SOLUTION_SIZE_OFFSET);
  input.set(job.solution, SOLUTION_OFFSET);
  input.fill(0, NONCE_TAIL_OFFSET);
  input.set(job.prefix, NONCE_TAIL_OFFSET);
  return input;
}

/** How many chunks a job has: 256 of the counter, times 256 more when tail byte 10 is free. */
export function chunkCount(prefixLength: number): number {
  return prefixLength <= EXTRA_AT ? CHUNKS_PER_COUNTER * 256 : CHUNKS_PER_COUNTER;
}

/** The tail a worker scans for `chunk` (counter bytes left for vh_scan) and its counter range. */
export function chunkWork(
  input: Uint8Array,
  prefixLength: number,
  chunk: number,
): { tail: Uint8Array; start: number; count: number } {
  if (!Number.isInteger(chunk) || chunk < 0 || chunk >= chunkCount(prefixLength))
    throw new RangeError(`no chunk ${chunk}`);
  const tail = input.slice(NONCE_TAIL_OFFSET, NONCE_TAIL_OFFSET + NONCE_TAIL_BYTES);
  if (prefixLength <= EXTRA_AT) tail[EXTRA_AT] = Math.floor(chunk / CHUNKS_PER_COUNTER);
  return { tail, start: (chunk % CHUNKS_PER_COUNTER) * CHUNK_NONCES, count: CHUNK_NONCES };
}

/** The full tail of a found nonce: the scanned tail with the counter written in. */
export function tailWithCounter(tail: Uint8Array, counter: number): Uint8Array {
  const t = tail.slice();
  new DataView(t.buffer, t.byteOffset, t.byteLength).setUint32(TAIL_COUNTER_OFFSET, counter, true);
  return t;
}

/** What a share frame carries (`n`): the tail bytes after the prefix. */
export function shareNonce(tail: Uint8Array, prefixLength: number): Uint8Array {
  return tail.slice(prefixLength);
}
