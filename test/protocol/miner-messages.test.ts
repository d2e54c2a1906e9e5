import { describe, expect, test } from "bun:test";
import {
  decodeFromMiner,
  decodeMinerCall,
  encodeMinerMessage,
  splitUser,
  type MinerMessage,
} from "../../src/protocol/miner-messages.ts";
import { codeOf } from "../support/errors.ts";

function shape(line: string, want: MinerMessage, canonical?: string) {
  const m = decodeFromMiner(line);
  expect(m).toEqual(want);
  const out = encodeMinerMessage(m as MinerMessage);
  if (canonical !== undefined) expect(out).toBe(canonical);
  expect(decodeFromMiner(out)).toEqual(want);
}

const sub = (p: Partial<Record<"userAgent" | "sessionId" | "host" | "port", string | null>>) =>
  ({
    method: "mining.subscribe",
    id: 1,
    userAgent: null,
    sessionId: null,
    host: null,
    port: null,
    ...p,
  }) as const;

describe("mining.subscribe params (verus-stratum.md §3.1)", () => {
  test("bare [] (v-nomp's no-authorize session)", () =>
    shape('{"id":1,"method":"mining.subscribe","params":[]}', sub({})));
  test("[agent] (ccminer, bloxminer)", () =>
    shape(
      '{"id":1,"method":"mining.subscribe","params":["ccminer_CPU/3.8.3"]}',
      sub({ userAgent: "ccminer_CPU/3.8.3" }),
    ));
  test("[agent, previous subscription id] (ccminer reconnect)", () =>
    shape(
      '{"id":1,"method":"mining.subscribe","params":["ccminer_CPU/3.8.3","deadbeefcafebabe0a00000000000000"]}',
      sub({ userAgent: "ccminer_CPU/3.8.3", sessionId: "deadbeefcafebabe0a00000000000000" }),
    ));
  test("[agent, null] (verusProxy) is written as [agent]", () =>
    shape(
      '{"id":1,"method":"mining.subscribe","params":["VP/0.1.4",null]}',
      sub({ userAgent: "VP/0.1.4" }),
      '{"id":1,"method":"mining.subscribe","params":["VP/0.1.4"]}',
    ));
  test("[agent, null, host, port] (nheqminer), port as a string or a number", () => {
    const want = sub({ userAgent: "nheqminer/0.8.2", host: "127.0.0.1", port: "3978" });
    const canonical =
      '{"id":1,"method":"mining.subscribe","params":["nheqminer/0.8.2",null,"127.0.0.1","3978"]}';
    shape(canonical, want, canonical);
    shape(
      '{"id":1,"method":"mining.subscribe","params":["nheqminer/0.8.2",null,"127.0.0.1",3978]}',
      want,
      canonical,
    );
  });
});

describe("other miner → pool methods", () => {
  test("mining.authorize with and without a password", () => {
    shape('{"id":2,"method":"mining.authorize","params":["RAddr.rig1","x"]}', {
      method: "mining.authorize",
      id: 2,
      user: "RAddr.rig1",
      password: "x",
    });
    shape('{"id":2,"method":"mining.authorize","params":["RAddr"]}', {
      method: "mining.authorize",
      id: 2,
      user: "RAddr",
      password: null,
    });
  });

  test("mining.extranonce.subscribe", () =>
    shape('{"id":3,"method":"mining.extranonce.subscribe","params":[]}', {
      method: "mining.extranonce.subscribe",
      id: 3,
    }));

  test("mining.submit in ccminer's key order; sizes are the validator's business", () => {
    const want = {
      method: "mining.submit",
      id: 10,
      worker: "w",
      jobId: "cee8",
      nTime: "de2d016b",
      extranonce2: "00",
      solution: "fd4005",
    } as const;
    shape(
      '{"method":"mining.submit","params":["w","cee8","de2d016b","00","fd4005"],"id":10}',
      want,
      '{"id":10,"method":"mining.submit","params":["w","cee8","de2d016b","00","fd4005"]}',
    );
    shape('{"id":10,"method":"mining.submit","params":["w","cee8","de2d016b","00","fd4005","extra"]}', want);
    // An empty or numeric job id decodes: it is the validator's "21 job not found".
    shape('{"id":10,"method":"mining.submit","params":["w","","de2d016b","00","fd4005"]}', {
      ...want,
      jobId: "",
    });
    shape('{"id":10,"method":"mining.submit","params":["w",52429,"de2d016b","00","fd4005"]}', {
      ...want,
      jobId: "52429",
    });
  });

  test("mining.ping, suggest_target, pbaas.subscribe, get_transactions, unknown", () => {
    shape('{"id":110,"method":"mining.ping","params":[]}', { method: "mining.ping", id: 110 });
    shape(`{"id":4,"method":"mining.suggest_target","params":["${"0004".padEnd(64, "0")}"]}`, {
      method: "mining.suggest_target",
      id: 4,
      target: 1n << 242n,
    });
    shape('{"id":5,"method":"mining.pbaas.subscribe","params":["x"]}', {
      method: "mining.pbaas.subscribe",
      id: 5,
      params: ["x"],
    });
    shape('{"id":6,"method":"mining.get_transactions","params":["cccd"]}', {
      method: "mining.get_transactions",
      id: 6,
      params: ["cccd"],
    });
    shape('{"id":7,"method":"mining.multi_version","params":[1]}', {
      method: "unknown",
      name: "mining.multi_version",
      id: 7,
      params: [1],
    });
  });

  test("splitUser splits on the first dot", () => {
    expect(splitUser("RLn1WTymL5G9LHpiEZW29S3otu6bTHKob6.cc383")).toEqual({
      address: "RLn1WTymL5G9LHpiEZW29S3otu6bTHKob6",
      worker: "cc383",
    });
    expect(splitUser("name@.a.b")).toEqual({ address: "name@", worker: "a.b" });
    expect(splitUser("RAddr")).toEqual({ address: "RAddr", worker: null });
  });
});

describe("coded errors", () => {
  test.each([
    ["mining.subscribe", [5]],
    ["mining.subscribe", ["a", 5]],
    ["mining.subscribe", ["a", null, "h", {}]],
    ["mining.authorize", []],
    ["mining.authorize", [5, "x"]],
    ["mining.authorize", ["u", 5]],
    ["mining.submit", ["w", "j", "t", "x"]],
    ["mining.submit", ["w", "j", "t", "x", 5]],
    ["mining.submit", ["w", {}, "t", "x", "s"]],
    ["mining.submit", [null, "j", "t", "x", "s"]],
    ["mining.suggest_target", ["0004"]],
    ["mining.suggest_target", []],
  ])("%s %j is E_BAD_PARAMS", (method, params) => {
    expect(codeOf(() => decodeMinerCall(1, method, params))).toBe("E_BAD_PARAMS");
  });
});
