import { describe, expect, test } from "bun:test";
import { bytesToHex, hexToBytes } from "../../src/protocol/hex.ts";
import { Job } from "../../src/protocol/job.ts";
import type { SubmitParams } from "../../src/protocol/miner-messages.ts";
import { decodeNotify } from "../../src/protocol/notify.ts";
import { MAX_TARGET, targetFromHex, targetToDifficulty } from "../../src/protocol/target.ts";
import {
  validateShare,
  type ClearingRule,
  type DuplicateSet,
  type ShareHashers,
  type Verdict,
} from "../../src/protocol/validate.ts";
import { rawclientTemplate, shareVectors, testPreHeaderHash, type ShareVector } from "./fixtures.ts";

const shares = shareVectors();
const FF = "f".repeat(64);

/** A VerusHash stand-in built from the recording: the recorded hash for the exact bytes the pool hashed, ff…ff otherwise. */
function recordedHashers(calls: string[] = []): ShareHashers {
  const known = new Map(shares.map((s) => [s.hashInput1487Hex, s.verusHash22_rawLE]));
  return {
    hash22(input) {
      const hex = bytesToHex(input);
      calls.push(known.has(hex) ? "known" : "unknown");
      return hexToBytes(known.get(hex) ?? FF);
    },
    preHeaderHash: testPreHeaderHash,
  };
}

class Dups implements DuplicateSet {
  readonly seen = new Set<string>();
  add(jobId: string, key: Uint8Array): boolean {
    const k = `${jobId}/${bytesToHex(key)}`;
    if (this.seen.has(k)) return false;
    this.seen.add(k);
    return true;
  }
}

interface Case {
  share?: ShareVector;
  submit?: Partial<SubmitParams>;
  extranonce1?: string | null;
  authorized?: boolean;
  difficulty?: number;
  previousDifficulty?: number | null;
  rule?: ClearingRule;
  job?: Job;
  hashers?: ShareHashers;
  dups?: Dups;
}

function submitOf(s: ShareVector): SubmitParams {
  const [worker, jobId, nTime, extranonce2, solution] = s.submitParams as [
    string,
    string,
    string,
    string,
    string,
  ];
  return { worker, jobId, nTime, extranonce2, solution };
}

function run(c: Case = {}): Verdict {
  const s = c.share ?? shares[0]!;
  const job = c.job ?? new Job(decodeNotify(null, s.notifyParams));
  return validateShare({
    jobs: { get: (id) => (id === job.id ? job : undefined) },
    session: {
      authorized: c.authorized ?? true,
      extranonce1: c.extranonce1 === undefined ? s.extranonce1 : c.extranonce1,
      duplicates: c.dups ?? new Dups(),
    },
    submit: { ...submitOf(s), ...c.submit },
    target: {
      difficulty: c.difficulty ?? targetToDifficulty(targetFromHex(s.setTarget)),
      previousDifficulty: c.previousDifficulty ?? null,
    },
    hashers: c.hashers ?? recordedHashers(),
    rule: c.rule ?? "miner",
  });
}

function rejectOf(v: Verdict) {
  if (v.ok) throw new Error("expected a reject, got an accept");
  return v.reject;
}

/** Replace hex characters [at, at + with.length) of s. */
const splice = (s: string, at: number, with_: string) => s.slice(0, at) + with_ + s.slice(at + with_.length);
const flipHex = (s: string, at: number) => splice(s, at, s[at] === "0" ? "1" : "0");

describe("the 5 real accepted shares are accepted (miner rule, as the bridge checks)", () => {
  test.each(shares.map((s, i) => [i, s.source, s] as const))("share %d: %s", (_, __, s) => {
    const calls: string[] = [];
    const v = run({ share: s, hashers: recordedHashers(calls) });
    expect(calls).toEqual(["known"]); // hashed exactly hashInput1487Hex, once
    if (!v.ok) throw new Error(v.reject.message);
    expect(bytesToHex(v.hash)).toBe(s.verusHash22_rawLE);
    expect(Math.trunc(v.shareDifficulty * 1e6) / 1e6).toBe(s.poolShareDiff);
    expect(v.creditedDifficulty).toBe(2);
    expect(v.blockCandidate).toBe(false);
    expect(v.job.id).toBe(s.jobId);
  });
});

