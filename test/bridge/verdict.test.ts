// The bridge's own share rules (pure): rebuilding a WebSocket tail share, the template and
// tail-prefix checks on Stratum submits, and the pool-forwarding decision.

import { describe, expect, test } from "bun:test";
import { BRIDGE_REJECTS, bridgeCheck, countsAsInvalid, meetsPool, submitParamsOf } from "../../src/bridge/verdict.ts";
import { bytesToHex, decodeNotify, Job, rejectOf, type Accepted } from "../../src/protocol/index.ts";
import { NTIME, PREV_A, TEMPLATE } from "../upstream/helpers.ts";

const job = new Job(
  decodeNotify(null, ["1a", "04000100", PREV_A, "d3ebc41e45a65637bac6d76c52938aa601ee536d7fa6bb8fd055055d81ef05e3", "ce011889bdff3bbf86f6ad90f668ffba32fc432261dca49d95c5208606e251de", NTIME, "0562021b", true, TEMPLATE]),
);
const XN1 = Uint8Array.of(0x1f, 0xff, 0xff, 0xfe, 0x00, 0x07);
const tail = new Uint8Array(15);
tail.set(XN1);
tail[14] = 9;

describe("submitParamsOf", () => {
  test("a tail becomes the template with that tail and a zero extranonce2", () => {
    const p = submitParamsOf({ kind: "tail", jobId: "1a", tail }, job, "RA.w", 26);
    expect(p).toMatchObject({ worker: "RA.w", jobId: "1a", nTime: NTIME, extranonce2: "00".repeat(26) });
    expect("solution" in p && p.solution.endsWith(bytesToHex(tail))).toBe(true);
    expect(bridgeCheck(job, p as never, bytesToHex(XN1))).toBeNull();
  });

  test("a wrong tail size or an unknown job", () => {
    expect(submitParamsOf({ kind: "tail", jobId: "1a", tail: new Uint8Array(16) }, job, "w", 26)).toEqual(rejectOf("nonce-size"));
    expect(submitParamsOf({ kind: "tail", jobId: "zz", tail }, undefined, "w", 26)).toEqual(rejectOf("job-not-found"));
  });

  test("a Stratum submit passes through verbatim", () => {
    const s = { kind: "submit" as const, jobId: "1a", nTime: "x", extranonce2: "y", solution: "z" };
    expect(submitParamsOf(s, job, "w", 26)).toEqual({ worker: "w", jobId: "1a", nTime: "x", extranonce2: "y", solution: "z" });
  });
});

describe("bridgeCheck", () => {
  const honest = job.submitParams("w", new Uint8Array(26), tail);
  const xn1 = bytesToHex(XN1);

  test("the job's template with the session's xn1 first in the tail passes (either case of hex)", () => {
    expect(bridgeCheck(job, honest, xn1)).toBeNull();
    const upper = honest.solution.slice(0, 100).toUpperCase() + honest.solution.slice(100);
    expect(bridgeCheck(job, { ...honest, solution: upper }, xn1)).toBeNull();
  });

  test("any other template byte → template reject", () => {
    const i = 6 + 2 * 1000;
    const solution = honest.solution.slice(0, i) + (honest.solution[i] === "a" ? "b" : "a") + honest.solution.slice(i + 1);
    expect(bridgeCheck(job, { ...honest, solution }, xn1)).toBe(BRIDGE_REJECTS.template);
  });

  test("xn1 not at the start of the tail → pool nonce missing", () => {
    const moved = new Uint8Array(15);
    moved.set(XN1, 2);
    expect(bridgeCheck(job, job.submitParams("w", new Uint8Array(26), moved), xn1)).toEqual(rejectOf("pool-nonce-missing"));
  });

  test("a tail of the session's previous lease is stale (21), not invalid", () => {
    const previous = Uint8Array.of(0x1f, 0xff, 0xff, 0xfe, 0x00, 0x03);
    const t = new Uint8Array(15);
    t.set(previous);
    const p = job.submitParams("w", new Uint8Array(26), t);
    expect(bridgeCheck(job, p, xn1, bytesToHex(previous))).toEqual(rejectOf("job-not-found"));
    expect(bridgeCheck(job, p, xn1, null)).toEqual(rejectOf("pool-nonce-missing"));
  });

  test("malformed submits are left to validateShare and its pool texts", () => {
    expect(bridgeCheck(job, { ...honest, solution: honest.solution.slice(2) }, xn1)).toBeNull();
    expect(bridgeCheck(job, { ...honest, solution: "fd4005" + "06000000" + honest.solution.slice(14) }, xn1)).toBeNull();
    expect(bridgeCheck(job, { ...honest, solution: honest.solution.slice(0, -1) + "g" }, xn1)).toBeNull();
  });
});

test("meetsPool: the pool's 1 % tolerance, or a block candidate", () => {
  const v = (shareDifficulty: number, blockCandidate = false) => ({ shareDifficulty, blockCandidate }) as Accepted;
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
