import { describe, expect, test } from "bun:test";
import { parseRpc, serializeRpc, type RpcResponse } from "../../src/protocol/jsonrpc.ts";
import { lowDifficultyReject, rejectOf } from "../../src/protocol/reject.ts";
import {
  booleanReply,
  decodeBooleanResult,
  decodeSubmitResult,
  decodeSubscribeResult,
  encodeSubscribeResult,
  pongReply,
  submitReply,
  subscribeReply,
} from "../../src/protocol/results.ts";
import { codeOf } from "../support/errors.ts";

const resp = (line: string) => parseRpc(line) as RpcResponse;

describe("subscribe results: every shape of verus-stratum.md §3.1", () => {
  test.each([
    [
      "node-stratum-pool [null, xn1]",
      [null, "1ffffff7"],
      { subscriptionId: null, extranonce1: "1ffffff7", extranonce2Size: null },
    ],
    [
      "verusProxy [null, xn1 + miner id]",
      [null, "1ffffff70001"],
      { subscriptionId: null, extranonce1: "1ffffff70001", extranonce2Size: null },
    ],
    [
      "v-nomp [[pairs], xn1, 8]",
      [
        [
          ["mining.set_difficulty", "deadbeefcafebabe0400000000000000"],
          ["mining.notify", "deadbeefcafebabe0401000000000000"],
        ],
        "1ffffffe",
        8,
      ],
      { subscriptionId: "deadbeefcafebabe0401000000000000", extranonce1: "1ffffffe", extranonce2Size: 8 },
    ],
    [
      "one pair [[notify, id], xn1, 4]",
      [["mining.notify", "ab"], "00ff00", 4],
      { subscriptionId: "ab", extranonce1: "00ff00", extranonce2Size: 4 },
    ],
    [
      "pairs without notify take the first id",
      [[["mining.set_difficulty", "a"]], "00ff00"],
      { subscriptionId: "a", extranonce1: "00ff00", extranonce2Size: null },
    ],
    [
      "Miningcore [connId, xn1, n]",
      ["c0ffee", "0a0B0c", 5],
      { subscriptionId: "c0ffee", extranonce1: "0a0b0c", extranonce2Size: 5 },
    ],
    [
      "numeric subscription id",
      [17, "0a0b0c0d", null],
      { subscriptionId: "17", extranonce1: "0a0b0c0d", extranonce2Size: null },
    ],
  ])("%s", (_, result, want) => {
    const r = decodeSubscribeResult(result);
    expect(r).toEqual(want);
    expect(decodeSubscribeResult(encodeSubscribeResult(r))).toEqual(r);
  });

  test("the server form is the 2-element [subId, xn1]", () => {
    expect(
      serializeRpc(
        subscribeReply(1, { subscriptionId: null, extranonce1: "1ffffff7", extranonce2Size: null }),
      ),
    ).toBe('{"id":1,"result":[null,"1ffffff7"],"error":null}');
  });

  test.each([
    ["not an array", true],
    ["one element", [null]],
    ["xn1 missing", [null, null]],
    ["xn1 odd", [null, "1ffffff"]],
    ["xn1 not hex", [null, "zzzzzzzz"]],
    ["xn1 32 bytes", [null, "00".repeat(32)]],
    ["xn1 empty", [null, ""]],
    ["size not an integer", [null, "1ffffff7", "8"]],
    ["size 33", [null, "1ffffff7", 33]],
    ["result[0] an object", [{}, "1ffffff7"]],
    ["pair not strings", [[["mining.notify", 5]], "1ffffff7"]],
  ])("%s is E_BAD_RESULT", (_, result) => {
    expect(codeOf(() => decodeSubscribeResult(result))).toBe("E_BAD_RESULT");
  });
});

describe("boolean results", () => {
  test("true, false with node-stratum-pool's [20, Not supported., null], and null", () => {
    expect(decodeBooleanResult(resp('{"id":2,"result":true,"error":null}'))).toEqual({
      ok: true,
      error: null,
    });
    expect(decodeBooleanResult(resp('{"id":3,"result":false,"error":[20,"Not supported.",null]}'))).toEqual({
      ok: false,
      error: { code: 20, message: "Not supported.", data: null },
    });
    expect(decodeBooleanResult(resp('{"id":2,"result":null,"error":[24,"Authorization failed"]}')).ok).toBe(
      false,
    );
    expect(decodeBooleanResult(resp('{"id":2,"result":true,"error":[24,"x"]}')).ok).toBe(false);
    expect(codeOf(() => decodeBooleanResult(resp('{"id":2,"result":"yes","error":null}')))).toBe(
      "E_BAD_RESULT",
    );
    expect(serializeRpc(booleanReply(3, false, { code: 20, message: "Not supported.", data: null }))).toBe(
      '{"id":3,"result":false,"error":[20,"Not supported.",null]}',
    );
  });
});

describe("submit results and replies (verus-stratum.md §3.7)", () => {
  test("accepted; rejected with result null (v-nomp) or false (verusProxy); 2- or 3-element errors", () => {
    expect(decodeSubmitResult(resp('{"id":10,"result":true,"error":null}'))).toEqual({ accepted: true });
    for (const line of [
      '{"id":10,"result":null,"error":[21,"job not found"]}',
      '{"id":10,"result":false,"error":[21,"job not found"]}',
      '{"id":10,"result":null,"error":[21,"job not found",null]}',
      '{"id":10,"result":null,"error":{"code":21,"message":"job not found"}}',
    ]) {
      expect(decodeSubmitResult(resp(line))).toEqual({
        accepted: false,
        reject: { code: 21, reason: "job-not-found", message: "job not found" },
      });
    }
  });

  test("an error beside result:true still means rejected; false without an error is unspecified", () => {
    expect(decodeSubmitResult(resp('{"id":1,"result":true,"error":[22,"duplicate share"]}')).accepted).toBe(
      false,
    );
    expect(decodeSubmitResult(resp('{"id":1,"result":false,"error":null}'))).toEqual({
      accepted: false,
      reject: { code: -1, reason: "unspecified", message: "" },
    });
    expect(codeOf(() => decodeSubmitResult(resp('{"id":1,"result":"pong","error":null}')))).toBe(
      "E_BAD_RESULT",
    );
  });

  test("replies in node-stratum-pool's shapes: [code, msg], and [code, msg, null] for 24 and 25", () => {
    expect(serializeRpc(submitReply(10, { accepted: true }))).toBe('{"id":10,"result":true,"error":null}');
    expect(serializeRpc(submitReply(10, { accepted: false, reject: rejectOf("duplicate") }))).toBe(
      '{"id":10,"result":null,"error":[22,"duplicate share"]}',
    );
    expect(serializeRpc(submitReply(5, { accepted: false, reject: rejectOf("not-subscribed") }))).toBe(
      '{"id":5,"result":null,"error":[25,"not subscribed",null]}',
    );
    expect(serializeRpc(submitReply(5, { accepted: false, reject: rejectOf("unauthorized") }, false))).toBe(
      '{"id":5,"result":false,"error":[24,"unauthorized worker",null]}',
    );
    expect(
      serializeRpc(
        submitReply(107, { accepted: false, reject: lowDifficultyReject(0.00028299997610799595) }),
      ),
    ).toBe('{"id":107,"result":null,"error":[23,"low difficulty share of 0.00028299997610799595"]}');
  });

  test("ccminer's pong", () => {
    expect(serializeRpc(pongReply(110))).toBe('{"id":110,"result":"pong","error":null}');
  });
});
