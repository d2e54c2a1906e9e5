import { describe, expect, test } from "bun:test";
import { SubmitQueue, type Submission } from "../../src/upstream/submits.ts";

const sub = (n: number): Submission<number> => ({
  token: n,
  share: {
    epoch: 1,
    jobId: n % 2 ? "odd" : "even",
    nTime: "00000000",
    extranonce2: "00",
    solution: "fd4005",
  },
});

describe("SubmitQueue", () => {
  test("at most maxInFlight taken; order kept; release frees a slot", () => {
    const q = new SubmitQueue<number>(3, 100);
    for (let i = 0; i < 6; i++) expect(q.push(sub(i))).toBe(true);
    const taken: number[] = [];
    while (q.canSend) taken.push(q.take().token);
    expect(taken).toEqual([0, 1, 2]);
    expect([q.inFlight, q.waiting]).toEqual([3, 3]);
    q.release();
    expect(q.take().token).toBe(3);
    expect(q.canSend).toBe(false);
  });

  test("the waiting list is capped", () => {
    const q = new SubmitQueue<number>(1, 2);
    expect([q.push(sub(0)), q.push(sub(1)), q.push(sub(2))]).toEqual([true, true, false]);
  });

  test("removeWhere keeps the order of the rest; clear empties everything", () => {
    const q = new SubmitQueue<number>(1, 100);
    for (let i = 0; i < 7; i++) q.push(sub(i));
    q.take();
    expect(q.removeWhere((s) => s.share.jobId === "odd").map((s) => s.token)).toEqual([1, 3, 5]);
    expect(q.clear().map((s) => s.token)).toEqual([2, 4, 6]);
    expect([q.inFlight, q.waiting]).toEqual([0, 0]);
  });

  test("a long run does not grow the backing array without bound", () => {
    const q = new SubmitQueue<number>(3, 10);
    for (let i = 0; i < 10_000; i++) {
      q.push(sub(i));
      if (q.canSend) q.take();
      if (q.inFlight === 3) q.release();
    }
    expect(q.waiting).toBeLessThanOrEqual(10);
  });

  test("misuse is a RangeError", () => {
    const q = new SubmitQueue<number>(1, 1);
    expect(() => q.take()).toThrow(RangeError);
    expect(() => q.release()).toThrow(RangeError);
    expect(() => new SubmitQueue(0, 1)).toThrow(RangeError);
  });
});
