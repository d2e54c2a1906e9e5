// The built-in pool's view of one miner (PoolMiner) behind the shared Stratum server session,
// without sockets: what each line yields.

import { describe, expect, test } from "bun:test";
import { JobTable } from "../../src/pool/jobs.ts";
import { PoolMiner, type PoolMinerContext, type PoolMinerListener } from "../../src/pool/miner.ts";
import { seededRandom } from "../../src/pool/random.ts";
import { SyntheticJobSource } from "../../src/pool/synthetic.ts";
import type { CloseCode } from "../../src/protocol/close-codes.ts";
import type { Job } from "../../src/protocol/job.ts";
import type { VardiffOptions } from "../../src/protocol/vardiff.ts";
import { StratumServerSession } from "../../src/stratum/server-session.ts";

function setup(o: { vardiff?: VardiffOptions; listener?: PoolMinerListener } = {}) {
  let now = 0;
  const source = new SyntheticJobSource(
    { random: seededRandom(5), jobIntervalMs: 5000, blockIntervalMs: 60000 },
    now,
  );
  const jobs = new JobTable();
  jobs.push(source.current.job, true);
  const ctx: PoolMinerContext = {
    jobs,
    hashers: { hash22: () => new Uint8Array(32).fill(0xff), preHeaderHash: () => new Uint8Array(32) },
    now: () => now,
  };
  const miner = new PoolMiner(
    { id: 9, extranonce1: "1a2b3c4d", difficulty: 2, vardiff: o.vardiff ?? null },
    ctx,
    o.listener,
  );
  let out: string[] = [];
  const closes: [CloseCode, string][] = [];
  const session = new StratumServerSession(
    miner,
    { send: (lines) => out.push(...lines), close: (c, d) => closes.push([c, d]) },
    { garbage: "close" },
  );
  session.work(miner.workFor(source.current.job, true)); // as the server does when a miner connects
  const take = () => {
    const lines = out.map((l) => JSON.parse(l));
    out = [];
    return lines;
  };
  const rx = (line: unknown) => {
    session.receive(typeof line === "string" ? line : JSON.stringify(line));
    return take();
  };
  /** What the server sends for a new job. */
  const announce = (job: Job) => {
    session.work(miner.workFor(job, job.notify.cleanJobs));
    return take();
  };
  return { session, miner, source, jobs, rx, announce, closes, advance: (ms: number) => (now += ms) };
}

