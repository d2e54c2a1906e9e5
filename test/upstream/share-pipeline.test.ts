import { describe, expect, test } from "bun:test";
import { CallTable } from "../../src/upstream/calls.ts";
import type { SubmitFate, StaleReason } from "../../src/upstream/events.ts";
import { silentLogger } from "../../src/util/log.ts";
import { SharePipeline } from "../../src/upstream/share-pipeline.ts";
import type { Submission } from "../../src/upstream/submits.ts";
import { resultLine, share, SOLUTION } from "./helpers.ts";
import { parseRpc, type RpcResponse } from "../../src/protocol/index.ts";

function rig(maxInFlight = 3, maxQueued = 10) {
  const sent: string[] = [];
  const outcomes: [number, SubmitFate][] = [];
  const dead = new Set<string>();
  const calls = new CallTable<number>();
  const p = new SharePipeline<number>(
    {
      calls,
      worker: "R.w",
      submitTimeoutMs: 1000,
      log: silentLogger,
      staleness: (s): StaleReason | null => (dead.has(s.share.jobId) ? "job-gone" : null),
      send: (t) => sent.push(t),
      report: (s, o) => outcomes.push([s.token, o]),
    },
    maxInFlight,
    maxQueued,
  );
  const sub = (token: number, jobId = "a"): Submission<number> => ({ token, share: share(1, jobId, token) });
  return { p, sent, outcomes, dead, calls, sub };
}

/** The submission a submit call carries (as the session finds it when the answer arrives). */
function submitCall(calls: CallTable<number>, id: number): Submission<number> {
  const call = calls.take(id);
  if (call?.kind !== "submit") throw new Error(`no submit call ${id}`);
  return call.submission;
}

const answer = (id: number, result: unknown, error: unknown = null) =>
  parseRpc(resultLine(id, result, error)) as RpcResponse;

describe("SharePipeline", () => {
  test("nothing is sent before open(); then at most the window, in order", () => {
    const { p, sent, sub } = rig();
    for (let i = 0; i < 5; i++) p.offer(sub(i), 0);
    expect(sent).toEqual([]);
    p.open(0);
    expect(sent.map((l) => JSON.parse(l).id)).toEqual([1, 2, 3]);
    expect([p.inFlight, p.waiting]).toEqual([3, 2]);
  });

  test("staleness is asked again at send time: a job that died while its share waited is never sent", () => {
    const { p, sent, outcomes, dead, calls, sub } = rig(1);
    p.open(0);
    p.offer(sub(0, "a"), 0);
    p.offer(sub(1, "a"), 0);
    p.offer(sub(2, "b"), 0);
    dead.add("a");
    p.answered(submitCall(calls, 1), answer(1, true), 0);
    expect(outcomes.map(([t, o]) => [t, o.status])).toEqual([
      [0, "accepted"],
      [1, "stale"],
    ]);
    expect(sent.map((l) => JSON.parse(l).params[1])).toEqual(["a", "b"]);
  });

  test("pause keeps shares queued; abandon reports in-flight lost and waiting stale, later offers stale", () => {
    const { p, outcomes, calls, sub } = rig(1);
    p.open(0);
    p.offer(sub(0), 0);
    p.pause();
    p.offer(sub(1), 0);
    expect(p.waiting).toBe(1);
    p.abandon(calls.clear(), "E_CONNECTION_RESET");
    p.offer(sub(2), 0);
    expect(outcomes).toEqual([
      [0, { status: "lost", reason: "E_CONNECTION_RESET" }],
      [1, { status: "stale", reason: "disconnected" }],
      [2, { status: "stale", reason: "disconnected" }],
    ]);
  });

  test("an unreadable answer is reported lost and rethrown for the session to end", () => {
    const { p, outcomes, calls, sub } = rig();
    p.open(0);
    p.offer(sub(0), 0);
    expect(() => p.answered(submitCall(calls, 1), answer(1, "weird"), 0)).toThrow(
      expect.objectContaining({ code: "E_BAD_RESULT" }),
    );
    expect(outcomes).toEqual([[0, { status: "lost", reason: "E_POOL_PROTOCOL" }]]);
  });

  test("over-long share fields are a RangeError (they could trip the flood guard)", () => {
    const { p, sub } = rig();
    const s = sub(0);
    expect(() => p.offer({ ...s, share: { ...s.share, solution: SOLUTION + "00" } }, 0)).toThrow(RangeError);
  });
});
