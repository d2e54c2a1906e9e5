// The core against the built-in pool in the same process (ephemeral loopback port), with fake
// sinks for the transports: leases, work, verdicts with the native hash, forwarding, the ledger.

import { afterEach, describe, expect, test } from "bun:test";
import type { ShareResult } from "../../src/bridge/index.ts";
import type { BridgeStack } from "../../src/cli/compose.ts";
import { bytesToHex, difficultyToTarget, targetToDifficulty } from "../../src/protocol/index.ts";
import {
  ADDRESS,
  connect,
  FakeSink,
  findTail,
  startBridge,
  stratumShare,
  until,
  verdict,
} from "./harness.ts";

const stacks: BridgeStack[] = [];
afterEach(async () => {
  for (const st of stacks.splice(0)) await st.stop();
});
function bridge(...a: Parameters<typeof startBridge>): BridgeStack {
  const st = startBridge(...a);
  stacks.push(st);
  return st;
}

const rejectCode = (r: ShareResult) => (r.outcome.status === "rejected" ? r.outcome.reject.code : null);

describe("sessions and work", () => {
  test("disjoint extranonce1 (pool xn1 ‖ distinct lease), clean first job, the miner's own target", async () => {
    const st = bridge();
    const b = st.bridge;
    const a = await connect(b, `${ADDRESS}.a`);
    const c = await connect(b, `${ADDRESS}.c`, "stratum");
    const [wa, wc] = [a.sink.last, c.sink.last];
    const poolXn1 = b.stats().upstreams[0]!.extranonce1!;
    expect(poolXn1).toHaveLength(8);
    for (const w of [wa, wc]) {
      expect(w.extranonce1).toHaveLength(6); // 4-byte pool xn1 + 2 lease bytes
      expect(bytesToHex(w.extranonce1).startsWith(poolXn1)).toBe(true);
      expect(w.extranonce2Size).toBe(26);
      expect(w.clean).toBe(true);
      expect(w.difficulty).toBe(0.001); // ws/tcp 0.001 < the pool's 0.01
      expect(w.target).toBe(difficultyToTarget(0.001));
    }
    expect(bytesToHex(wa.extranonce1)).not.toBe(bytesToHex(wc.extranonce1));
    expect(b.stats().sessions).toEqual({ "ws-msgpack": 1, "ws-json": 0, stratum: 1 });
    // The next job of the same block is not clean.
    st.builtinPool!.newJob();
    await until(() => a.sink.works.length === 2, "the next job");
    expect(a.sink.last.clean).toBe(false);
  });

  test("the miner's difficulty is never harder than the pool's", async () => {
    const b = bridge({ "bridge.ws_difficulty": 5, "builtin_pool.difficulty": 0.02 }).bridge;
    const m = await connect(b);
    expect(m.sink.last.difficulty).toBe(0.02);
  });
});