describe("PoolMiner in a Stratum server session", () => {
  test("subscribe: reply, set_target, clean notify; re-subscribe starts over the same way", () => {
    const { rx, session } = setup();
    const first = rx({ id: 1, method: "mining.subscribe", params: [] });
    expect(first[0]).toEqual({ id: 1, result: [null, "1a2b3c4d"], error: null });
    expect(first.slice(1).map((m) => m.method)).toEqual(["mining.set_target", "mining.notify"]);
    expect(first[1].params).toEqual(["0004000000000000000000000000000000000000000000000000000000000000"]);
    expect(first[2].params[7]).toBe(true);
    const again = rx({ id: 2, method: "mining.subscribe", params: [] });
    expect(again.map((m) => m.method ?? "reply")).toEqual(["reply", "mining.set_target", "mining.notify"]);
    expect(again[2].params[7]).toBe(true);
    expect(session.subscribed).toBe(true);
  });

  test("a job at an unchanged difficulty is a notify alone", () => {
    const { rx, announce, source } = setup();
    rx({ id: 1, method: "mining.subscribe", params: [] });
    expect(announce(source.newJob(1000).job).map((m) => m.method)).toEqual(["mining.notify"]);
  });

  test("no job lines before subscribe; after it, clean only when the job says so", () => {
    const { rx, announce, source } = setup();
    expect(announce(source.newJob(1000).job)).toEqual([]);
    rx({ id: 1, method: "mining.subscribe", params: [] });
    const next = announce(source.newJob(2000).job);
    expect(next.map((m) => m.method)).toEqual(["mining.notify"]);
    expect(next[0].params[7]).toBe(false);
    const block = announce(source.newBlock(3000).job);
    expect(block[0].params[7]).toBe(true);
  });

  test("the other methods verusProxy, Miningcore and node-stratum-pool clients send", () => {
    const { rx } = setup();
    expect(rx({ id: 1, method: "mining.pbaas.subscribe", params: [] })).toEqual([
      { id: 1, result: true, error: null },
    ]);
    expect(rx({ id: 2, method: "mining.get_transactions", params: [] })).toEqual([
      { id: 2, result: [], error: null },
    ]);
    expect(rx({ id: 3, method: "mining.suggest_target", params: ["00".repeat(32)] })).toEqual([
      { id: 3, result: false, error: [20, "Not supported.", null] },
    ]);
  });

  test("responses from the miner are ignored; non-RPC lines close the connection with their code (v-nomp)", () => {
    const { rx, closes } = setup();
    expect(rx({ id: 5, result: "pong", error: null })).toEqual([]);
    expect(rx("{")).toEqual([]);
    expect(rx("[]")).toEqual([]);
    expect(rx({ id: 1, method: "mining.submit", params: "x" })).toEqual([]);
    expect(closes).toEqual([
      ["E_MALFORMED", expect.stringContaining("E_BAD_JSON")],
      ["E_MALFORMED", expect.stringContaining("E_NOT_OBJECT")],
      ["E_MALFORMED", expect.stringContaining("E_BAD_PARAMS")],
    ]);
  });

  test("listener hears subscribe, authorize (ok or not), shares and unknown methods", () => {
    const heard: string[] = [];
    const { rx } = setup({
      listener: {
        subscribed: () => heard.push("subscribed"),
        authorized: (_, user, ok) => heard.push(`authorized ${user} ${ok}`),
        share: (_, __, v) => heard.push(`share ${v.ok ? "ok" : v.reject.code}`),
        unknownMethod: (_, m) => void heard.push(`unknown ${m}`),
      },
    });
    rx({ id: 1, method: "mining.subscribe", params: [] });
    rx({ id: 2, method: "mining.authorize", params: ["", "x"] });
    rx({ id: 3, method: "mining.submit", params: ["RAddr.w", "nope", "00000000", "00", "00"] });
    rx({ id: 4, method: "mining.authorize", params: ["RAddr.w", "x"] });
    rx({ id: 5, method: "mining.submit", params: ["RAddr.w", "nope", "00000000", "00", "00"] });
    rx({ id: 6, method: "x.y", params: [] });
    expect(heard).toEqual([
      "subscribed",
      "authorized  false",
      "share 24",
      "authorized RAddr.w true",
      "share 21",
      "unknown x.y",
    ]);
  });

  test("only a submit counts as activity for the idle clock", () => {
    const { rx, miner, advance } = setup();
    advance(5000);
    rx({ id: 1, method: "mining.subscribe", params: [] });
    rx({ id: 2, method: "mining.ping", params: [] });
    expect(miner.lastSubmitAt).toBe(0);
    rx({ id: 3, method: "mining.submit", params: ["w", "1", "00000000", "00", "00"] });
    expect(miner.lastSubmitAt).toBe(5000);
  });

  test("a vardiff change is announced with the next job, right before its notify", () => {
    const changes: [number, number][] = [];
    const vardiff = {
      targetShareSeconds: 10,
      retargetSeconds: 30,
      variancePercent: 30,
      minDifficulty: 0.1,
      maxDifficulty: 10,
    };
    const { rx, miner, announce, source, advance } = setup({
      vardiff,
      listener: { difficultyChanged: (_, d, p) => changes.push([p, d]) },
    });
    rx({ id: 1, method: "mining.subscribe", params: [] });
    advance(30_000);
    const lines = announce(source.newJob(30_000).job);
    expect(lines.map((m) => m.method)).toEqual(["mining.set_target", "mining.notify"]);
    expect(miner.difficulty).toBeCloseTo(2 / 3); // no share in 30 s: 10 s / 30 s of the old one
    expect(changes).toEqual([[2, miner.difficulty]]);
  });
});
