// ccminer's text API on the stats port: a plain TCP client sends `summary` / `pool` / `threads`
// (with or without `|`, with or without a line end), reads KEY=VALUE;…| groups until the server
// closes; HTTP on the same port still answers the JSON. Caps: a long request, an idle client.

import { afterEach, describe, expect, test } from "bun:test";
import pkg from "../../package.json";
import { startStatsApi } from "../../src/miner/api.ts";
import type { MinerSummary } from "../../src/miner/index.ts";
import { startMiner, startPool, until, USER } from "./helpers.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Answer {
  raw: string;
  /** Each `|`-ended group as a key → value map. */
  groups: Record<string, string>[];
  closed: boolean;
}

/** The small client: sends `parts` (one write each), reads until the server closes (bounded). */
function ask(port: number, parts: string[], timeoutMs = 10_000): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let raw = "";
    const timer = setTimeout(() => reject(new Error(`no close within ${timeoutMs} ms: ${raw}`)), timeoutMs);
    void Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        async open(s) {
          for (const p of parts) {
            s.write(p);
            await Bun.sleep(30);
          }
        },
        data(_s, chunk) {
          raw += chunk.toString();
          if (raw.length > 1 << 20) reject(new Error("answer too large"));
        },
        close() {
          clearTimeout(timer);
          resolve({ raw, groups: parse(raw), closed: true });
        },
        error: (_s, e) => reject(e),
      },
    }).catch(reject);
  });
}

function parse(raw: string): Record<string, string>[] {
  const text = raw.replace(/\0$/, "");
  if (!text.endsWith("|")) return []; // nothing, or not a text answer (HTTP)
  return text
    .slice(0, -1)
    .split("|")
    .map((g) => Object.fromEntries(g.split(";").map((kv) => kv.split("=", 2) as [string, string])));
}

const SUMMARY_KEYS = "NAME VER API ALGO GPUS KHS SOLV ACC REJ ACCMN DIFF NETKHS POOLS WAIT UPTIME TS".split(
  " ",
);
const POOL_KEYS =
  "POOL ALGO URL USER SOLV ACC REJ STALE H JOB DIFF BEST N2SZ N2 PING DISCO WAIT UPTIME LAST".split(" ");

const fixed: MinerSummary = {
  hashrate: 12_345,
  accepted: 7,
  rejected: 2,
  stale: 1,
  lost: 0,
  dropped: 0,
  invalid: 0,
  submitted: 10,
  unsent: 0,
  hashes: 1_234_500,
  uptime_s: 120.4,
  job_switch_ms_max: 3,
  threads: [6_000, 6_350],
  difficulty: 64,
  pool: "stratum+tcp://worker:secret@pool.example:9999",
};

