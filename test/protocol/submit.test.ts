// A mining.submit in bytes (submit.ts) and the tail path of validate.ts: the parse keeps the texts
// the pools compare as text, never rejects by itself, and the field checks come in the pools' order
// once the job is known; a WebSocket tail gets the verdict its forwarded submit would get.

import { describe, expect, test } from "bun:test";
import { bytesToHex, hexToBytes } from "../../src/protocol/hex.ts";
import { Job } from "../../src/protocol/job.ts";
import { NONCE_TAIL_BYTES, SUBMITTED_SOLUTION_HEX_CHARS } from "../../src/protocol/layout.ts";
import { decodeNotify } from "../../src/protocol/notify.ts";
import { rejectOf } from "../../src/protocol/reject.ts";
import { parseSubmit, submitReject } from "../../src/protocol/submit.ts";
import { targetFromHex, targetToDifficulty } from "../../src/protocol/target.ts";
import {
  validateShare,
  validateSubmit,
  validateTail,
  type DuplicateSet,
  type JobShareCheck,
  type ShareHashers,
} from "../../src/protocol/validate.ts";
import { shareVectors } from "./fixtures.ts";

const shares = shareVectors();
const s = shares[2]!; // ccminer 3.8.3, v7 + 1 PBaaS header
const job = new Job(decodeNotify(null, s.notifyParams));
const [, jobId, nTime, extranonce2, solution] = s.submitParams as [string, string, string, string, string];
const submit = { jobId, nTime, extranonce2, solution };

describe("parseSubmit", () => {
  test("an honest submit: its bytes, and the version and tail texts as sent", () => {
    const b = parseSubmit(submit);
    expect(b.kind).toBe("solution");
    expect(b.nTime).toBe(job.nTime);
    expect(b.nTimeReject).toBeNull();
    expect(bytesToHex(b.extranonce2!)).toBe(extranonce2);
    expect(bytesToHex(b.solution!)).toBe(solution);
    expect(b.versionText).toBe(solution.slice(6, 14));
    expect(b.tailText).toBe(solution.slice(-2 * NONCE_TAIL_BYTES));
    expect(submitReject(b, job, s.extranonce1)).toBeNull();
  });

  test("never throws on malformed fields; the checks wait for the job, in the pools' order", () => {
    const bad = parseSubmit({ jobId, nTime: "zz", extranonce2: "x", solution: "y" });
    expect(bad.nTimeReject).toEqual(rejectOf("ntime-size"));
    expect(bad.extranonce2).toBeNull();
    expect(bad.solution).toBeNull();
    expect(submitReject(bad, job, s.extranonce1)).toEqual(rejectOf("ntime-size"));
    expect(submitReject(parseSubmit({ ...submit, nTime: "zzzzzzzz" }), job, s.extranonce1)).toEqual(
      rejectOf("ntime-invalid"),
    );
    // ntime value (3) before nonce size (4) before solution size (5)
    const late = { ...submit, extranonce2: extranonce2.slice(2), solution: solution.slice(2) };
    expect(submitReject(parseSubmit({ ...late, nTime: "00000000" }), job, s.extranonce1)).toEqual(
      rejectOf("ntime-out-of-range"),
    );
    expect(submitReject(parseSubmit(late), job, s.extranonce1)).toEqual(rejectOf("nonce-size"));
    expect(
      submitReject(parseSubmit({ ...submit, solution: solution.slice(2) }), job, s.extranonce1)?.message,
    ).toContain(`expected ${SUBMITTED_SOLUTION_HEX_CHARS}`);
    // version text (6) before hex (7): an uppercase version is another text
    const upper = solution.slice(0, 6) + solution.slice(6, 14).toUpperCase() + solution.slice(14);
    if (upper !== solution)
      expect(submitReject(parseSubmit({ ...submit, solution: upper }), job, s.extranonce1)?.code).toBe(20);
    expect(
      submitReject(parseSubmit({ ...submit, extranonce2: "g" + extranonce2.slice(1) }), job, s.extranonce1),
    ).toEqual(rejectOf("extranonce2-hex"));
    expect(
      submitReject(parseSubmit({ ...submit, solution: solution.slice(0, -1) + "g" }), job, s.extranonce1),
    ).toEqual(rejectOf("solution-hex"));
  });
});

describe("validateTail", () => {
  const known = new Map(shares.map((v) => [v.hashInput1487Hex, v.verusHash22_rawLE]));
  const hashers: ShareHashers = {
    hash22: (input) => hexToBytes(known.get(bytesToHex(input)) ?? "ff".repeat(32)),
    preHeaderHash: () => {
      throw new Error("miner rule only");
    },
  };
  const seen = new Set<string>();
  const dups: DuplicateSet = {
    add: (id, key) => (seen.has(id + bytesToHex(key)) ? false : (seen.add(id + bytesToHex(key)), true)),
  };
  const check = (): JobShareCheck => ({
    job,
    extranonce1: hexToBytes(s.extranonce1),
    extranonce1Hex: s.extranonce1,
    duplicates: dups,
    target: { difficulty: targetToDifficulty(targetFromHex(s.setTarget)) },
    hashers,
    rule: "miner",
  });

  test("a tail and the same share as a submit (zero extranonce2) get one verdict: cleared PBaaS bytes do not see the nonce", () => {
    const tail = hexToBytes(solution.slice(-2 * NONCE_TAIL_BYTES));
    const asTail = validateTail(check(), tail);
    seen.clear();
    const asSubmit = validateSubmit(
      check(),
      parseSubmit({ ...submit, extranonce2: "00".repeat(extranonce2.length / 2) }),
    );
    expect(asTail.ok).toBe(true);
    expect(asTail).toEqual(asSubmit);
    seen.clear();
    const recorded = validateShare({
      jobs: { get: (id) => (id === job.id ? job : undefined) },
      session: { authorized: true, extranonce1: s.extranonce1, duplicates: dups },
      submit: { worker: "w", ...submit },
      target: check().target,
      hashers,
      rule: "miner",
    });
    expect(recorded).toEqual(asTail);
  });

  test("a wrong size is nonce-size; a repeat is a duplicate", () => {
    seen.clear();
    expect(validateTail(check(), new Uint8Array(14))).toEqual({ ok: false, reject: rejectOf("nonce-size") });
    const tail = hexToBytes(solution.slice(-2 * NONCE_TAIL_BYTES));
    expect(validateTail(check(), tail).ok).toBe(true);
    expect(validateTail(check(), tail)).toEqual({ ok: false, reject: rejectOf("duplicate") });
  });
});
