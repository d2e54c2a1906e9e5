// The bridge's own share rules (pure, on bytes): a WebSocket tail's checks, the template and
// tail-prefix checks on Stratum submits, the submit a forwarded share goes up as, and the
// pool-forwarding decision.

import { describe, expect, test } from "bun:test";
import type { Lease } from "../../src/bridge/contract.ts";
import {
  BRIDGE_REJECTS,
  countsAsInvalid,
  meetsPool,
  submitCheck,
  tailCheck,
  upstreamShareOf,
} from "../../src/bridge/verdict.ts";
import {
  bytesToHex,
  decodeNotify,
  Job,
  parseSubmit,
  rejectOf,
  type Accepted,
  type SubmitParams,
} from "../../src/protocol/index.ts";
import { NTIME, PREV_A, TEMPLATE } from "../upstream/helpers.ts";

const job = new Job(
  decodeNotify(null, [
    "1a",
    "04000100",
    PREV_A,
    "d3ebc41e45a65637bac6d76c52938aa601ee536d7fa6bb8fd055055d81ef05e3",
    "ce011889bdff3bbf86f6ad90f668ffba32fc432261dca49d95c5208606e251de",
    NTIME,
    "0562021b",
    true,
    TEMPLATE,
  ]),
);
const XN1 = Uint8Array.of(0x1f, 0xff, 0xff, 0xfe, 0x00, 0x07);
const tail = new Uint8Array(15);
tail.set(XN1);
tail[14] = 9;

describe("tailCheck (WebSocket shares)", () => {
  test("a tail starting with the session's xn1 passes", () => {
    expect(tailCheck(job, tail, XN1)).toBeNull();
  });

  test("a wrong tail size", () => {
    expect(tailCheck(job, new Uint8Array(16), XN1)).toEqual(rejectOf("nonce-size"));
  });

  test("xn1 not at the start of the tail → pool nonce missing; the previous lease's → stale (21)", () => {
    const moved = new Uint8Array(15);
    moved.set(XN1, 2);
    expect(tailCheck(job, moved, XN1)).toEqual(rejectOf("pool-nonce-missing"));
    const previous = Uint8Array.of(0x1f, 0xff, 0xff, 0xfe, 0x00, 0x03);
    const t = new Uint8Array(15);
    t.set(previous);
    expect(tailCheck(job, t, XN1, previous)).toEqual(rejectOf("job-not-found"));
    expect(tailCheck(job, t, XN1, null)).toEqual(rejectOf("pool-nonce-missing"));
  });
});

test("upstreamShareOf: the template with that tail, the lease id before a zero extranonce2", () => {
  const lease = { epoch: 3, idHex: "0007" } as Lease;
  const up = upstreamShareOf(job, { ...lease, extranonce1: XN1 }, { kind: "tail", jobId: job.id, tail });
  const p = job.submitParams("w", new Uint8Array(26), tail);
  expect(up).toEqual({
    epoch: 3,
    jobId: "1a",
    nTime: NTIME,
    extranonce2: "0007" + "00".repeat(26),
    solution: p.solution,
  });
  expect(up.solution.endsWith(bytesToHex(tail))).toBe(true);
});

describe("submitCheck (Stratum submits, parsed into bytes)", () => {
  const honest = job.submitParams("w", new Uint8Array(26), tail);
  const xn1 = bytesToHex(XN1);
  const check = (p: SubmitParams, previous: string | null = null) =>
    submitCheck(job, parseSubmit(p), xn1, previous);

  test("the job's template with the session's xn1 first in the tail passes (either case of hex)", () => {
    expect(check(honest)).toBeNull();
    const upper = honest.solution.slice(0, 100).toUpperCase() + honest.solution.slice(100);
    expect(check({ ...honest, solution: upper })).toBeNull();
  });

  test("any other template byte → template reject", () => {
    const i = 6 + 2 * 1000;
    const solution =
      honest.solution.slice(0, i) + (honest.solution[i] === "a" ? "b" : "a") + honest.solution.slice(i + 1);
    expect(check({ ...honest, solution })).toBe(BRIDGE_REJECTS.template);
  });

  test("xn1 not at the start of the tail → pool nonce missing", () => {
    const moved = new Uint8Array(15);
    moved.set(XN1, 2);
    expect(check(job.submitParams("w", new Uint8Array(26), moved))).toEqual(rejectOf("pool-nonce-missing"));
  });

  test("a tail of the session's previous lease is stale (21), not invalid", () => {
    const previous = Uint8Array.of(0x1f, 0xff, 0xff, 0xfe, 0x00, 0x03);
    const t = new Uint8Array(15);
    t.set(previous);
    const p = job.submitParams("w", new Uint8Array(26), t);
    expect(check(p, bytesToHex(previous))).toEqual(rejectOf("job-not-found"));
    expect(check(p, null)).toEqual(rejectOf("pool-nonce-missing"));
  });

  test("malformed submits are left to the pools' field checks and their texts", () => {
    expect(check({ ...honest, solution: honest.solution.slice(2) })).toBeNull();
    expect(check({ ...honest, solution: "fd4005" + "06000000" + honest.solution.slice(14) })).toBeNull();
    expect(check({ ...honest, solution: honest.solution.slice(0, -1) + "g" })).toBeNull();
  });
});

test("meetsPool: the pool's 1 % tolerance, or a block candidate", () => {
  const v = (shareDifficulty: number, blockCandidate = false) =>
    ({ shareDifficulty, blockCandidate }) as Accepted;
  expect(meetsPool(v(0.0099), 0.01)).toBe(true);
  expect(meetsPool(v(0.0098), 0.01)).toBe(false);
  expect(meetsPool(v(0.0001, true), 0.01)).toBe(true);
});

test("countsAsInvalid: stale work and the bridge's own rejects do not", () => {
  expect(countsAsInvalid(rejectOf("duplicate"))).toBe(true);
  expect(countsAsInvalid(rejectOf("job-not-found"))).toBe(false);
  expect(countsAsInvalid(BRIDGE_REJECTS.rateLimited)).toBe(false);
  expect(countsAsInvalid(BRIDGE_REJECTS.closing)).toBe(false);
  expect(countsAsInvalid(BRIDGE_REJECTS.template)).toBe(true);
});
