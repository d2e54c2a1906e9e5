// The synthetic job source: templates shaped like a real verusd's v7 template, a pre-header hash
// that clears under the pool rule with the daemon nonce, deterministic from a seed, and the
// job/block schedule driven by the caller's clock.

import { describe, expect, test } from "bun:test";
import { preheaderHash } from "../../src/hash/index.ts";
import { hexToBytes } from "../../src/protocol/hex.ts";
import { decodeFromPool, encodePoolMessage } from "../../src/protocol/pool-messages.ts";
import { assembleInput, poolRuleOutcome } from "../../src/protocol/pbaas.ts";
import { compactToTarget } from "../../src/protocol/target.ts";
import { seededRandom, systemRandom } from "../../src/pool/random.ts";
import {
  SyntheticJobSource,
  trimTrailingZeroBytes,
  VRSC_CHAIN_ID,
  type SyntheticOptions,
} from "../../src/pool/synthetic.ts";
import { testPreHeaderHash } from "../protocol/fixtures.ts";

const T0 = 1_795_238_821_000;

function source(seed = 1, extra: Partial<SyntheticOptions> = {}): SyntheticJobSource {
  return new SyntheticJobSource(
    { random: seededRandom(seed), jobIntervalMs: 5000, blockIntervalMs: 60_000, ...extra },
    T0,
  );
}

/** The 1487 bytes the pool hashes: the job's header with the daemon nonce, the template, a tail. */
function poolInput(s: SyntheticJobSource, nonce?: Uint8Array): Uint8Array {
  const job = s.current.job;
  return assembleInput(job.header(nonce ?? job.daemonNonce!), job.solution(new Uint8Array(15)));
}

describe("template shape", () => {
  const s = source();
  const { job } = s.current;
  const sol = job.template();

  test("header fields like a real template", () => {
    expect(job.notify.version).toBe("04000100");
    expect(job.notify.nBits).toBe("0562021b");
    expect(job.blockTarget).toBe(compactToTarget(0x1b026205));
    expect(job.notify.prevHash).toMatch(/^[0-9a-f]{52}0{12}$/); // high bytes zero, as a real block hash
    expect(job.notify.cleanJobs).toBe(true);
    expect(job.daemonNonce).toHaveLength(32);
    expect(job.notify.nTime).toBe(Buffer.from(Uint32Array.of(T0 / 1000).buffer).toString("hex"));
  });

  test("solution version 7, descrBits 1, 1 PBaaS header, extraDataSize 4", () => {
    expect(job.solutionVersion).toBe(7);
    expect(job.solutionVersionHex).toBe("07000000");
    expect(sol[4]).toBe(1);
    expect(job.pbaasHeaderCount).toBe(1);
    expect(sol[6]! | (sol[7]! << 8)).toBe(4);
    expect(job.pbaasCleared).toBe(true);
  });

  test("VRSC's chain id first, then the pre-header hash, then the 01000000 extra data", () => {
    expect(Buffer.from(sol.subarray(72, 92)).toString("hex")).toBe(VRSC_CHAIN_ID);
    expect(Array.from(sol.subarray(124, 128))).toEqual([1, 0, 0, 0]);
    expect(sol.subarray(128).every((b) => b === 0)).toBe(true);
  });

  test("notify param 8 is the template with trailing zeros trimmed (125 bytes)", () => {
    expect(job.notify.solution).toHaveLength(250);
    expect(job.notify.solution.endsWith("01")).toBe(true);
    expect(hexToBytes(job.notify.solution)).toEqual(sol.subarray(0, 125));
  });

  test("the pre-header hash clears the pool rule with the daemon nonce (native and JS BLAKE2b agree)", () => {
    expect(poolRuleOutcome(poolInput(s), preheaderHash)).toBe("clear");
    expect(poolRuleOutcome(poolInput(s), testPreHeaderHash)).toBe("clear");
  });

  test("with a miner's nonce instead of the daemon's, the pool rule finds a mismatch", () => {
    expect(poolRuleOutcome(poolInput(s, new Uint8Array(32).fill(0x11)), preheaderHash)).toBe("mismatch");
  });

  test("the notify survives the wire: encoded, decoded strictly, equal", () => {
    const line = encodePoolMessage(job.notify);
    expect(decodeFromPool(line)).toEqual(job.notify);
  });

  test("the random MMR roots are not zero", () => {
    expect(sol.subarray(8, 72).some((b) => b !== 0)).toBe(true);
  });
});