describe("verdicts", () => {
  test("a tail share at the miner's target is credited — on disk before it is acknowledged", async () => {
    const b = bridge().bridge;
    const m = await connect(b, `${ADDRESS}.rig1`);
    const w = m.sink.last;
    const poolTarget = difficultyToTarget(0.01);
    // A share meeting the miner's target but not the pool's: credited, not forwarded.
    let found = findTail(w, w.target);
    while (findTail(w, poolTarget, found.counter, true).counter !== found.counter)
      found = findTail(w, w.target, found.counter + 1);
    // SQLite reads at call time: the row as it was when the miner was told.
    let rowAtAck: Promise<unknown> = Promise.resolve(undefined);
    m.sink.onResult = () => (rowAtAck = b.worker(`${ADDRESS}.rig1`));
    const r = await verdict(m, { kind: "tail", jobId: w.jobId, tail: found.tail });
    expect(r.outcome).toEqual({ status: "accepted", difficulty: 0.001, forwarded: false });
    expect(await rowAtAck).toMatchObject({
      worker: `${ADDRESS}.rig1`,
      accepted: 1,
      acceptedDifficulty: 0.001,
    });
    expect(b.stats().shares).toMatchObject({ accepted: 1, rejected: 0, creditedDifficulty: 0.001 });
  });

  test("a share meeting the pool's target is forwarded and accepted by the pool", async () => {
    const st = bridge();
    const b = st.bridge;
    const m = await connect(b, `${ADDRESS}.rig2`);
    const w = m.sink.last;
    const f = findTail(w, difficultyToTarget(0.01));
    const r = await verdict(m, { kind: "tail", jobId: w.jobId, tail: f.tail });
    expect(r.outcome).toEqual({ status: "accepted", difficulty: 0.001, forwarded: true });
    await until(() => b.stats().pool.accepted === 1, "the pool's answer");
    expect(st.builtinPool!.stats().accepted).toBe(1);
    await until(
      async () => (await b.worker(`${ADDRESS}.rig2`))?.poolAccepted === 1,
      "the pool result in the ledger",
    );
    expect(b.stats().pool).toEqual({ submitted: 1, accepted: 1, rejected: 0, stale: 0, lost: 0 });
  });

  test("below the miner's target → 23; the same share again → 22; unknown job → 21", async () => {
    const b = bridge().bridge;
    const m = await connect(b);
    const w = m.sink.last;
    const low = findTail(w, w.target, 0, true);
    expect(rejectCode(await verdict(m, { kind: "tail", jobId: w.jobId, tail: low.tail }))).toBe(23);
    const good = findTail(w, w.target, low.counter + 1);
    expect((await verdict(m, { kind: "tail", jobId: w.jobId, tail: good.tail })).outcome.status).toBe(
      "accepted",
    );
    expect(rejectCode(await verdict(m, { kind: "tail", jobId: w.jobId, tail: good.tail }))).toBe(22);
    expect(rejectCode(await verdict(m, { kind: "tail", jobId: "nope", tail: good.tail }))).toBe(21);
    expect(b.stats().shares.rejectedByCode).toEqual({ "21": 1, "22": 1, "23": 1 });
  });

  test("a share of a job voided by a new block is stale (21)", async () => {
    const st = bridge();
    const b = st.bridge;
    const m = await connect(b);
    const old = m.sink.last;
    const f = findTail(old, old.target);
    st.builtinPool!.newBlock();
    await until(() => m.sink.works.length === 2, "the new block's job");
    expect(m.sink.last.clean).toBe(true);
    expect(rejectCode(await verdict(m, { kind: "tail", jobId: old.jobId, tail: f.tail }))).toBe(21);
  });

  test("Stratum submits: honest → accepted; modified template byte → 20; same tail, other extranonce2 → 22", async () => {
    const b = bridge().bridge;
    const m = await connect(b, `${ADDRESS}.cc`, "stratum");
    const w = m.sink.last;
    const f = findTail(w, w.target);
    const honest = stratumShare(w, f.tail);
    expect((await verdict(m, honest)).outcome.status).toBe("accepted");
    const other = findTail(w, w.target, f.counter + 1);
    const s = stratumShare(w, other.tail);
    const solution = Uint8Array.from(s.solution!);
    solution[3 + 600]! ^= 0x10; // a byte in the middle of the template, after "fd4005"
    const forged = { ...s, solution };
    const r = await verdict(m, forged);
    expect(r.outcome).toMatchObject({
      status: "rejected",
      reject: { code: 20, message: "solution does not match the job's template" },
    });
    const xn2 = new Uint8Array(w.extranonce2Size).fill(7);
    expect(rejectCode(await verdict(m, stratumShare(w, f.tail, xn2)))).toBe(22);
  });

  test("a tail that does not start with the session's extranonce1 → 20 pool nonce missing", async () => {
    const b = bridge().bridge;
    const m1 = await connect(b);
    const m2 = await connect(b);
    const w1 = m1.sink.last;
    // m1 hashes a tail carrying m2's extranonce1 and submits it as its own.
    const f = findTail(w1, w1.target, 0, false, m2.sink.last.extranonce1);
    const r = await verdict(m1, { kind: "tail", jobId: w1.jobId, tail: f.tail });
    expect(r.outcome).toMatchObject({
      status: "rejected",
      reject: { code: 20, reason: "pool-nonce-missing" },
    });
  });

  test("unauthorised shares → 24; a wrong-size tail → 20", async () => {
    const b = bridge().bridge;
    const m = await connect(b);
    expect(
      rejectCode(await verdict(m, { kind: "tail", jobId: m.sink.last.jobId, tail: new Uint8Array(14) })),
    ).toBe(20);
    const sink = new FakeSink();
    const s = b.open({ transport: "ws-json", remote: "127.0.0.1" }, sink);
    s.submit({ kind: "tail", jobId: "x", tail: new Uint8Array(15) }, 1);
    expect(rejectCode(sink.results[0]!)).toBe(24);
    expect(s.authorize("not valid", "x").ok).toBe(false);
  });
});

