// The per-connection Stratum state machine, without sockets: what each line yields.

import { describe, expect, test } from "bun:test";
import { JobTable } from "../../src/pool/jobs.ts";
import { seededRandom } from "../../src/pool/random.ts";
import { Session, type SessionContext, type SessionListener } from "../../src/pool/session.ts";
import { SyntheticJobSource } from "../../src/pool/synthetic.ts";
import type { VardiffOptions } from "../../src/protocol/vardiff.ts";

function setup(o: { vardiff?: VardiffOptions; listener?: SessionListener } = {}) {
  let now = 0;
  const source = new SyntheticJobSource({ random: seededRandom(5), jobIntervalMs: 5000, blockIntervalMs: 60000 }, now);
  const jobs = new JobTable();
  jobs.push(source.current.job, true);
  const ctx: SessionContext = {
    jobs,
    hashers: { hash22: () => new Uint8Array(32).fill(0xff), preHeaderHash: () => new Uint8Array(32) },
    currentJob: () => source.current.job,
    now: () => now,
  };
  const session = new Session({ id: 9, extranonce1: "1a2b3c4d", difficulty: 2, vardiff: o.vardiff ?? null }, ctx, o.listener);
  const rx = (line: unknown) => session.receive(typeof line === "string" ? line : JSON.stringify(line)).map((l) => JSON.parse(l));
  return { session, source, jobs, rx, advance: (ms: number) => (now += ms) };
}

describe("Session", () => {
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

  test("no job lines before subscribe; after it, clean only when the job says so", () => {
    const { rx, session, source } = setup();
    expect(session.jobLines(source.newJob(1000).job)).toEqual([]);
    rx({ id: 1, method: "mining.subscribe", params: [] });
    const next = session.jobLines(source.newJob(2000).job).map((l) => JSON.parse(l));
    expect(next.map((m) => m.method)).toEqual(["mining.notify"]);
    expect(next[0].params[7]).toBe(false);
    const block = session.jobLines(source.newBlock(3000).job).map((l) => JSON.parse(l));
    expect(block[0].params[7]).toBe(true);
  });

  test("the other methods verusProxy, Miningcore and node-stratum-pool clients send", () => {
    const { rx } = setup();
    expect(rx({ id: 1, method: "mining.pbaas.subscribe", params: [] })).toEqual([{ id: 1, result: true, error: null }]);
    expect(rx({ id: 2, method: "mining.get_transactions", params: [] })).toEqual([{ id: 2, result: [], error: null }]);
    expect(rx({ id: 3, method: "mining.suggest_target", params: ["00".repeat(32)] })).toEqual([
      { id: 3, result: false, error: [20, "Not supported.", null] },
    ]);
  });

  test("responses from the miner are ignored; non-RPC lines throw coded errors", () => {
    const { rx } = setup();
    expect(rx({ id: 5, result: "pong", error: null })).toEqual([]);
    expect(() => rx("{")).toThrow(expect.objectContaining({ code: "E_BAD_JSON" }));
    expect(() => rx("[]")).toThrow(expect.objectContaining({ code: "E_NOT_OBJECT" }));
    expect(() => rx({ id: 1, method: "mining.submit", params: "x" })).toThrow(expect.objectContaining({ code: "E_BAD_PARAMS" }));
  });

  test("listener hears subscribe, authorize (ok or not), shares and unknown methods", () => {
    const heard: string[] = [];
    const { rx } = setup({
      listener: {
        subscribed: () => heard.push("subscribed"),
        authorized: (_, user, ok) => heard.push(`authorized ${user} ${ok}`),
        share: (_, __, v) => heard.push(`share ${v.ok ? "ok" : v.reject.code}`),
        unknownMethod: (_, m) => heard.push(`unknown ${m}`),
      },
    });
    rx({ id: 1, method: "mining.subscribe", params: [] });
    rx({ id: 2, method: "mining.authorize", params: ["", "x"] });
    rx({ id: 3, method: "mining.authorize", params: ["RAddr.w", "x"] });
    rx({ id: 4, method: "mining.submit", params: ["RAddr.w", "nope", "00000000", "00", "00"] });
    rx({ id: 5, method: "x.y", params: [] });
    expect(heard).toEqual(["subscribed", "authorized  false", "authorized RAddr.w true", "share 21", "unknown x.y"]);
  });

  test("only a submit counts as activity for the idle clock", () => {
    const { rx, session, advance } = setup();
    advance(5000);
    rx({ id: 1, method: "mining.subscribe", params: [] });
    rx({ id: 2, method: "mining.ping", params: [] });
    expect(session.lastSubmitAt).toBe(0);
    rx({ id: 3, method: "mining.submit", params: ["w", "1", "00000000", "00", "00"] });
    expect(session.lastSubmitAt).toBe(5000);
  });

  test("a vardiff change is announced with the next job, right before its notify", () => {
    const changes: [number, number][] = [];
    const vardiff = { targetShareSeconds: 10, retargetSeconds: 30, variancePercent: 30, minDifficulty: 0.1, maxDifficulty: 10 };
    const { rx, session, source, advance } = setup({ vardiff, listener: { difficultyChanged: (_, d, p) => changes.push([p, d]) } });
    rx({ id: 1, method: "mining.subscribe", params: [] });
    advance(30_000);
    const lines = session.jobLines(source.newJob(30_000).job).map((l) => JSON.parse(l));
    expect(lines.map((m) => m.method)).toEqual(["mining.set_target", "mining.notify"]);
    expect(session.difficulty).toBeCloseTo(2 / 3); // no share in 30 s: 10 s / 30 s of the old one
    expect(changes).toEqual([[2, session.difficulty]]);
  });
});