describe("the pool rule (built-in pool: daemon nonce, pre-header checked)", () => {
  const nonce = hexToBytes(rawclientTemplate().nonce).reverse();
  const poolJob = (s: ShareVector, daemonNonce = nonce) =>
    new Job(decodeNotify(null, s.notifyParams), { daemonNonce });

  test("shares 0 and 1 with the recorded daemon nonce: pre-header matches, same cleared bytes, accepted", () => {
    for (const s of shares.slice(0, 2)) {
      const calls: string[] = [];
      const v = run({ share: s, rule: "pool", job: poolJob(s), hashers: recordedHashers(calls) });
      expect(v.ok).toBe(true);
      expect(calls).toEqual(["known"]);
    }
  });

  test("pre-PBaaS shares (v4, v6) use xn1 ‖ xn2 and need no daemon nonce", () => {
    for (const s of shares.slice(3)) expect(run({ share: s, rule: "pool" }).ok).toBe(true);
  });

  test("a wrong daemon nonce is a pre-header mismatch: ff…ff, low difficulty ≈ 2^-13", () => {
    const v = run({ rule: "pool", job: poolJob(shares[0]!, new Uint8Array(32)) });
    // 2^243 / (0xffffffffffff · 2^208): v-nomp keeps 12 hex digits of the hash.
    expect(rejectOf(v)).toEqual({
      code: 23,
      reason: "low-difficulty",
      message: "low difficulty share of 0.00012207031250000043",
      shareDifficulty: 0.00012207031250000043,
    });
    expect(v.ok === false && v.hash && bytesToHex(v.hash)).toBe(FF);
  });

  test("a changed MMR root: cleared away by the miner rule, caught by the pool rule", () => {
    const s = shares[0]!;
    const solution = flipHex(s.submitParams[4]!, 2 * (3 + 8)); // solution byte 8 = hashPrevMMRRoot
    expect(run({ submit: { solution } }).ok).toBe(true);
    expect(rejectOf(run({ submit: { solution }, rule: "pool", job: poolJob(s) })).code).toBe(23);
  });

  test("the pool rule without the job's daemon nonce is a programmer error", () => {
    expect(() => run({ rule: "pool" })).toThrow(TypeError);
  });
});

describe("a one-byte change to each share is rejected with the pool's code", () => {
  const pbaas = shares.filter((s) => s.pbaasCleared);
  test.each(shares.map((s, i) => [i, s] as const))("share %d", (_, s) => {
    const sub = submitOf(s);
    const tailAt = sub.solution.length - 2; // the counter's last byte, not extranonce1
    const code = (c: Case) => {
      const r = rejectOf(run({ share: s, ...c }));
      return `${r.code} ${r.reason}`;
    };
    expect(code({ submit: { nTime: flipHex(sub.nTime, 7) } })).toBe("20 ntime-out-of-range");
    expect(code({ submit: { jobId: sub.jobId + "0" } })).toBe("21 job-not-found");
    expect(code({ submit: { solution: flipHex(sub.solution, tailAt) } })).toBe("23 low-difficulty");
    expect(code({ submit: { solution: flipHex(sub.solution, 7) } })).toBe("20 solution-version");
    expect(code({ submit: { solution: flipHex(sub.solution, 2) } })).toBe("23 low-difficulty"); // fd4005 is hashed, not checked
    expect(code({ submit: { extranonce2: sub.extranonce2.slice(2) } })).toBe("20 nonce-size");
    expect(code({ submit: { solution: sub.solution.slice(2) } })).toBe("20 solution-size");
    if (s.pbaasCleared) {
      expect(code({ submit: { solution: flipHex(sub.solution, sub.solution.length - 30) } })).toBe(
        "20 pool-nonce-missing",
      );
      expect(code({ extranonce1: "1ffffff8" })).toBe("20 pool-nonce-missing"); // stale work after a reconnect
    } else {
      expect(code({ extranonce1: "1ffffff8" })).toBe("23 low-difficulty"); // the header nonce is hashed
    }
  });

  test("on PBaaS jobs the header nonce is cleared: another extranonce2 with the same tail hashes the same", () => {
    for (const s of pbaas) expect(run({ share: s, submit: { extranonce2: "ab".repeat(28) } }).ok).toBe(true);
  });
});

