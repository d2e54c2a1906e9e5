// End to end over loopback: the built-in pool ⇄ the real bridge core ⇄ these servers, with a
// msgpack WebSocket client, a seed-style JSON WebSocket client and a raw Stratum client. Each
// builds its hash input from nothing but what it received on the wire, finds shares with the
// native scan, and has them credited; shares that also meet the pool's target are accepted by the
// pool.

import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { downstreamOptions, startBridgeStack, type BridgeStack } from "../../src/cli/compose.ts";
import { loadConfig, type Config } from "../../src/config/index.ts";
import { startDownstream, type Downstream } from "../../src/downstream/index.ts";
import { Hasher, TAIL_COUNTER_OFFSET } from "../../src/hash/index.ts";
import {
  decodeNotify,
  difficultyToTarget,
  hexToBytes,
  Job,
  targetFromHex,
  targetToLE,
} from "../../src/protocol/index.ts";
import { wordsToBytes } from "../../src/protocol/ws-json.ts";
import { encodeClientFrame, MSGPACK_SUBPROTOCOL, type MsgpackJob } from "../../src/protocol/ws-msgpack.ts";
import { silentLogger } from "../../src/util/log.ts";
import { TestClient } from "../pool/client.ts";
import { until } from "./harness.ts";
import { WsTestClient } from "./ws-client.ts";

const ADDRESS = "RLn1WTymL5G9LHpiEZW29S3otu6bTHKob6";
const POOL_DIFFICULTY = 0.01;
const MINER_DIFFICULTY = 0.001;

function config(): Readonly<Config> {
  const flags = {
    "upstream.pools": "builtin",
    "bridge.ledger": "",
    "bridge.ws_difficulty": MINER_DIFFICULTY,
    "bridge.tcp_difficulty": MINER_DIFFICULTY,
    "builtin_pool.difficulty": POOL_DIFFICULTY,
  };
  return loadConfig({
    file: null,
    env: {},
    flags: Object.entries(flags).map(([key, value]) => ({ key, value, flag: key })),
  });
}

const running: { stack: BridgeStack; ds: Downstream; clients: { close(): void }[] }[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) {
    for (const c of r.clients) c.close();
    await r.ds.stop();
    await r.stack.stop();
  }
});

function start() {
  const c = config();
  const stack = startBridgeStack(c, {
    builtinPool: { seed: 11, jobIntervalSeconds: 3600, blockIntervalSeconds: 7200 },
    tuning: { summaryIntervalSeconds: null },
  });
  const ds = startDownstream(stack.bridge, downstreamOptions({ ...c.bridge, port: 0 }), silentLogger, {
    detectMs: 100,
    stratumEphemeral: true,
  });
  const r = { stack, bridge: stack.bridge, ds, clients: [] as { close(): void }[] };
  running.push(r);
  return r;
}

const hasher = Hasher.open("auto");
afterAll(() => hasher.close());

/**
 * Scans the 1487-byte `input` (its tail at 1472..1486 holds the session's prefix) for a counter
 * whose hash meets `target`, from `start`; returns the counter and the full 15-byte tail.
 */
function scan(input: Uint8Array, target: bigint, start = 0): { counter: number; tail: Uint8Array } {
  hasher.prepareJob(input);
  const tail = input.slice(1472);
  const [counter] = hasher.scan(tail, start, 5_000_000, targetToLE(target), 1);
  if (counter === undefined) throw new Error("no share found");
  new DataView(tail.buffer).setUint32(TAIL_COUNTER_OFFSET, counter, true);
  return { counter, tail };
}

/** The hash input a browser miner builds from a msgpack job frame. */
function msgpackInput(j: MsgpackJob): Uint8Array {
  const input = new Uint8Array(1487);
  input.set(j.head, 0);
  input.set(j.prefix, 108); // nNonce = prefix ‖ zeros
  input.set([0xfd, 0x40, 0x05], 140);
  input.set(j.solution, 143);
  input.set(j.prefix, 1472); // the tail starts with the prefix
  return input;
}

const le = (b: Uint8Array) => [...b].reverse().reduce((acc, x) => (acc << 8n) | BigInt(x), 0n);

