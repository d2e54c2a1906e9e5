import { describe, expect, test } from "bun:test";
import { parseRpc, type RpcResponse } from "../../src/protocol/jsonrpc.ts";
import {
  decodeFromPool,
  decodePoolCall,
  encodePoolMessage,
  type PoolMessage,
} from "../../src/protocol/pool-messages.ts";
import { targetFromHex } from "../../src/protocol/target.ts";
import { codeOf } from "../support/errors.ts";

const T2 = "0004" + "0".repeat(60);

/** Decode, check the typed value, and check canonical re-encoding decodes to the same value. */
function shape(line: string, want: PoolMessage, canonical?: string) {
  const m = decodeFromPool(line);
  expect(m).toEqual(want);
  const out = encodePoolMessage(m as PoolMessage);
  if (canonical !== undefined) expect(out).toBe(canonical);
  expect(decodeFromPool(out)).toEqual(want);
}

describe("pool → miner shapes", () => {
  test("mining.set_target", () => {
    shape(`{"id":null,"method":"mining.set_target","params":["${T2}"]}`, {
      method: "mining.set_target",
      id: null,
      target: 1n << 242n,
    });
    shape(
      `{"id":null,"method":"mining.set_target","params":["${T2.toUpperCase().replace("0004", "000A")}"]}`,
      {
        method: "mining.set_target",
        id: null,
        target: targetFromHex("000a" + "0".repeat(60)),
      },
    );
  });

  test("mining.set_difficulty, as a number or a decimal string", () => {
    shape('{"id":null,"method":"mining.set_difficulty","params":[0.5]}', {
      method: "mining.set_difficulty",
      id: null,
      difficulty: 0.5,
    });
    shape(
      '{"id":null,"method":"mining.set_difficulty","params":["16384"]}',
      { method: "mining.set_difficulty", id: null, difficulty: 16384 },
      '{"id":null,"method":"mining.set_difficulty","params":[16384]}',
    );
  });

  test("mining.set_extranonce with and without an extranonce2 size (verusProxy)", () => {
    shape('{"id":null,"method":"mining.set_extranonce","params":["1ffffff7"]}', {
      method: "mining.set_extranonce",
      id: null,
      extranonce1: "1ffffff7",
      extranonce2Size: null,
    });
    shape('{"id":null,"method":"mining.set_extranonce","params":["1FFFFFF70001",26]}', {
      method: "mining.set_extranonce",
      id: null,
      extranonce1: "1ffffff70001",
      extranonce2Size: 26,
    });
  });

  test("client.reconnect: port as a number or a string, sent as a string (nheqminer)", () => {
    const want = {
      method: "client.reconnect",
      id: null,
      host: "pool.example",
      port: 3956,
      waitSeconds: null,
    } as const;
    const canonical = '{"id":null,"method":"client.reconnect","params":["pool.example","3956"]}';
    shape('{"id":null,"method":"client.reconnect","params":["pool.example",3956]}', want, canonical);
    shape('{"id":null,"method":"client.reconnect","params":["pool.example","3956"]}', want, canonical);
    shape('{"id":null,"method":"client.reconnect","params":["pool.example","3956",5]}', {
      ...want,
      waitSeconds: 5,
    });
    shape('{"id":null,"method":"client.reconnect","params":[]}', {
      method: "client.reconnect",
      id: null,
      host: null,
      port: null,
      waitSeconds: null,
    });
    shape(
      '{"id":null,"method":"client.reconnect","params":["",""]}',
      { method: "client.reconnect", id: null, host: null, port: null, waitSeconds: null },
      '{"id":null,"method":"client.reconnect","params":[]}',
    );
  });

  test("client.show_message, mining.ping, client.get_version", () => {
    shape('{"id":null,"method":"client.show_message","params":["equihash VRSC block 3911208"]}', {
      method: "client.show_message",
      id: null,
      message: "equihash VRSC block 3911208",
    });
    shape('{"id":7,"method":"mining.ping","params":[]}', { method: "mining.ping", id: 7 });
    shape('{"id":8,"method":"client.get_version","params":[]}', { method: "client.get_version", id: 8 });
  });

  test("unknown methods come back as such, params untouched", () => {
    shape('{"id":null,"method":"mining.foo","params":[1,"a"]}', {
      method: "unknown",
      name: "mining.foo",
      id: null,
      params: [1, "a"],
    });
  });

  test("responses pass through untyped", () => {
    expect(decodeFromPool('{"id":2,"result":true,"error":null}')).toEqual(
      parseRpc('{"id":2,"result":true,"error":null}') as RpcResponse,
    );
  });
});

describe("coded errors", () => {
  test.each([
    ["mining.set_target", []],
    ["mining.set_target", ["0004"]],
    ["mining.set_target", [T2 + "00"]],
    ["mining.set_target", [4]],
    ["mining.set_difficulty", []],
    ["mining.set_difficulty", [0]],
    ["mining.set_difficulty", [-2]],
    ["mining.set_difficulty", ["two"]],
    ["mining.set_difficulty", [null]],
    ["mining.set_extranonce", []],
    ["mining.set_extranonce", ["1ffffff"]],
    ["mining.set_extranonce", ["00".repeat(32)]],
    ["mining.set_extranonce", ["1ffffff7", 33]],
    ["mining.set_extranonce", ["1ffffff7", 2.5]],
    ["client.reconnect", ["host", "http"]],
    ["client.reconnect", ["host", 0]],
    ["client.reconnect", ["host", 65536]],
    ["client.reconnect", [5, 3956]],
    ["client.reconnect", ["h".repeat(256), 3956]],
    ["client.reconnect", ["host", 3956, -1]],
    ["client.show_message", []],
    ["client.show_message", [5]],
    ["mining.notify", ["only one"]],
  ])("%s %j is E_BAD_PARAMS", (method, params) => {
    expect(codeOf(() => decodePoolCall(null, method, params))).toBe("E_BAD_PARAMS");
  });
});
