// The shared Stratum server session with hooks of the test's own: the dispatch both Stratum servers
// rely on (the pool's hooks are tested in test/pool/miner.test.ts, the bridge's end to end in
// test/downstream/stratum.test.ts).

import { describe, expect, test } from "bun:test";
import type { CloseCode } from "../../src/protocol/close-codes.ts";
import type { Notify } from "../../src/protocol/notify.ts";
import { rejectOf } from "../../src/protocol/reject.ts";
import type { SubmitParams } from "../../src/protocol/miner-messages.ts";
import {
  StratumServerSession,
  type ReconnectOption,
  type StratumServerHooks,
  type StratumWork,
  type SubmitAnswer,
} from "../../src/stratum/server-session.ts";

const NOTIFY: Notify = {
  method: "mining.notify",
  id: null,
  jobId: "pool-id",
  version: "04000100",
  prevHash: "11".repeat(32),
  merkleRoot: "22".repeat(32),
  finalSaplingRoot: "33".repeat(32),
  nTime: "de2d016b",
  nBits: "1d0fffff",
  cleanJobs: false,
  solution: "07000000",
};

function work(over: Partial<StratumWork> = {}): StratumWork {
  return {
    notify: NOTIFY,
    jobId: "j1",
    clean: false,
    extranonce1: "aabbccdd01",
    extranonce2Size: 27,
    target: 1n << 240n,
    ...over,
  };
}

function setup(
  o: { hooks?: Partial<StratumServerHooks>; garbage?: "close" | "answer"; reconnect?: ReconnectOption } = {},
) {
  const out: unknown[] = [];
  const closes: [CloseCode, string][] = [];
  const laterCloses: [number, CloseCode][] = [];
  const submits: [SubmitParams, unknown][] = [];
  const refused: number[] = [];
  const hooks: StratumServerHooks = {
    hello: () => true,
    authorize: (user) =>
      user === "bad"
        ? { ok: false }
        : user === "evil"
          ? { ok: false, close: { code: "E_UNAUTHORIZED", detail: "no" } }
          : { ok: true },
    submit: (s, id) => {
      submits.push([s, id]);
      return "later";
    },
    refused: (_, r) => refused.push(r.code),
    ...o.hooks,
  };
  const session = new StratumServerSession(
    hooks,
    {
      send: (lines) => out.push(...lines.map((l) => JSON.parse(l))),
      close: (c, d) => closes.push([c, d]),
      closeLater: (ms, c) => laterCloses.push([ms, c]),
    },
    { garbage: o.garbage ?? "answer", reconnect: o.reconnect ?? null },
  );
  const rx = (m: unknown) => {
    const verdict = session.receive(typeof m === "string" ? m : JSON.stringify(m));
    return {
      verdict,
      lines: out.splice(0) as {
        id?: unknown;
        method?: string;
        params?: unknown[];
        result?: unknown;
        error?: unknown;
      }[],
    };
  };
  return { session, rx, out, closes, laterCloses, submits, refused };
}

