// PoolClient ⇄ the built-in pool (src/pool) over loopback: real jobs, shares found with the native
// scan the way a PBaaS-aware miner finds them (tail = xn1 ‖ zeros ‖ uint32 LE counter at
// tail[11..14], verushash.md §1.4), validated by the pool with real VerusHash.

import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { Hasher, NONCE_TAIL_BYTES, TAIL_COUNTER_OFFSET } from "../../src/hash/index.ts";
import { PoolServer } from "../../src/pool/index.ts";
import { hexToBytes, targetToLE, type Job } from "../../src/protocol/index.ts";
import { PoolClient } from "../../src/upstream/client.ts";
import type { UpstreamShare } from "../../src/upstream/events.ts";
import { EventLog } from "./helpers.ts";
import { linesLogger } from "../support/log.ts";

const USER = "RLn1WTymL5G9LHpiEZW29S3otu6bTHKob6.upstream";
let hasher: Hasher;
beforeAll(() => {
  hasher = Hasher.open("auto");
});
afterAll(() => hasher.close());

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup() {
  const logs: string[] = [];
  // Difficulty 0.001: about 8 hashes per share. Jobs and blocks only when the test says so.
  const server = PoolServer.start({
    port: 0,
    seed: 11,
    difficulty: 0.001,
    jobIntervalSeconds: 3600,
    blockIntervalSeconds: 7200,
    summaryIntervalSeconds: null,
    log: linesLogger(logs),
  });
  cleanups.push(() => server.stop());
  const log = new EventLog();
  const client = new PoolClient<number>(
    { pools: [`stratum+tcp://127.0.0.1:${server.port}`], user: USER },
    log.listener,
  );
  cleanups.push(() => client.close());
  client.start();
  await log.until(() => client.authorized && log.of("job").length > 0, "authorized with a job");
  return { server, client, log, logs };
}

/** Find a share for `job` with the native scan, from counter `start`; `next` is where to go on. */
function findShare(
  job: Job,
  epoch: number,
  extranonce1: string,
  target: bigint,
  start = 0,
): UpstreamShare & { next: number } {
  const xn1 = hexToBytes(extranonce1);
  const xn2 = new Uint8Array(32 - xn1.length);
  const tail = new Uint8Array(NONCE_TAIL_BYTES);
  tail.set(xn1, 0);
  hasher.prepareJob(job.hashInput(xn1, xn2, tail));
  const [counter] = hasher.scan(tail, start, 1_000_000, targetToLE(target), 1);
  if (counter === undefined) throw new Error("no share in a million hashes at difficulty 0.001");
  new DataView(tail.buffer).setUint32(TAIL_COUNTER_OFFSET, counter, true);
  const p = job.submitParams(USER, xn2, tail);
  return {
    epoch,
    jobId: p.jobId,
    nTime: p.nTime,
    extranonce2: p.extranonce2,
    solution: p.solution,
    next: counter + 1,
  };
}

function current(log: EventLog) {
  const job = log.of("job").at(-1)!;
  const target = log.of("target").at(-1)!.target;
  return { job: job.job, epoch: job.epoch, xn1: job.extranonce1, target };
}

const outcomes = (log: EventLog) =>
  log
    .of("result")
    .map((r) => [r.token, r.outcome.status, r.outcome.status === "rejected" ? r.outcome.reject.code : null]);

describe("client ⇄ built-in pool", () => {
  test("subscribe, authorize, job; a native-scan share is accepted; the same again is 22; a wrong nTime is 20", async () => {
    const { client, log } = await setup();
    const w = current(log);
    expect(w.xn1).toHaveLength(8); // the built-in pool's 4-byte extranonce1
    expect(log.of("target").at(-1)!.source).toBe("set_target");
    const s = findShare(w.job, w.epoch, w.xn1, w.target);
    client.submit(s, 1);
    await log.until(() => log.of("result").length === 1, "the first verdict");
    client.submit(s, 2);
    const wrongTime = s.nTime.slice(0, 7) + (s.nTime[7] === "0" ? "1" : "0");
    client.submit({ ...findShare(w.job, w.epoch, w.xn1, w.target, 5000), nTime: wrongTime }, 3);
    await log.until(() => log.of("result").length === 3, "three verdicts");
    expect(outcomes(log)).toEqual([
      [1, "accepted", null],
      [2, "rejected", 22],
      [3, "rejected", 20],
    ]);
    expect(log.of("result")[2]!.outcome).toMatchObject({ reject: { reason: "ntime-out-of-range" } });
  });

  test("stale: an old-job share that crosses the new block on the wire is 21; once the block is seen it is never sent", async () => {
    const { server, client, log } = await setup();
    const w = current(log);
    const old = findShare(w.job, w.epoch, w.xn1, w.target);
    server.newBlock();
    client.submit(old, 1); // same turn: the client has not read the new notify yet
    await log.until(
      () => log.of("result").length === 1 && log.of("job").length === 2,
      "the verdict and the new block",
    );
    expect(log.of("result")[0]!.outcome).toMatchObject({
      status: "rejected",
      reject: { code: 21, reason: "job-not-found" },
    });
    expect(log.of("job")[1]!.clean).toBe(true);
    client.submit(findShare(w.job, w.epoch, w.xn1, w.target, 7000), 2);
    expect(log.of("result")[1]!.outcome).toEqual({ status: "stale", reason: "job-gone" });
    const fresh = current(log);
    client.submit(findShare(fresh.job, fresh.epoch, fresh.xn1, fresh.target), 3);
    await log.until(() => log.of("result").length === 3, "the fresh share's verdict");
    expect(log.of("result")[2]!.outcome).toEqual({ status: "accepted" });
  });

  test("12 shares at once pass the pool's 10 240-byte flood guard (3 in flight at most)", async () => {
    const { client, log, server } = await setup();
    const w = current(log);
    let start = 0;
    for (let i = 0; i < 12; i++) {
      const s = findShare(w.job, w.epoch, w.xn1, w.target, start);
      start = s.next;
      client.submit(s, i);
    }
    await log.until(() => log.of("result").length === 12, "12 verdicts");
    expect(log.of("result").every((r) => r.outcome.status === "accepted")).toBe(true);
    expect(log.of("state").some((s) => s.state === "disconnected")).toBe(false);
    expect(server.stats().connections).toBe(1);
  });
});
