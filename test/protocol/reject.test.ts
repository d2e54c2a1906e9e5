import { describe, expect, test } from "bun:test";
import {
  classifyReject,
  lowDifficultyReject,
  rejectOf,
  rejectToRpcError,
  solutionSizeReject,
  solutionVersionReject,
  type FixedRejectReason,
} from "../../src/protocol/reject.ts";

describe("reject texts (verus-stratum.md §3.7) and their classification", () => {
  const fixed: [FixedRejectReason, number, string][] = [
    ["unauthorized", 24, "unauthorized worker"],
    ["not-subscribed", 25, "not subscribed"],
    ["job-not-found", 21, "job not found"],
    ["duplicate", 22, "duplicate share"],
    ["ntime-size", 20, "incorrect size of ntime"],
    ["ntime-invalid", 20, "invalid ntime"],
    ["ntime-out-of-range", 20, "ntime out of range"],
    ["nonce-size", 20, "incorrect size of nonce"],
    ["extranonce2-hex", 20, "invalid hex in extraNonce2"],
    ["pool-nonce-missing", 20, "invalid solution, pool nonce missing"],
  ];
  test.each(fixed)("%s = [%d, %s], and back", (reason, code, message) => {
    expect(rejectOf(reason)).toEqual({ code, reason, message });
    expect(classifyReject(rejectToRpcError(rejectOf(reason)))).toEqual({ code, reason, message });
  });

  test("texts with values", () => {
    expect(solutionSizeReject(2688).message).toBe("Error: Incorrect size of solution (2688), expected 2694");
    expect(solutionVersionReject("06000000", "07000000").message).toBe(
      "invalid solution version (06000000), expected 07000000",
    );
    expect(lowDifficultyReject(0.00028299997610799595).message).toBe(
      "low difficulty share of 0.00028299997610799595",
    );
    expect(lowDifficultyReject(1.4728836769975157e-7).message).toBe(
      "low difficulty share of 1.4728836769975157e-7",
    );
    for (const r of [
      solutionSizeReject(12),
      solutionVersionReject("0", "07000000"),
      lowDifficultyReject(3.5),
    ]) {
      expect(classifyReject(rejectToRpcError(r))).toEqual(r);
    }
  });

  test("24 and 25 carry a null third element, as node-stratum-pool sends them", () => {
    expect(rejectToRpcError(rejectOf("unauthorized"))).toEqual({
      code: 24,
      message: "unauthorized worker",
      data: null,
    });
    expect(rejectToRpcError(rejectOf("duplicate"))).toEqual({ code: 22, message: "duplicate share" });
  });

  test("other pools' texts fall back by code; unknown ones stay 'other' with their text", () => {
    expect(classifyReject({ code: 21, message: "pool not found" }).reason).toBe("job-not-found"); // verusProxy reconnecting
    expect(classifyReject({ code: 24, message: "not authorized" }).reason).toBe("unauthorized"); // verusProxy
    expect(classifyReject({ code: 24, message: "Authorization failed" }).reason).toBe("unauthorized"); // Miningcore
    expect(classifyReject({ code: 20, message: "unknown method" })).toEqual({
      code: 20,
      reason: "other",
      message: "unknown method",
    });
    expect(classifyReject({ code: 23, message: "low difficulty share" })).toEqual({
      code: 23,
      reason: "low-difficulty",
      message: "low difficulty share",
    });
    expect(
      classifyReject({ code: 23, message: "low difficulty share of lots" }).shareDifficulty,
    ).toBeUndefined();
    expect(classifyReject({ code: -1, message: "" }).reason).toBe("other");
    // A known text under another code is not that reject.
    expect(classifyReject({ code: 20, message: "duplicate share" }).reason).toBe("other");
  });
});
