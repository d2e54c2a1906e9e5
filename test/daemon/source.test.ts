// DaemonJobSource (src/daemon/source.ts) against the verusd simulator: the start-up sequence of §9,
// longpoll (a new tip: clean; a new template on the same tip: not clean), blocknotify, a block
// submitted and confirmed, the daemon going away mid-run (the job kept, then idle once too old,
// work again when it is back), and a malformed template (coded, the previous job kept).

import { afterEach, beforeAll, afterAll, describe, expect, test } from "bun:test";
import { DaemonJobSource, DaemonRpc, type DaemonWork } from "../../src/daemon/index.ts";
import { Hasher } from "../../src/hash/index.ts";
import { difficultyToTarget, targetToLE } from "../../src/protocol/index.ts";
import { NONCE_TAIL_BYTES } from "../../src/protocol/layout.ts";
import { linesLogger } from "../support/log.ts";
import { startVerusd, type Verusd } from "../support/verusd.ts";
import { until } from "../e2e/stack.ts";

const TAIL_COUNTER_OFFSET = 11;
let hasher: Hasher;
let open: { stop(): unknown }[] = [];
beforeAll(() => void (hasher = Hasher.open("auto")));
afterAll(() => hasher.close());
afterEach(async () => {
  for (const o of open.reverse()) await o.stop();
  open = [];
});

async function setup(
  o: Parameters<typeof startVerusd>[0] = {},
  s: { maxJobAgeMs?: number; pollIntervalMs?: number; url?: (d: Verusd) => string } = {},
) {
  const d = await startVerusd({ target: difficultyToTarget(20), ...o });
  open.push(d);
  const logs: string[] = [];
  const rpc = new DaemonRpc({ url: s.url?.(d) ?? d.url, user: d.user, pass: d.pass, timeoutMs: 1000 });
  const source = new DaemonJobSource({
    rpc,
    log: linesLogger(logs),
    pollIntervalMs: s.pollIntervalMs ?? 5000,
    maxJobAgeMs: s.maxJobAgeMs ?? 120_000,
    timeoutMs: 1000,
  });
  open.push(source);
  const work: DaemonWork[] = [];
  const idle: string[] = [];
  source.listen({ work: (w) => work.push(w), idle: (r) => idle.push(r) });
  await source.ready;
  return { d, source, logs, work, idle };
}

describe("DaemonJobSource", () => {
  test("start-up as §9: getinfo, the probe batch, then getblocktemplate with the capabilities", async () => {
    const { d, source, work } = await setup();
    const methods = d.calls.map((c) => c.method);
    expect(methods.slice(0, 6)).toEqual([
      "getinfo",
      "getdifficulty",
      "getinfo",
      "getmininginfo",
      "submitblock",
      "getblocktemplate",
    ]);
    expect(d.calls[5]!.params).toEqual([{ capabilities: ["coinbasetxn", "workid", "coinbase/append"] }]);
    expect(source.current).not.toBeNull();
    expect(work).toHaveLength(1);
    expect(work[0]).toMatchObject({ newBlock: true, height: d.height + 1 });
  });

  test("longpoll: a new tip is a clean job, a new template on the same tip a job that is not", async () => {
    const { d, work } = await setup();
    await until(
      () =>
        d.calls.some(
          (c) => c.method === "getblocktemplate" && JSON.stringify(c.params).includes("longpollid"),
        ),
      "the longpoll",
    );
    d.newTemplate();
    await until(() => work.length === 2, "the new template");
    expect(work[1]!.newBlock).toBe(false);
    d.mintTip();
    await until(() => work.length === 3, "the new tip");
    expect(work[2]!.newBlock).toBe(true);
    expect(work[2]!.job.notify.cleanJobs).toBe(true);
    expect(work[2]!.job.notify.prevHash).not.toBe(work[1]!.job.notify.prevHash);
  });

  test("blocknotify (poke) fetches a template at once", async () => {
    const { d, source } = await setup({}, { pollIntervalMs: 60_000 });
    const before = d.calls.length;
    source.poke("blocknotify 00ff");
    await until(() => d.calls.length > before, "a getblocktemplate after the poke");
    expect(d.calls.at(-1)!.method).toBe("getblocktemplate");
  });

  test("a block found: assembled, submitmergedblock, accepted, confirmed by getblock", async () => {
    const { d, source } = await setup({ txCount: 5 });
    const job = source.current!.job;
    const header = job.header(job.daemonNonce!);
    const solution = job.template();
    const input = new Uint8Array(1487);
    input.set(header, 0);
    input.set([0xfd, 0x40, 0x05], 140);
    input.set(solution, 143);
    hasher.prepareJob(input);
    const tail = input.slice(1487 - NONCE_TAIL_BYTES);
    const [n] = hasher.scan(tail, 0, 1 << 24, targetToLE(job.blockTarget), 1);
    expect(n).toBeDefined();
    new DataView(tail.buffer).setUint32(TAIL_COUNTER_OFFSET, n!, true);
    solution.set(tail, solution.length - NONCE_TAIL_BYTES);
    const r = await source.submit(job, header, solution, hasher.jobHash(tail));
    expect(r).toMatchObject({ result: "accepted", confirmed: true });
    expect(r.height).toBe(d.height); // the block is the tip now
    expect(d.submitted.at(-1)).toMatchObject({ method: "submitmergedblock", result: null, txCount: 6 });
    // The tip moved: a clean template came and the old one is gone, so nothing more is sent for it.
    await until(() => source.current!.job !== job, "the next block's template");
    const again = await source.submit(job, header, solution, hasher.jobHash(tail));
    expect(again.result).toBe("stale: the template is gone");
    expect(d.submitted).toHaveLength(1);
  });

  test("the daemon away: the job is kept, then idle once too old; work again when it is back", async () => {
    const { d, source, work, idle, logs } = await setup({}, { maxJobAgeMs: 600, pollIntervalMs: 100 });
    const job = source.current!.job;
    d.setMode({ down: true });
    await until(() => idle.length === 1, "idle after the job aged", 10_000);
    expect(source.current!.job).toBe(job);
    expect(logs.some((l) => l.includes("E_DAEMON_CONNECT"))).toBe(true);
    d.setMode({ down: false });
    d.mintTip();
    await until(() => work.length >= 2, "work once the daemon is back", 10_000);
    expect(logs.some((l) => l.includes("answering again"))).toBe(true);
  });

  test("a malformed template: E_DAEMON_TEMPLATE logged, the previous job kept", async () => {
    let corrupt = false;
    // A pass-through in front of the simulator that can drop the template's solution.
    let upstream = "";
    const proxy = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(req) {
        const body = await req.text();
        const r = await fetch(upstream, { method: "POST", body, headers: req.headers });
        const text = await r.text();
        if (!corrupt || !body.includes("getblocktemplate")) return new Response(text, { status: r.status });
        const j = JSON.parse(text) as { result?: Record<string, unknown> };
        if (j.result) delete j.result.solution;
        return new Response(JSON.stringify(j), { status: r.status });
      },
    });
    open.push({ stop: () => proxy.stop(true) });
    const { d, source, work, logs } = await setup(
      {},
      {
        pollIntervalMs: 100,
        url: (sim) => ((upstream = sim.url), `http://127.0.0.1:${proxy.port}`),
      },
    );
    const job = source.current!.job;
    corrupt = true;
    d.mintTip();
    await until(() => logs.some((l) => l.includes("E_DAEMON_TEMPLATE")), "the coded error");
    expect(source.current!.job).toBe(job);
    expect(work).toHaveLength(1);
  });
});
