/** The benchmark machinery runs and reports sane shapes; speed is never asserted (STYLE.md §15). */
import { describe, expect, test } from "bun:test";
import { HASH_INPUT_BYTES } from "../../src/hash/index.ts";
import { minerRuleClears } from "../../src/protocol/layout.ts";
import { benchJob } from "../../src/perf/job.ts";
import { benchScan } from "../../src/perf/scan.ts";
import { benchVerdicts } from "../../src/perf/verdicts.ts";

describe("benchmarks", () => {
  test("the job is a real 1487-byte PBaaS header (the miner rule clears it, like every current job)", () => {
    const job = benchJob();
    expect(job.length).toBe(HASH_INPUT_BYTES);
    expect(minerRuleClears(job)).toBe(true);
  });

  test("scan with two worker threads reports both threads' hashes", async () => {
    const r = await benchScan("portable", 2, 0.05, benchJob());
    expect(r).toMatchObject({ impl: "portable", threads: 2 });
    expect(r.mhs).toBeGreaterThan(0);
  });

  test("share verdicts run on the calling thread and report a rate", () => {
    expect(benchVerdicts("portable", 0.05, benchJob())).toBeGreaterThan(0);
  });
});