describe("reject texts are the pool's (verus-stratum.md §3.7)", () => {
  const s = shares[0]!;
  const sub = submitOf(s);
  test.each([
    [{ authorized: false }, 24, "unauthorized worker"],
    [{ extranonce1: null }, 25, "not subscribed"],
    [{ submit: { jobId: "deadbeef" } }, 21, "job not found"],
    [{ submit: { jobId: "" } }, 21, "job not found"],
    [{ submit: { nTime: "c82b016" } }, 20, "incorrect size of ntime"],
    [{ submit: { nTime: "c82b016g" } }, 20, "invalid ntime"],
    [{ submit: { nTime: "c92b016b" } }, 20, "ntime out of range"],
    [{ submit: { extranonce2: sub.extranonce2 + "00" } }, 20, "incorrect size of nonce"],
    [
      { submit: { solution: sub.solution.slice(6) } },
      20,
      "Error: Incorrect size of solution (2688), expected 2694",
    ],
    [
      { submit: { solution: splice(sub.solution, 6, "06") } },
      20,
      "invalid solution version (06000000), expected 07000000",
    ],
    [{ submit: { extranonce2: splice(sub.extranonce2, 0, "zz") } }, 20, "invalid hex in extraNonce2"],
    [{ submit: { solution: splice(sub.solution, 500, "xy") } }, 20, "invalid hex in solution"],
    [
      { submit: { solution: splice(sub.solution, sub.solution.length - 30, "00000000") } },
      20,
      "invalid solution, pool nonce missing",
    ],
  ] as [Case, number, string][])("%j → %d %s", (c, code, message) => {
    const r = rejectOf(run(c));
    expect([r.code, r.message]).toEqual([code, message]);
  });

  test("uppercase hex: the same share (duplicate key lowercased), but the pool's extranonce1 test is case-sensitive", () => {
    const upper = (x: ShareVector) => {
      const s = submitOf(x);
      return {
        nTime: s.nTime.toUpperCase(),
        extranonce2: s.extranonce2.toUpperCase(),
        solution: s.solution.toUpperCase(),
      };
    };
    const dups = new Dups();
    expect(run({ share: shares[3]!, dups, submit: upper(shares[3]!) }).ok).toBe(true); // v4: no extranonce1 test
    expect(rejectOf(run({ share: shares[3]!, dups })).message).toBe("duplicate share");
    expect(rejectOf(run({ submit: upper(s) })).reason).toBe("pool-nonce-missing"); // v7
  });
});

