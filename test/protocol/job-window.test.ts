// The job window: the one eviction policy of the four job tables (clean drops, arrival-order
// eviction, re-sent ids), with a payload per job.

import { describe, expect, test } from "bun:test";
import { JOBS_KEPT, JobWindow } from "../../src/protocol/job-window.ts";

const ids = (w: JobWindow<string>, all: string[]) => all.map((id) => w.has(id));

describe("JobWindow", () => {
  test("a clean job drops every other one; an unclean one keeps them", () => {
    const w = new JobWindow<string>();
    w.put("a", "A", true);
    w.put("b", "B");
    expect([w.get("a"), w.get("b"), w.get("c")]).toEqual(["A", "B", undefined]);
    w.put("c", "C", true);
    expect(ids(w, ["a", "b", "c"])).toEqual([false, false, true]);
    expect(w.size).toBe(1);
  });

  test("past the capacity the oldest by arrival is evicted", () => {
    const w = new JobWindow<string>(3);
    for (const id of ["1", "2", "3", "4"]) w.put(id, id);
    expect(ids(w, ["1", "2", "3", "4"])).toEqual([false, true, true, true]);
    expect([...w.values()]).toEqual(["2", "3", "4"]);
    expect(w.size).toBe(3);
  });

  test("a re-sent id (counters wrap) replaces its entry and becomes the newest", () => {
    const w = new JobWindow<string>(3);
    for (const id of ["a", "b", "c"]) w.put(id, `${id}1`);
    w.put("a", "a2");
    w.put("d", "d1");
    expect(ids(w, ["a", "b", "c", "d"])).toEqual([true, false, true, true]);
    expect([...w.values()]).toEqual(["c1", "a2", "d1"]);
  });

  test("clear drops everything", () => {
    const w = new JobWindow<number>();
    w.put("a", 1);
    w.clear();
    expect([w.size, w.has("a")]).toEqual([0, false]);
  });

  test("capacity: 32 unless given; a whole number >= 1", () => {
    expect(new JobWindow().capacity).toBe(JOBS_KEPT);
    expect(JOBS_KEPT).toBe(32);
    expect(() => new JobWindow(0)).toThrow(RangeError);
    expect(() => new JobWindow(1.5)).toThrow(RangeError);
  });
});
