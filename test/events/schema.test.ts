// The event schema: each type's entry is flat string pairs in the documented order, optional fields
// absent (never ""), and decoding gives back typed values.

import { describe, expect, test } from "bun:test";
import { decodeEntry, encodeEvent, EVENT_TYPES, FIELDS, type BridgeEvent } from "../../src/events/index.ts";

describe("event schema", () => {
  test("an accepted share: common fields first, then the share's, numbers and booleans as strings", () => {
    const e: BridgeEvent = {
      type: "share",
      worker: "RAddr.w1",
      session: 7,
      transport: "ws-msgpack",
      verdict: "accepted",
      difficulty: 0.5,
      stale: false,
      forwarded: true,
    };
    expect(encodeEvent(e, "b1", 3, 1234)).toEqual([
      "type",
      "share",
      "at",
      "1234",
      "bridge",
      "b1",
      "seq",
      "3",
      "worker",
      "RAddr.w1",
      "session",
      "7",
      "transport",
      "ws-msgpack",
      "verdict",
      "accepted",
      "difficulty",
      "0.5",
      "stale",
      "false",
      "forwarded",
      "true",
    ]);
  });

  test("a rejected share carries code and reason, no difficulty; `at` given wins over now", () => {
    const fields = encodeEvent(
      {
        type: "share",
        at: 99,
        worker: "w",
        session: 1,
        transport: "stratum",
        verdict: "rejected",
        code: 23,
        reason: "low difficulty share",
        stale: false,
        forwarded: false,
      },
      "b",
      1,
      1234,
    );
    expect(fields.slice(0, 4)).toEqual(["type", "share", "at", "99"]);
    expect(fields).not.toContain("difficulty");
    expect(decodeEntry(fields)).toEqual({
      type: "share",
      at: 99,
      bridge: "b",
      seq: 1,
      worker: "w",
      session: 1,
      transport: "stratum",
      verdict: "rejected",
      code: 23,
      reason: "low difficulty share",
      stale: false,
      forwarded: false,
    });
  });

  test("a block of unknown height: height absent in the entry, null decoded", () => {
    const fields = encodeEvent(
      { type: "block", worker: "w", height: null, hash: "00ab", result: "accepted" },
      "b",
      1,
      5,
    );
    expect(fields).toEqual([
      "type",
      "block",
      "at",
      "5",
      "bridge",
      "b",
      "seq",
      "1",
      "worker",
      "w",
      "hash",
      "00ab",
      "result",
      "accepted",
    ]);
    expect(decodeEntry(fields)).toMatchObject({ type: "block", height: null, hash: "00ab" });
  });

  test("pool_result and upstream round-trip; optional fields only when given", () => {
    const pool = encodeEvent(
      {
        type: "pool_result",
        worker: "w",
        session: 2,
        job: "1a",
        result: "rejected",
        code: 21,
        reason: "stale",
      },
      "b",
      4,
      5,
    );
    expect(decodeEntry(pool)).toEqual({
      type: "pool_result",
      at: 5,
      bridge: "b",
      seq: 4,
      worker: "w",
      session: 2,
      job: "1a",
      result: "rejected",
      code: 21,
      reason: "stale",
    });
    const up = encodeEvent(
      { type: "upstream", upstream: 0, state: "lost", pool: "stratum+tcp://pool:3956" },
      "b",
      5,
      5,
    );
    expect(up).toEqual([
      "type",
      "upstream",
      "at",
      "5",
      "bridge",
      "b",
      "seq",
      "5",
      "upstream",
      "0",
      "state",
      "lost",
      "pool",
      "stratum+tcp://pool:3956",
    ]);
  });

  test("unknown fields and types pass through as strings (a newer bridge may add some)", () => {
    expect(decodeEntry(["type", "future", "at", "1", "x", "2"])).toEqual({ type: "future", at: 1, x: "2" });
  });

  test("every type is described", () => {
    expect(EVENT_TYPES.sort()).toEqual(["block", "pool_result", "share", "upstream"]);
    for (const t of EVENT_TYPES) expect(FIELDS[t].length).toBeGreaterThan(0);
  });
});
