// The job table: validity (clean drops, eviction, id reuse) and the bounded duplicate sets.

import { describe, expect, test } from "bun:test";
import { Job } from "../../src/protocol/job.ts";
import { NOTIFY, type Notify } from "../../src/protocol/notify.ts";
import { JobTable } from "../../src/pool/jobs.ts";

/** A duplicate key as the table takes it: bytes. */
const key = (s: string) => new TextEncoder().encode(s);

function job(id: string): Job {
  const n: Notify = {
    method: NOTIFY,
    id: null,
    jobId: id,
    version: "04000100",
    prevHash: "11".repeat(32),
    merkleRoot: "22".repeat(32),
    finalSaplingRoot: "33".repeat(32),
    nTime: "c82b016b",
    nBits: "0562021b",
    cleanJobs: false,
    solution: "0700000001010400",
  };
  return new Job(n);
}

describe("validity", () => {
  test("jobs are found by id until a clean job drops them all", () => {
    const t = new JobTable();
    t.push(job("a"), true);
    t.push(job("b"), false);
    expect(t.get("a")?.id).toBe("a");
    expect(t.get("b")?.id).toBe("b");
    expect(t.get("c")).toBeUndefined();
    t.push(job("c"), true);
    expect(t.get("a")).toBeUndefined();
    expect(t.get("b")).toBeUndefined();
    expect(t.get("c")?.id).toBe("c");
    expect(t.size).toBe(1);
  });

  test("past maxJobs the oldest is evicted", () => {
    const t = new JobTable({ maxJobs: 3 });
    for (const id of ["1", "2", "3", "4"]) t.push(job(id), false);
    expect(t.get("1")).toBeUndefined();
    expect(["2", "3", "4"].map((id) => t.get(id)?.id)).toEqual(["2", "3", "4"]);
    expect(t.size).toBe(3);
    expect(t.newest?.id).toBe("4");
  });

  test("a reused id (counters wrap) replaces the old job and its duplicates", () => {
    const t = new JobTable();
    const old = job("a");
    t.push(old, true);
    t.add("a", key("k"));
    const fresh = job("a");
    t.push(fresh, false);
    expect(t.get("a")).toBe(fresh);
    expect(t.add("a", key("k"))).toBe(true);
  });
});

describe("duplicates", () => {
  test("a key is new once per job", () => {
    const t = new JobTable();
    t.push(job("a"), true);
    t.push(job("b"), false);
    expect(t.add("a", key("k1"))).toBe(true);
    expect(t.add("a", key("k1"))).toBe(false);
    expect(t.add("a", key("k2"))).toBe(true);
    expect(t.add("b", key("k1"))).toBe(true);
    expect(t.sharesSeen("a")).toBe(2);
  });

  test("a job that reaches its cap is retired: invalid, memory freed, flagged when newest", () => {
    const t = new JobTable({ maxSharesPerJob: 3 });
    t.push(job("a"), true);
    expect([t.add("a", key("1")), t.add("a", key("2"))]).toEqual([true, true]);
    expect(t.newestRetired).toBe(false);
    expect(t.add("a", key("3"))).toBe(true); // the share that fills the cap still counts
    expect(t.get("a")).toBeUndefined();
    expect(t.newestRetired).toBe(true);
    expect(t.sharesSeen("a")).toBe(0);
    expect(t.size).toBe(0);
    t.push(job("b"), false);
    expect(t.newestRetired).toBe(false);
  });

  test("checking a job that is not valid is a programmer error", () => {
    const t = new JobTable({ maxSharesPerJob: 1 });
    expect(() => t.add("nope", key("k"))).toThrow(RangeError);
    t.push(job("a"), true);
    t.add("a", key("k"));
    expect(() => t.add("a", key("k2"))).toThrow(RangeError);
  });

  test("keys are stored as digests: long keys cost the same", () => {
    const t = new JobTable();
    t.push(job("a"), true);
    const long = "ab".repeat(1375);
    expect(t.add("a", key(long))).toBe(true);
    expect(t.add("a", key(long))).toBe(false);
    expect(t.add("a", key(long.slice(0, -1) + "c"))).toBe(true);
  });

  test("bad caps are E_POOL_OPTIONS", () => {
    expect(() => new JobTable({ maxJobs: 0 })).toThrow(expect.objectContaining({ code: "E_POOL_OPTIONS" }));
    expect(() => new JobTable({ maxSharesPerJob: 1.5 })).toThrow(
      expect.objectContaining({ code: "E_POOL_OPTIONS" }),
    );
  });
});