describe("schedule", () => {
  test("nothing is due before the job interval", () => {
    const s = source();
    expect(s.dueAt).toBe(T0 + 5000);
    expect(s.poll(T0 + 4999)).toBeNull();
  });

  test("a due job re-issues the block: new id and nTime, same prev, clean=false", () => {
    const s = source();
    const first = s.current;
    const w = s.poll(T0 + 5000)!;
    expect(w.newBlock).toBe(false);
    expect(w.job.notify.cleanJobs).toBe(false);
    expect(w.height).toBe(first.height);
    expect(w.job.id).not.toBe(first.job.id);
    expect(w.job.nTime).toBe(first.job.nTime + 5);
    expect(w.job.notify.prevHash).toBe(first.job.notify.prevHash);
    expect(w.job.notify.solution).toBe(first.job.notify.solution);
    expect(w.job.daemonNonce).toEqual(first.job.daemonNonce!);
    expect(s.dueAt).toBe(T0 + 10_000);
  });

  test("a due block wins over a due job: new prev, template and daemon nonce, clean=true, height + 1", () => {
    const s = source();
    const first = s.current;
    const w = s.poll(T0 + 60_000)!;
    expect(w.newBlock).toBe(true);
    expect(w.job.notify.cleanJobs).toBe(true);
    expect(w.height).toBe(first.height + 1);
    expect(w.job.notify.prevHash).not.toBe(first.job.notify.prevHash);
    expect(w.job.notify.solution).not.toBe(first.job.notify.solution);
    expect(poolRuleOutcome(poolInput(s), preheaderHash)).toBe("clear");
  });

  test("job ids are short hex counters", () => {
    const s = source();
    const ids = [s.current.job.id];
    for (let i = 1; i <= 5; i++) ids.push(s.newJob(T0).job.id);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{1,4}$/);
    const n = ids.map((id) => parseInt(id, 16));
    for (let i = 1; i < n.length; i++) expect(n[i]).toBe(n[i - 1]! + 1);
  });

  test("every job gets a later nTime, even within one second", () => {
    const s = source();
    const times = [
      s.current.job.nTime,
      s.newJob(T0).job.nTime,
      s.newJob(T0 + 10).job.nTime,
      s.newBlock(T0 + 20).job.nTime,
    ];
    expect(times).toEqual([times[0]!, times[0]! + 1, times[0]! + 2, times[0]! + 3]);
  });

  test("the block target follows nBits", () => {
    const s = source(1, { nBits: 0x2100ffff });
    expect(s.current.job.notify.nBits).toBe("ffff0021");
    expect(s.current.job.blockTarget).toBe(compactToTarget(0x2100ffff));
  });

  test("bad intervals are E_POOL_OPTIONS", () => {
    expect(() => source(1, { jobIntervalMs: 0 })).toThrow(
      expect.objectContaining({ code: "E_POOL_OPTIONS" }),
    );
    expect(() => source(1, { blockIntervalMs: NaN })).toThrow(
      expect.objectContaining({ code: "E_POOL_OPTIONS" }),
    );
  });
});

describe("determinism", () => {
  const run = (random: SyntheticOptions["random"]) => {
    const s = new SyntheticJobSource({ random, jobIntervalMs: 5000, blockIntervalMs: 60_000 }, T0);
    const notifies = [s.current.job.notify];
    for (let t = 5000; t <= 130_000; t += 5000) {
      const w = s.poll(T0 + t);
      if (w) notifies.push(w.job.notify);
    }
    return notifies;
  };

  test("the same seed and clock give the same jobs", () => {
    expect(run(seededRandom(42))).toEqual(run(seededRandom(42)));
  });

  test("another seed, or none, gives other jobs", () => {
    const a = run(seededRandom(42));
    expect(run(seededRandom(43))[0]!.prevHash).not.toBe(a[0]!.prevHash);
    expect(run(systemRandom)[0]!.prevHash).not.toBe(a[0]!.prevHash);
  });
});

test("trimTrailingZeroBytes removes whole zero bytes only", () => {
  expect(trimTrailingZeroBytes("0700000001")).toBe("0700000001");
  expect(trimTrailingZeroBytes("07000000010000")).toBe("0700000001");
  expect(trimTrailingZeroBytes("0710")).toBe("0710");
  expect(trimTrailingZeroBytes("0000")).toBe("");
});
