// The optional stats endpoint: loopback only, GET / and /summary answer the summary JSON,
// anything else is 404; a taken port is E_MINER_API at start.

import { afterEach, describe, expect, test } from "bun:test";
import { startStatsApi } from "../../src/miner/api.ts";
import type { MinerSummary } from "../../src/miner/index.ts";
import { codeOf } from "../support/errors.ts";
import { startMiner, startPool, until } from "./helpers.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe("stats endpoint", () => {
  test("a running miner serves its summary on 127.0.0.1", async () => {
    const server = startPool();
    cleanups.push(() => server.stop());
    const r = await startMiner({ pools: [`stratum+tcp://127.0.0.1:${server.port}`], threads: 1, apiPort: 0 });
    cleanups.push(() => r.miner.stop("test over"));
    const port = r.miner.apiPort!;
    expect(port).toBeGreaterThan(0);
    expect(r.lines.some((l) => l.includes(`stats on http://127.0.0.1:${port}/`))).toBe(true);
    await until(() => r.miner.summary().accepted >= 1, "a share");
    const res = await fetch(`http://127.0.0.1:${port}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    const s = (await res.json()) as MinerSummary;
    expect(s.accepted).toBeGreaterThanOrEqual(1);
    expect(s.unsent).toBeGreaterThanOrEqual(0); // issue 10: the never-sent count is served too
    expect(s.submitted).toBeGreaterThanOrEqual(s.accepted);
    expect(s.threads).toHaveLength(1);
    expect(s.pool).toBe(`stratum+tcp://127.0.0.1:${server.port}`);
    expect((await fetch(`http://127.0.0.1:${port}/summary`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}/`, { method: "POST", body: "{}" })).status).toBe(404);
    await r.miner.stop("test over");
    expect(r.miner.apiPort).toBe(port);
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow(); // closed with the miner
  }, 30_000);

  test("a port already in use is E_MINER_API", () => {
    const taken = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    cleanups.push(() => taken.stop(true));
    expect(codeOf(() => startStatsApi(taken.port, () => ({}) as MinerSummary))).toBe("E_MINER_API");
  });
});
