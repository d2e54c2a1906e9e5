import { describe, expect, test } from "bun:test";
import {
  parseRpc,
  readRpcError,
  serializeRpc,
  toRpcMessage,
  type RpcMessage,
} from "../../src/protocol/jsonrpc.ts";
import { codeOf } from "../support/errors.ts";

const roundTrip = (m: RpcMessage) => expect(parseRpc(serializeRpc(m))).toEqual(m);

describe("requests and notifications", () => {
  test("ccminer's key order (id last) parses and serialises canonically (id first)", () => {
    const m = parseRpc('{"method":"mining.submit","params":["w","cee8"],"id":10}');
    expect(m).toEqual({ kind: "request", id: 10, method: "mining.submit", params: ["w", "cee8"] });
    expect(serializeRpc(m)).toBe('{"id":10,"method":"mining.submit","params":["w","cee8"]}');
  });

  test.each([
    [
      '{"id":"abc","method":"mining.ping","params":[]}',
      { kind: "request", id: "abc", method: "mining.ping", params: [] },
    ],
    [
      '{"id":0,"method":"mining.subscribe","params":["VP/0.1.4",null]}',
      { kind: "request", id: 0, method: "mining.subscribe", params: ["VP/0.1.4", null] },
    ],
    [
      '{"id":null,"method":"mining.notify","params":[1]}',
      { kind: "notification", id: null, method: "mining.notify", params: [1] },
    ],
    [
      '{"method":"mining.notify","params":[]}',
      { kind: "notification", id: null, method: "mining.notify", params: [] },
    ],
    [
      '{"id":3,"method":"mining.extranonce.subscribe"}',
      { kind: "request", id: 3, method: "mining.extranonce.subscribe", params: [] },
    ],
    ['{"id":3,"method":"x","params":null}', { kind: "request", id: 3, method: "x", params: [] }],
    ['  {"id":1,"method":"x","params":[]}  ', { kind: "request", id: 1, method: "x", params: [] }],
  ])("%s", (line, want) => {
    const m = parseRpc(line);
    expect(m).toEqual(want as RpcMessage);
    roundTrip(m);
  });

  test('notifications serialise with an explicit "id": null (nheqminer needs it)', () => {
    expect(serializeRpc(parseRpc('{"method":"mining.set_target","params":["00"]}'))).toBe(
      '{"id":null,"method":"mining.set_target","params":["00"]}',
    );
  });
});

describe("responses", () => {
  test.each([
    ['{"id":10,"result":true,"error":null}', { code: null }],
    ['{"id":10,"result":null,"error":[21,"job not found"]}', { code: 21, message: "job not found" }],
    [
      '{"id":5,"result":null,"error":[25,"not subscribed",null]}',
      { code: 25, message: "not subscribed", data: null },
    ],
    [
      '{"id":3,"result":false,"error":[20,"Not supported.",null]}',
      { code: 20, message: "Not supported.", data: null },
    ],
    [
      '{"id":1,"result":null,"error":{"code":24,"message":"Authorization failed"}}',
      { code: 24, message: "Authorization failed" },
    ],
    [
      '{"id":1,"result":null,"error":{"code":-1,"message":"x","data":{"a":1}}}',
      { code: -1, message: "x", data: { a: 1 } },
    ],
    ['{"id":null,"result":[],"error":true}', { code: -1, message: "" }],
    ['{"id":1,"result":null,"error":"boom"}', { code: -1, message: "boom" }],
    ['{"id":1,"result":null,"error":["23","low"]}', { code: 23, message: "low" }],
    ['{"id":1,"result":true,"error":false}', { code: null }],
    ['{"result":"pong","error":null,"id":7}', { code: null }],
    ['{"id":7,"error":null}', { code: null }],
  ])("%s", (line, want) => {
    const m = parseRpc(line);
    expect(m.kind).toBe("response");
    if (m.kind !== "response") return;
    if (want.code === null) expect(m.error).toBeNull();
    else expect(m.error).toEqual(want as { code: number; message: string });
    roundTrip(m);
  });

  test("error arrays keep their length: [code, msg] stays 2 elements, [code, msg, null] stays 3", () => {
    expect(serializeRpc(parseRpc('{"id":1,"result":null,"error":[22,"duplicate share"]}'))).toBe(
      '{"id":1,"result":null,"error":[22,"duplicate share"]}',
    );
    expect(serializeRpc(parseRpc('{"error":[24,"unauthorized worker",null],"id":1,"result":null}'))).toBe(
      '{"id":1,"result":null,"error":[24,"unauthorized worker",null]}',
    );
    expect(serializeRpc(parseRpc('{"id":1,"result":null,"error":{"code":24,"message":"m"}}'))).toBe(
      '{"id":1,"result":null,"error":[24,"m"]}',
    );
  });

  test("a daemon RPC batch element goes through toRpcMessage", () => {
    expect(toRpcMessage({ result: 1000000000000, error: null, id: 1795239576232 })).toEqual({
      kind: "response",
      id: 1795239576232,
      result: 1000000000000,
      error: null,
    });
  });
});

describe("coded errors", () => {
  test.each([
    ["", "E_BAD_JSON"],
    ["{", "E_BAD_JSON"],
    ["hello", "E_BAD_JSON"],
    ['{"id":1,"method":"x"}garbage', "E_BAD_JSON"],
    ["[1,2]", "E_NOT_OBJECT"],
    ['[{"id":1,"method":"x"}]', "E_NOT_OBJECT"],
    ["null", "E_NOT_OBJECT"],
    ["42", "E_NOT_OBJECT"],
    ['"str"', "E_NOT_OBJECT"],
    ["{}", "E_NOT_RPC"],
    ['{"id":1}', "E_NOT_RPC"],
    ['{"id":true,"method":"x","params":[]}', "E_BAD_ID"],
    ['{"id":[1],"result":true}', "E_BAD_ID"],
    ['{"id":1e999,"method":"x"}', "E_BAD_ID"],
    ['{"id":1,"method":5}', "E_BAD_METHOD"],
    ['{"id":1,"method":""}', "E_BAD_METHOD"],
    ['{"id":1,"method":"x","params":{"a":1}}', "E_BAD_PARAMS"],
    ['{"id":1,"method":"x","params":"a"}', "E_BAD_PARAMS"],
    ['{"id":1,"result":null,"error":[]}', "E_BAD_ERROR"],
    ['{"id":1,"result":null,"error":[1,"a",null,4]}', "E_BAD_ERROR"],
    ['{"id":1,"result":null,"error":["x","y"]}', "E_BAD_ERROR"],
    ['{"id":1,"result":null,"error":[20,5]}', "E_BAD_ERROR"],
    ['{"id":1,"result":null,"error":5}', "E_BAD_ERROR"],
    ['{"id":1,"result":null,"error":{"message":"no code"}}', "E_BAD_ERROR"],
  ])("%s → %s", (line, code) => {
    expect(codeOf(() => parseRpc(line))).toBe(code);
  });

  test("readRpcError accepts the three real shapes", () => {
    expect(readRpcError(null)).toBeNull();
    expect(readRpcError([20, "x"])).toEqual({ code: 20, message: "x" });
    expect(readRpcError([24, "x", null])).toEqual({ code: 24, message: "x", data: null });
  });
});
