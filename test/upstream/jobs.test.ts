import { describe, expect, test } from "bun:test";
import { decodeFromPool, type Notify } from "../../src/protocol/index.ts";
import { JobBook } from "../../src/upstream/jobs.ts";
import { notifyLine, PREV_A, PREV_B } from "./helpers.ts";

const notify = (id: string, clean: boolean, prev = PREV_A) =>
  decodeFromPool(notifyLine(id, clean, prev)) as Notify;

describe("JobBook", () => {
  test("first job clean; clean=true drops the others; clean=false keeps them", () => {
    const b = new JobBook();
    expect(b.accept(notify("a", false)).clean).toBe(true);
    expect(b.accept(notify("b", false)).clean).toBe(false);
    expect([b.has("a"), b.has("b")]).toEqual([true, true]);
    expect(b.accept(notify("c", true)).clean).toBe(true);
    expect([b.has("a"), b.has("b"), b.has("c"), b.size]).toEqual([false, false, true, 1]);
  });

  test("a new prevhash is a new block even with clean=false (v-nomp's 15 s clean-job limit)", () => {
    const b = new JobBook();
    b.accept(notify("a", true));
    expect(b.accept(notify("b", false, PREV_B)).clean).toBe(true);
    expect(b.has("a")).toBe(false);
  });

  test("capped: the oldest falls out; a re-sent id replaces its entry", () => {
    const b = new JobBook(3);
    for (const id of ["a", "b", "c"]) b.accept(notify(id, false));
    b.accept(notify("a", false)); // re-sent: now the newest
    b.accept(notify("d", false));
    expect(["a", "b", "c", "d"].map((id) => b.has(id))).toEqual([true, false, true, true]);
    expect(b.latest?.id).toBe("d");
    expect(b.get("c")?.nTime).toBe(0x6b012bc8);
  });
});