describe("end to end: built-in pool ⇄ core ⇄ servers", () => {
  test("a msgpack WebSocket miner finds shares with the native scan; credited, and pool-target ones accepted by the pool", async () => {
    const { stack, bridge, ds, clients } = start();
    const c = await WsTestClient.open(`ws://127.0.0.1:${ds.port}/ws`, { protocols: [MSGPACK_SUBPROTOCOL] });
    clients.push(c);
    c.send(encodeClientFrame({ type: "hello", worker: `${ADDRESS}.web1`, agent: "e2e" }));
    expect((await c.frame("welcome")).worker).toBe(`${ADDRESS}.web1`);
    const job = await c.frame("job");
    expect(job.difficulty).toBe(MINER_DIFFICULTY);
    const input = msgpackInput(job);
    // A share at the miner's target, then one that also meets the pool's.
    const first = scan(input, le(job.target));
    c.send(
      encodeClientFrame({
        type: "share",
        seq: 1,
        jobId: job.jobId,
        nonce: first.tail.subarray(job.prefix.length),
      }),
    );
    expect((await c.frame("result")).verdict).toMatchObject({ accepted: true, difficulty: MINER_DIFFICULTY });
    const strong = scan(input, difficultyToTarget(POOL_DIFFICULTY), first.counter + 1);
    c.send(
      encodeClientFrame({
        type: "share",
        seq: 2,
        jobId: job.jobId,
        nonce: strong.tail.subarray(job.prefix.length),
      }),
    );
    expect((await c.frame("result")).verdict).toEqual({
      accepted: true,
      difficulty: MINER_DIFFICULTY,
      forwarded: true,
    });
    await until(() => bridge.stats().pool.accepted >= 1, "the pool's acceptance");
    expect(stack.builtinPool!.stats().accepted).toBeGreaterThanOrEqual(1);
    expect(await bridge.worker(`${ADDRESS}.web1`)).toMatchObject({ accepted: 2 });
    // The same share again is a duplicate.
    c.send(
      encodeClientFrame({
        type: "share",
        seq: 3,
        jobId: job.jobId,
        nonce: first.tail.subarray(job.prefix.length),
      }),
    );
    expect((await c.frame("result")).verdict).toMatchObject({ accepted: false, code: 22 });
  });

  test("a seed-style JSON miner (sends nothing first, never says hello) finds shares from data/solution words; credited", async () => {
    const { stack, bridge, ds, clients } = start();
    const c = await WsTestClient.open(`ws://127.0.0.1:${ds.port}/`);
    clients.push(c);
    const { work } = await c.json("work");
    const input = new Uint8Array(1487);
    input.set(wordsToBytes(work.data).subarray(0, 140), 0);
    input.set([0xfd, 0x40, 0x05], 140);
    input.set(work.solution, 143);
    const target = le(wordsToBytes(work.target));
    let counter = -1;
    for (let i = 0; i < 3; i++) {
      counter = scan(input, target, counter + 1).counter;
      c.send(JSON.stringify({ type: "share", work, nonce: counter }));
    }
    await until(
      async () => ((await bridge.worker("anonymous"))?.accepted ?? 0) === 3,
      "three credited shares",
    );
    // And with hello, the same client hears its verdicts.
    c.send(JSON.stringify({ type: "hello", worker: `${ADDRESS}.seed` }));
    await c.json("welcome");
    counter = scan(input, target, counter + 1).counter;
    c.send(JSON.stringify({ type: "share", work: { job_id: work.job_id }, nonce: counter }));
    expect(await c.json("result")).toMatchObject({
      accepted: true,
      difficulty: MINER_DIFFICULTY,
      nonce: counter,
    });
  });

  test("a native miner over Stratum TCP: subscribe, authorize, submit a found share → true", async () => {
    const { stack, bridge, ds, clients } = start();
    const c = await TestClient.connect(ds.stratumPort!);
    clients.push(c);
    const xn1 = hexToBytes(
      ((await c.request("mining.subscribe", ["ccminer_CPU/3.8.3"])).result as string[])[1]!,
    );
    const target = targetFromHex((await c.notification("mining.set_target")).params![0] as string);
    const job = new Job(decodeNotify(null, (await c.notification("mining.notify")).params!));
    expect((await c.request("mining.authorize", [`${ADDRESS}.cc`, "x"])).result).toBe(true);
    const xn2 = new Uint8Array(32 - xn1.length);
    const tail = new Uint8Array(15);
    tail.set(xn1);
    const found = scan(job.hashInput(xn1, xn2, tail), target);
    const p = job.submitParams(`${ADDRESS}.cc`, xn2, found.tail);
    const reply = await c.request("mining.submit", [p.worker, p.jobId, p.nTime, p.extranonce2, p.solution]);
    expect(reply).toMatchObject({ result: true, error: null });
    expect(await bridge.worker(`${ADDRESS}.cc`)).toMatchObject({ accepted: 1 });
  });
});