describe("guards", () => {
  test("too many invalid shares end the session", async () => {
    const b = bridge().bridge;
    const m = await connect(b);
    const w = m.sink.last;
    let start = 0;
    for (let i = 0; i < 20; i++) {
      const low = findTail(w, w.target, start, true);
      start = low.counter + 1;
      m.session.submit({ kind: "tail", jobId: w.jobId, tail: low.tail }, i);
    }
    expect(m.sink.ends).toEqual([
      { reason: "too-many-invalid", detail: "20 of the last 20 shares were invalid" },
    ]);
    expect(b.stats().sessions["ws-msgpack"]).toBe(0);
  });

  test("over the rate limit: refused unchecked, 4× harder at once (once a second), ended when it cannot rise", async () => {
    let now = 1_000_000;
    const b = bridge({ "bridge.max_shares_per_second": 1 }, { clock: () => now }).bridge;
    const m = await connect(b);
    const flood = (n: number) => {
      for (let i = 0; i < n; i++)
        m.session.submit(
          { kind: "tail", jobId: "gone", tail: new Uint8Array(15) },
          m.sink.results.length + i,
        );
    };
    // Burst of 2 checked (21: unknown job), then refused unchecked (20); the first refusal resends
    // the current job 4× harder and forgives the debt.
    flood(6);
    expect(m.sink.results.map(rejectCode)).toEqual([21, 21, 20, 20, 20, 20]);
    expect(m.sink.works.map((w) => [w.difficulty, w.clean])).toEqual([
      [0.001, true],
      [0.004, false],
    ]);
    expect(m.sink.ends).toEqual([]);
    // A second later it is still flooding: harder again, up to the pool's 0.01.
    now += 1000;
    flood(6);
    expect(m.sink.last.difficulty).toBe(0.01);
    expect(m.sink.ends).toEqual([]);
    // At the pool's difficulty nothing is left to raise: a burst of debt ends the session.
    now += 1000;
    flood(6);
    expect(m.sink.ends).toEqual([{ reason: "rate-limited", detail: "more than 1 shares per second" }]);
    expect(m.sink.works).toHaveLength(3);
  });
});

describe("shutdown", () => {
  test("stop ends sessions as bridge-closing and refuses new ones", async () => {
    const st = startBridge();
    const b = st.bridge;
    const m = await connect(b);
    await st.stop();
    expect(m.sink.ends).toEqual([{ reason: "bridge-closing" }]);
    expect(() => b.open({ transport: "stratum", remote: "x" }, m.sink)).toThrow(
      expect.objectContaining({ code: "E_BRIDGE_CLOSED" }),
    );
  });
});

test("pool difficulty parses back as the target's", () => {
  expect(targetToDifficulty(difficultyToTarget(0.01))).toBeCloseTo(0.01);
});