describe("StratumServerSession", () => {
  test("a subscribe before any work is answered when the first work arrives: reply, set_target, clean notify under the wire id", () => {
    const { session, rx, out } = setup();
    expect(rx({ id: 1, method: "mining.subscribe", params: ["ccminer/3.8.3"] }).lines).toEqual([]);
    session.work(work());
    expect(out[0]).toEqual({ id: 1, result: [null, "aabbccdd01"], error: null });
    expect(out.slice(1).map((m) => (m as { method: string }).method)).toEqual([
      "mining.set_target",
      "mining.notify",
    ]);
    const notify = out[2] as { id: null; params: unknown[] };
    expect(notify.id).toBeNull();
    expect(notify.params[0]).toBe("j1");
    expect(notify.params[7]).toBe(true);
    expect(session.subscribed).toBe(true);
  });

  test("hello refusing a subscribe leaves it unanswered (the hook closed the connection)", () => {
    const { session, rx, out } = setup({ hooks: { hello: () => false } });
    session.work(work());
    expect(rx({ id: 1, method: "mining.subscribe", params: [] }).lines).toEqual([]);
    expect(out).toEqual([]);
    expect(session.subscribed).toBe(false);
  });

  test("submit: not authorised → 24 before not subscribed → 25 (verus-stratum.md §5 step 1), both counted", () => {
    const { session, rx, out, refused, submits } = setup();
    const submit = { id: 7, method: "mining.submit", params: ["w", "j1", "de2d016b", "00", "00"] };
    expect(rx(submit).lines).toEqual([{ id: 7, result: null, error: [24, "unauthorized worker", null] }]);
    rx({ id: 2, method: "mining.authorize", params: ["w", "x"] });
    expect(rx(submit).lines).toEqual([{ id: 7, result: null, error: [25, "not subscribed", null] }]);
    expect(refused).toEqual([24, 25]);
    session.work(work());
    rx({ id: 3, method: "mining.subscribe", params: [] });
    expect(rx(submit).lines).toEqual([]); // the hook answers later
    expect(submits.map(([s, id]) => [s.jobId, id])).toEqual([["j1", 7]]);
    session.answer(7, { accepted: false, reject: rejectOf("duplicate") });
    session.answer(8, { accepted: true });
    expect(out.splice(0)).toEqual([
      { id: 7, result: null, error: [22, "duplicate share"] },
      { id: 8, result: true, error: null },
    ]);
  });

  test("a verdict the hook gives at once is the reply", () => {
    const answer: SubmitAnswer = { accepted: false, reject: rejectOf("job-not-found") };
    const { session, rx } = setup({ hooks: { submit: () => answer } });
    session.work(work());
    rx({ id: 1, method: "mining.subscribe", params: [] });
    rx({ id: 2, method: "mining.authorize", params: ["w", "x"] });
    expect(rx({ id: 3, method: "mining.submit", params: ["w", "j1", "de2d016b", "00", "00"] }).lines).toEqual(
      [{ id: 3, result: null, error: [21, "job not found"] }],
    );
  });

  test("authorize: refused is 24; refused with a close closes after the answer", () => {
    const { rx, closes, session } = setup();
    expect(rx({ id: 1, method: "mining.authorize", params: ["bad", "x"] }).lines).toEqual([
      { id: 1, result: false, error: [24, "unauthorized worker", null] },
    ]);
    expect(closes).toEqual([]);
    expect(rx({ id: 2, method: "mining.authorize", params: ["evil", "x"] }).lines).toEqual([
      { id: 2, result: false, error: [24, "unauthorized worker", null] },
    ]);
    expect(closes).toEqual([["E_UNAUTHORIZED", "no"]]);
    expect(session.authorized).toBe(false);
    expect(rx({ id: 3, method: "mining.authorize", params: ["w", "x"] }).lines[0]).toMatchObject({
      result: true,
    });
    expect(session.handshakeDone).toBe(false); // not subscribed yet
  });

  test("work after subscribe: set_target only on a change; a new extranonce1 is set_extranonce + clean, or E_RELEASED", () => {
    const { session, rx, out, closes } = setup();
    session.work(work());
    rx({ id: 1, method: "mining.extranonce.subscribe", params: [] });
    rx({ id: 2, method: "mining.subscribe", params: [] });
    out.splice(0);
    session.work(work({ jobId: "j2" }));
    expect(out.map((m) => (m as { method: string }).method)).toEqual(["mining.notify"]);
    out.splice(0);
    session.work(work({ jobId: "j3", target: 1n << 230n }));
    expect(out.map((m) => (m as { method: string }).method)).toEqual(["mining.set_target", "mining.notify"]);
    out.splice(0);
    session.work(work({ jobId: "j4", target: 1n << 230n, extranonce1: "aabbccdd02" }));
    expect(out[0]).toEqual({ id: null, method: "mining.set_extranonce", params: ["aabbccdd02", 27] });
    expect((out[1] as { params: unknown[] }).params[7]).toBe(true);
    expect(closes).toEqual([]);

    const plain = setup();
    plain.session.work(work());
    plain.rx({ id: 1, method: "mining.subscribe", params: [] });
    plain.session.work(work({ extranonce1: "aabbccdd02" }));
    expect(plain.closes).toEqual([["E_RELEASED", expect.any(String)]]);
  });

  test("with the reconnect option, a new extranonce1 for a miner that cannot be told: client.reconnect here (port a string), no more work, closed E_RELEASED after the wait", () => {
    const waits = [3, 0];
    const s = setup({
      reconnect: { host: "192.0.2.7", port: 3333, waitSeconds: () => waits.shift()!, graceMs: 250 },
    });
    s.session.work(work());
    s.rx({ id: 1, method: "mining.subscribe", params: [] });
    s.out.splice(0);
    s.session.work(work({ jobId: "j2", extranonce1: "aabbccdd02" }));
    expect(s.out.splice(0)).toEqual([
      { id: null, method: "client.reconnect", params: ["192.0.2.7", "3333", 3] },
    ]);
    expect(s.laterCloses).toEqual([[3250, "E_RELEASED"]]);
    expect(s.closes).toEqual([]);
    expect(s.session.released).toBe(true);
    s.session.work(work({ jobId: "j3", extranonce1: "aabbccdd03", clean: true }));
    expect(s.out).toEqual([]); // told once; nothing for the new lease it cannot use
    expect(s.laterCloses).toHaveLength(1);

    // A miner that sent extranonce.subscribe is never sent away.
    const xn = setup({
      reconnect: { host: "192.0.2.7", port: 3333, waitSeconds: () => 1, graceMs: 0 },
    });
    xn.session.work(work());
    xn.rx({ id: 1, method: "mining.extranonce.subscribe", params: [] });
    xn.rx({ id: 2, method: "mining.subscribe", params: [] });
    xn.out.splice(0);
    xn.session.work(work({ extranonce1: "aabbccdd02" }));
    expect(xn.out.map((m) => (m as { method: string }).method)).toEqual([
      "mining.set_extranonce",
      "mining.notify",
    ]);
    expect(xn.laterCloses).toEqual([]);
  });

  test("the small requests, and unknown methods (the hook hears their name)", () => {
    const heard: string[] = [];
    const { rx } = setup({ hooks: { unknownMethod: (m) => void heard.push(m) } });
    expect(rx({ id: 1, method: "mining.pbaas.subscribe", params: [] }).lines).toEqual([
      { id: 1, result: true, error: null },
    ]);
    expect(rx({ id: 2, method: "mining.get_transactions", params: [] }).lines).toEqual([
      { id: 2, result: [], error: null },
    ]);
    expect(rx({ id: 3, method: "mining.suggest_target", params: ["00".repeat(32)] }).lines).toEqual([
      { id: 3, result: false, error: [20, "Not supported.", null] },
    ]);
    expect(rx({ id: 4, method: "mining.ping", params: [] }).lines).toEqual([
      { id: 4, result: "pong", error: null },
    ]);
    expect(rx({ id: 5, method: "mining.fly", params: [] }).lines).toEqual([
      { id: 5, result: null, error: [20, "unknown method"] },
    ]);
    expect(rx({ id: null, method: "mining.fly", params: [] }).lines).toEqual([]);
    expect(heard).toEqual(["mining.fly", "mining.fly"]);
  });

  test("an unknown method the hook takes (the pool's vbridge.blocknotify) is answered true", () => {
    const heard: unknown[] = [];
    const { rx } = setup({
      hooks: { unknownMethod: (m, p) => (heard.push([m, p]), m === "vbridge.blocknotify") },
    });
    expect(rx({ id: 7, method: "vbridge.blocknotify", params: ["00ab"] }).lines).toEqual([
      { id: 7, result: true, error: null },
    ]);
    expect(rx({ id: 8, method: "mining.fly", params: [] }).lines).toEqual([
      { id: 8, result: null, error: [20, "unknown method"] },
    ]);
    expect(heard).toEqual([
      ["vbridge.blocknotify", ["00ab"]],
      ["mining.fly", []],
    ]);
  });

  test('garbage: answered with id null ("answer") or the connection closed E_MALFORMED ("close"); bad params answered by id either way', () => {
    const answer = setup();
    expect(answer.rx("not json")).toEqual({
      verdict: "bad",
      lines: [{ id: null, result: null, error: [20, "E_BAD_JSON: line is not valid JSON"] }],
    });
    const bad = answer.rx({ id: 9, method: "mining.submit", params: [1] });
    expect(bad.verdict).toBe("bad");
    expect(bad.lines[0]).toMatchObject({
      id: 9,
      result: null,
      error: [20, expect.stringMatching(/^E_BAD_PARAMS: /)],
    });
    const close = setup({ garbage: "close" });
    expect(close.rx("not json")).toEqual({ verdict: "bad", lines: [] });
    expect(close.closes).toEqual([["E_MALFORMED", "E_BAD_JSON: line is not valid JSON"]]);
    expect(close.rx({ id: 9, method: "mining.submit", params: [1] }).lines[0]).toMatchObject({
      id: 9,
      error: [20, expect.stringMatching(/^E_BAD_PARAMS: /)],
    });
  });

  test("client.show_message", () => {
    const { session, out } = setup();
    session.showMessage("hello miners");
    expect(out).toEqual([{ id: null, method: "client.show_message", params: ["hello miners"] }]);
  });
});
