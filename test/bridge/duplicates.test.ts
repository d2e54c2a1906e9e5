// Per-session share memory: duplicates by tail on PBaaS jobs (any extranonce2), by the whole key
// otherwise; bounded, retiring the oldest job rather than forgetting silently.

import { describe, expect, test } from "bun:test";
import { ShareMemory } from "../../src/bridge/duplicates.ts";
import { hexToBytes } from "../../src/protocol/hex.ts";

const TAIL_A = "aa".repeat(15);
const TAIL_B = "bb".repeat(15);
const key = (xn2: string, tail: string) =>
  hexToBytes("0102030405" + xn2 + "fd4005" + "00".repeat(100) + tail);

describe("ShareMemory", () => {
  test("PBaaS jobs: the tail is the identity, whatever extranonce2 came with it", () => {
    const m = new ShareMemory(100, () => true);
    const d = m.forJob(true);
    expect(d.add("j1", key("00", TAIL_A))).toBe(true);
    expect(d.add("j1", key("ff", TAIL_A))).toBe(false);
    expect(d.add("j1", key("00", TAIL_B))).toBe(true);
    expect(d.add("j2", key("00", TAIL_A))).toBe(true); // per job
  });

  test("older jobs: the nonce is hashed, so another extranonce2 is another share", () => {
    const d = new ShareMemory(100, () => true).forJob(false);
    expect(d.add("j1", key("00", TAIL_A))).toBe(true);
    expect(d.add("j1", key("ff", TAIL_A))).toBe(true);
    expect(d.add("j1", key("ff", TAIL_A))).toBe(false);
  });

  test("past the cap the oldest job is retired for this session; a clean job forgets everything", () => {
    const m = new ShareMemory(3, () => true);
    m.add("j1", "a");
    m.add("j1", "b");
    m.add("j2", "c");
    expect(m.retired("j1")).toBe(false);
    m.add("j2", "d");
    expect(m.retired("j1")).toBe(true);
    expect(m.size).toBe(2);
    expect(() => m.add("j1", "e")).toThrow(RangeError);
    m.clear();
    expect(m.retired("j1")).toBe(false);
    expect(m.size).toBe(0);
  });

  test("a job filling the cap alone is retired after its last share", () => {
    const m = new ShareMemory(2, () => true);
    expect(m.add("j1", "a")).toBe(true);
    expect(m.add("j1", "b")).toBe(true);
    expect(m.add("j1", "c")).toBe(true);
    expect(m.retired("j1")).toBe(true);
  });

  test("retired ids of jobs no longer live are dropped", () => {
    const live = new Set<string>(["keep"]);
    const m = new ShareMemory(1, (id) => live.has(id));
    m.add("keep", "x");
    for (let i = 0; i < 70; i++) m.add(`j${i}`, "x");
    expect(m.retired("keep")).toBe(true);
    expect(m.retired("j0")).toBe(false);
  });
});
