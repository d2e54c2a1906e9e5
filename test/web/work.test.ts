// web/work.ts: the browser miner's hash input must be byte for byte what the bridge rebuilds from
// a share (docs/protocol.md §2; the bridge assembles it with src/protocol/pbaas.ts), and the chunks
// it hands its workers must never overlap.

import { describe, expect, test } from "bun:test";
import { assembleInput } from "../../src/protocol/pbaas.ts";
import type { MsgpackJob } from "../../src/protocol/ws-msgpack.ts";
import { HASH_INPUT_BYTES, NONCE_TAIL_OFFSET } from "../../src/protocol/layout.ts";
import {
  buildInput,
  CHUNK_NONCES,
  chunkCount,
  chunkWork,
  shareNonce,
  tailWithCounter,
} from "../../web/work.ts";

const bytes = (n: number, from: number) => Uint8Array.from({ length: n }, (_, i) => (from + i * 7) & 0xff);

function job(prefixLength = 6, solutionLength = 124): MsgpackJob {
  return {
    jobId: "ced4",
    clean: true,
    head: bytes(108, 1),
    solution: bytes(solutionLength, 50),
    prefix: bytes(prefixLength, 200),
    target: new Uint8Array(32).fill(0xff),
    difficulty: 1,
  };
}

describe("buildInput", () => {
  test("header ‖ prefix ‖ zeros ‖ fd4005 ‖ padded template whose tail is prefix ‖ zeros, as the bridge assembles it", () => {
    const j = job();
    const header = new Uint8Array(140);
    header.set(j.head);
    header.set(j.prefix, 108);
    const solution = new Uint8Array(1344);
    solution.set(j.solution);
    solution.fill(0, 1329);
    solution.set(j.prefix, 1329);
    expect(buildInput(j)).toEqual(assembleInput(header, solution));
    expect(buildInput(j).length).toBe(HASH_INPUT_BYTES);
  });

  test("a template that reaches into the tail has its tail replaced", () => {
    const j = job(6, 1344);
    const input = buildInput(j);
    expect(input.subarray(NONCE_TAIL_OFFSET, NONCE_TAIL_OFFSET + 6)).toEqual(j.prefix);
    expect(input.subarray(NONCE_TAIL_OFFSET + 6)).toEqual(new Uint8Array(9));
  });

  test("impossible shapes are refused", () => {
    expect(() => buildInput({ ...job(), head: new Uint8Array(107) })).toThrow(RangeError);
    expect(() => buildInput({ ...job(), solution: new Uint8Array(1345) })).toThrow(RangeError);
    expect(() => buildInput(job(15))).toThrow(RangeError);
  });
});

describe("chunks", () => {
  const input = buildInput(job());

  test("256 chunks of the u32 counter, then tail byte 10 counts further", () => {
    expect(chunkWork(input, 6, 0)).toMatchObject({ start: 0, count: CHUNK_NONCES });
    expect(chunkWork(input, 6, 255).start).toBe(255 * CHUNK_NONCES);
    expect(chunkWork(input, 6, 255).start + CHUNK_NONCES).toBe(2 ** 32);
    expect(chunkWork(input, 6, 256).start).toBe(0);
    expect(chunkWork(input, 6, 256).tail[10]).toBe(1);
    expect(chunkWork(input, 6, 0).tail[10]).toBe(0);
    expect(chunkCount(6)).toBe(65536);
  });

  test("a prefix that covers tail byte 10 leaves 256 chunks; beyond is refused", () => {
    const long = buildInput(job(11));
    expect(chunkCount(11)).toBe(256);
    expect(chunkWork(long, 11, 255).tail.subarray(0, 11)).toEqual(bytes(11, 200));
    expect(() => chunkWork(long, 11, 256)).toThrow(RangeError);
  });

  test("the tail keeps the prefix; a found counter lands in tail bytes 11..14; a share carries the rest", () => {
    const { tail } = chunkWork(input, 6, 300);
    const found = tailWithCounter(tail, 0x12345678);
    expect(found.subarray(0, 6)).toEqual(bytes(6, 200));
    expect(Array.from(found.subarray(10))).toEqual([1, 0x78, 0x56, 0x34, 0x12]);
    expect(Array.from(tail.subarray(11))).toEqual([0, 0, 0, 0]); // the scanned tail is not changed
    const n = shareNonce(found, 6);
    expect(n.length).toBe(9);
    expect(Array.from(n)).toEqual([0, 0, 0, 0, 1, 0x78, 0x56, 0x34, 0x12]);
  });
});