describe("order of the checks (verus-stratum.md §5)", () => {
  const sub = submitOf(shares[0]!);
  const first = (c: Case) => rejectOf(run(c)).reason;
  test("each earlier check wins over every later one", () => {
    const all: Case = {
      authorized: false,
      extranonce1: null,
      submit: { jobId: "nope", nTime: "1", extranonce2: "zz", solution: "fd4005" },
    };
    expect(first(all)).toBe("unauthorized");
    expect(first({ ...all, authorized: true })).toBe("not-subscribed");
    expect(first({ ...all, authorized: true, extranonce1: "1ffffffe" })).toBe("job-not-found");
    const known = {
      ...all,
      authorized: true,
      extranonce1: "1ffffffe",
      submit: { ...all.submit, jobId: sub.jobId },
    };
    expect(first(known)).toBe("ntime-size");
    expect(first({ ...known, submit: { ...known.submit, nTime: sub.nTime } })).toBe("nonce-size");
    expect(
      first({ ...known, submit: { ...known.submit, nTime: sub.nTime, extranonce2: "zz".repeat(28) } }),
    ).toBe("solution-size");
    const sized = {
      ...known,
      submit: {
        ...known.submit,
        nTime: sub.nTime,
        extranonce2: "zz".repeat(28),
        solution: splice(sub.solution, 6, "06"),
      },
    };
    expect(first(sized)).toBe("solution-version");
    expect(first({ ...sized, submit: { ...sized.submit, solution: sub.solution } })).toBe("extranonce2-hex");
  });

  test("duplicates are registered before the pool-nonce check, as the pool does", () => {
    const dups = new Dups();
    const solution = splice(sub.solution, sub.solution.length - 30, "00000000");
    expect(rejectOf(run({ dups, submit: { solution } })).reason).toBe("pool-nonce-missing");
    expect(rejectOf(run({ dups, submit: { solution } })).reason).toBe("duplicate");
  });

  test("checks that fail before the duplicate step do not register the share", () => {
    const dups = new Dups();
    expect(rejectOf(run({ dups, submit: { nTime: "c92b016b" } })).reason).toBe("ntime-out-of-range");
    expect(dups.seen.size).toBe(0);
  });
});

describe("difficulty (pool steps 11–12)", () => {
  const s = shares[1]!; // share difficulty 2.078344168294763 as v-nomp computes it
  test("the 1 % tolerance", () => {
    expect(run({ share: s, difficulty: 2.09 }).ok).toBe(true); // 0.9944
    expect(rejectOf(run({ share: s, difficulty: 2.1 }))).toEqual({
      code: 23,
      reason: "low-difficulty",
      message: "low difficulty share of 2.078344168294763",
      shareDifficulty: 2.078344168294763,
    });
  });

  test("right after a vardiff change, the previous difficulty still counts", () => {
    const v = run({ share: s, difficulty: 4, previousDifficulty: 2 });
    expect(v.ok && v.creditedDifficulty).toBe(2);
    expect(rejectOf(run({ share: s, difficulty: 4, previousDifficulty: 3 })).code).toBe(23);
  });

  test("a block candidate is accepted whatever the share difficulty", () => {
    const job = new Job(decodeNotify(null, s.notifyParams), { blockTarget: MAX_TARGET });
    const v = run({ share: s, job, difficulty: 1e12 });
    expect(v.ok && v.blockCandidate).toBe(true);
  });
});

describe("hash dispatch", () => {
  const s = shares[3]!; // template "04": rewrite it as a solution-version-3 job
  const job = new Job(decodeNotify(null, [...s.notifyParams.slice(0, 8), "03"]));
  const solution = splice(s.submitParams[4]!, 6, "03");

  test("solution version 3 goes to VerusHash 2.1 on the raw bytes", () => {
    let seen = "";
    const hashers: ShareHashers = {
      hash22: () => {
        throw new Error("2.2 must not be used");
      },
      hash21: (input) => {
        seen = bytesToHex(input);
        return new Uint8Array(32);
      },
      preHeaderHash: testPreHeaderHash,
    };
    expect(run({ share: s, job, submit: { solution }, hashers }).ok).toBe(true);
    expect(seen).toBe(s.header140Hex_asMinerBuiltIt + solution);
  });

  test("without a 2.1 hasher such shares are rejected, coded", () => {
    expect(rejectOf(run({ share: s, job, submit: { solution } }))).toMatchObject({
      code: 20,
      reason: "unsupported-version",
    });
  });

  test("a session extranonce1 that is not lowercase hex is a programmer error", () => {
    for (const extranonce1 of ["", "1FFFFFFE", "1ffffff", "zz", "00".repeat(32)])
      expect(() => run({ extranonce1 })).toThrow(TypeError);
  });

  test("a hasher returning the wrong size is a programmer error", () => {
    expect(() =>
      run({ hashers: { hash22: () => new Uint8Array(31), preHeaderHash: testPreHeaderHash } }),
    ).toThrow(RangeError);
  });

  test("deterministic: the same inputs give the same verdict", () => {
    expect(run()).toEqual(run());
  });
});
