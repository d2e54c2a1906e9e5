// The ledger's idempotency key (share-key.ts): the same share always gives the same key; anything
// that makes it another share — the session's extranonce1, the job id, the job's work (a reused id),
// the tail — gives another.

import { describe, expect, test } from "bun:test";
import { blockHashOf, shareKey } from "../../src/bridge/share-key.ts";
import { decodeNotify, Job } from "../../src/protocol/index.ts";
import { shareVectors } from "../protocol/fixtures.ts";
import { POOL_XN1, v7Job } from "./session-harness.ts";

const tail = (n: number) => Uint8Array.of(...POOL_XN1, 0, 1, ...new Array(9).fill(n));
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("shareKey", () => {
  const xn1 = Uint8Array.of(...POOL_XN1, 0, 1);
  const job = v7Job("a1");
  const key = (j: Job, t: Uint8Array, x = xn1) => hex(shareKey(x, j, { kind: "tail", jobId: j.id, tail: t }));

  test("32 bytes, the same for the same share (a retried commit)", () => {
    expect(shareKey(xn1, job, { kind: "tail", jobId: job.id, tail: tail(1) })).toHaveLength(32);
    expect(key(job, tail(1))).toBe(key(v7Job("a1"), tail(1)));
  });

  test("another tail, session, job id or work under the same id: another key", () => {
    const keys = new Set([
      key(job, tail(1)),
      key(job, tail(2)),
      key(job, tail(1), Uint8Array.of(...POOL_XN1, 0, 2)),
      key(v7Job("a2"), tail(1)),
    ]);
    // The pool restarted and reused id "a1" for new work (another nTime).
    const params = [...shareVectors()[2]!.notifyParams];
    params[0] = "a1";
    params[5] = "00000000";
    keys.add(key(new Job(decodeNotify(null, params)), tail(1)));
    expect(keys.size).toBe(5);
  });

  test("a Stratum submit on a PBaaS-cleared job is keyed on its tail, as the duplicate check is", () => {
    const solution = new Uint8Array(1347);
    solution.set(tail(1), solution.length - 15);
    const submit = (extranonce2: number) =>
      hex(
        shareKey(xn1, job, {
          kind: "solution",
          jobId: job.id,
          nTime: job.nTime,
          nTimeReject: null,
          extranonce2: Uint8Array.of(extranonce2),
          extranonce2Chars: 2,
          solution,
          solutionChars: solution.length * 2,
          versionText: "",
          tailText: "",
        }),
      );
    expect(job.pbaasCleared).toBe(true);
    expect(submit(1)).toBe(submit(2));
    expect(submit(1)).toBe(key(job, tail(1)));
  });
});

test("blockHashOf: the hash bytes reversed, as explorers print it", () => {
  expect(blockHashOf(Uint8Array.of(1, 2, 3, ...new Array(29).fill(0)))).toBe("00".repeat(29) + "030201");
});