describe("ccminer text API", () => {
  test("a mining vbridge answers summary, pool and threads with its own numbers; JSON on HTTP still", async () => {
    const server = startPool();
    cleanups.push(() => server.stop());
    const r = await startMiner({ pools: [`stratum+tcp://127.0.0.1:${server.port}`], threads: 2, apiPort: 0 });
    cleanups.push(() => r.miner.stop("test over"));
    const port = r.miner.apiPort!;
    await until(() => r.miner.summary().accepted >= 1, "a share");

    const before = Math.floor(Date.now() / 1000);
    const summary = await ask(port, ["summary|"]);
    expect(summary.raw.endsWith("|\0")).toBe(true); // ccminer sends the C string's NUL too
    expect(summary.groups).toHaveLength(1);
    const s = summary.groups[0]!;
    expect(Object.keys(s)).toEqual(SUMMARY_KEYS);
    expect(s).toMatchObject({ NAME: "vbridge", VER: pkg.version, API: "1.9", ALGO: "verus", GPUS: "2" });
    const json = r.miner.summary();
    expect(Number(s.ACC)).toBeGreaterThanOrEqual(1);
    expect(Number(s.ACC)).toBeLessThanOrEqual(json.accepted);
    expect(Number(s.REJ)).toBe(json.rejected);
    expect(Number(s.KHS)).toBeGreaterThan(0);
    expect(Number(s.DIFF)).toBe(json.difficulty!);
    expect(Number(s.UPTIME)).toBeGreaterThanOrEqual(0);
    expect(Number(s.TS)).toBeGreaterThanOrEqual(before);
    expect(Number(s.TS)).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));

    const pool = await ask(port, ["pool\n"]);
    expect(Object.keys(pool.groups[0]!)).toEqual(POOL_KEYS);
    expect(pool.groups[0]).toMatchObject({
      POOL: `127.0.0.1:${server.port}`,
      URL: `stratum+tcp://127.0.0.1:${server.port}`,
      ALGO: "verus",
    });

    const threads = await ask(port, ["threads"]);
    expect(threads.groups.map((g) => g.CPU)).toEqual(["0", "1"]);
    for (const g of threads.groups) expect(Number(g.KHS)).toBeGreaterThanOrEqual(0);

    // The same port still speaks HTTP, unchanged.
    const res = await fetch(`http://127.0.0.1:${port}/summary`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as MinerSummary).accepted).toBeGreaterThanOrEqual(1);
  }, 30_000);

  test("exact figures from the summary and the pool details; credentials never shown", async () => {
    const api = startStatsApi(
      0,
      () => fixed,
      () => ({ user: USER, pools: 2, jobId: "1a2b" }),
    );
    cleanups.push(() => api.stop());
    const s = (await ask(api.port, ["summary"])).groups[0]!;
    expect(s).toMatchObject({
      KHS: "12.35",
      ACC: "7",
      REJ: "2",
      DIFF: "64.000000",
      POOLS: "2",
      UPTIME: "120",
    });
    expect(s.ACCMN).toBe((420 / 120).toFixed(3));
    const p = (await ask(api.port, ["pool|0\r\n"])).groups[0]!;
    expect(p).toMatchObject({
      POOL: "pool.example:9999",
      URL: "stratum+tcp://pool.example:9999",
      USER,
      ACC: "7",
      REJ: "2",
      STALE: "1",
      JOB: "1a2b",
      DIFF: "64.000000",
    });
    const t = (await ask(api.port, ["threads|"])).groups;
    expect(t).toEqual([
      { CPU: "0", KHS: "6.00" },
      { CPU: "1", KHS: "6.35" },
    ]);
  });

  test("liberal in: case, spaces, a command split across packets, help", async () => {
    const api = startStatsApi(0, () => fixed);
    cleanups.push(() => api.stop());
    expect((await ask(api.port, [" SUMMARY \n"])).groups[0]!.NAME).toBe("vbridge");
    expect((await ask(api.port, ["sum", "mary"])).groups[0]!.NAME).toBe("vbridge");
    expect((await ask(api.port, ["G", "ET / HTTP/1.1\r\nHost: x\r\n\r\n"])).raw).toStartWith(
      "HTTP/1.1 200 OK",
    );
    expect((await ask(api.port, ["help"])).raw).toBe("summary\npool\nthreads\n|\0");
    expect((await ask(api.port, ["pool"])).groups[0]!.USER).toBe(""); // no pool details given
  });

  test("unknown commands and oversized requests get nothing and a close; HTTP stays HTTP", async () => {
    const api = startStatsApi(0, () => fixed);
    cleanups.push(() => api.stop());
    expect(await ask(api.port, ["quit|"])).toMatchObject({ raw: "", closed: true });
    expect(await ask(api.port, ["x".repeat(2000)])).toMatchObject({ raw: "", closed: true });
    const big = await ask(api.port, [`GET / HTTP/1.1\r\nX: ${"a".repeat(20_000)}`]);
    expect(big.raw).toStartWith("HTTP/1.1 431 ");
    const post = await fetch(`http://127.0.0.1:${api.port}/`, { method: "POST", body: "{}" });
    expect(post.status).toBe(404);
    const head = await fetch(`http://127.0.0.1:${api.port}/`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-type")).toContain("application/json");
  });

  test("an idle client is dropped after the idle timeout", async () => {
    const api = startStatsApi(0, () => fixed);
    cleanups.push(() => api.stop());
    const t0 = Date.now();
    const a = await ask(api.port, ["sum"], 15_000); // a prefix of a command: waits for the rest
    expect(a).toMatchObject({ raw: "", closed: true });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(4_000);
  }, 20_000);
});
