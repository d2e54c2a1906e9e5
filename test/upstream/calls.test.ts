import { describe, expect, test } from "bun:test";
import { CallTable } from "../../src/upstream/calls.ts";
import type { Submission } from "../../src/upstream/submits.ts";

const sub = (token: number): Submission<number> => ({
  token,
  share: { epoch: 1, jobId: "j", nTime: "00000000", extranonce2: "00", solution: "fd4005" },
});

describe("CallTable", () => {
  test("ids are ours and monotonic; a response is matched by id once (numbers or digit strings)", () => {
    const t = new CallTable<number>();
    expect([t.open("subscribe", 10), t.open("authorize", 20), t.openSubmit(sub(7), 30)]).toEqual([1, 2, 3]);
    expect(t.take("3")).toMatchObject({ kind: "submit", submission: { token: 7 } });
    expect(t.take(3)).toBeUndefined();
    expect(t.take(null)).toBeUndefined();
    expect(t.take("x1")).toBeUndefined();
    expect(t.take(1)?.kind).toBe("subscribe");
  });

  test("deadlines: the earliest first; expired ones leave the table; null never expires", () => {
    const t = new CallTable<number>();
    t.open("extranonce.subscribe", null);
    t.openSubmit(sub(1), 300);
    t.open("authorize", 100);
    expect(t.nextDeadline()).toBe(100);
    expect(t.expired(99)).toEqual([]);
    expect(t.expired(300).map((c) => c.id)).toEqual([2, 3]);
    expect(t.nextDeadline()).toBeNull();
    expect(t.expired(Number.MAX_SAFE_INTEGER)).toEqual([]);
  });

  test("clear returns the submissions in flight, in send order", () => {
    const t = new CallTable<number>();
    t.openSubmit(sub(1), 1);
    t.open("authorize", 1);
    t.openSubmit(sub(2), 1);
    expect(t.clear().map((s) => s.token)).toEqual([1, 2]);
    expect(t.nextDeadline()).toBeNull();
  });
});
