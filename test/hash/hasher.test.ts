/**
 * The Hasher against every VerusHash 2.2 / miner-rule vector of ../shared/vectors/verushash.json,
 * through every implementation this CPU runs; the mining loop (prepared job, scan) against
 * one-by-one hashing; and the coded errors of the API.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  HASH_INPUT_BYTES,
  JOB_PREFIX_BYTES,
  NONCE_TAIL_BYTES,
  TAIL_COUNTER_OFFSET,
} from "../../src/protocol/layout.ts";
import { Hasher, preheaderHash } from "../../src/hash/hasher.ts";
import { availableImpls } from "../../src/hash/impl.ts";
import { meetsTargetLE } from "../../src/protocol/target.ts";
import { hexToBytes, bytesToHex } from "../../src/util/hex.ts";
import { shared } from "./shared-vectors.ts";

const job = hexToBytes(shared.mining.job);
const FIRST_PREHEADER = 143 + 92; // sol[92..123]: the first PBaaS header's hashPreHeader

function tailWithCounter(n: number): Uint8Array {
  const tail = job.slice(JOB_PREFIX_BYTES, JOB_PREFIX_BYTES + NONCE_TAIL_BYTES);
  new DataView(tail.buffer).setUint32(TAIL_COUNTER_OFFSET, n, true);
  return tail;
}

/** Nonces 0..count-1 whose hash meets `target`, by hashing each one. */
function bruteForce(h: Hasher, count: number, target: Uint8Array): number[] {
  const hits: number[] = [];
  for (let n = 0; n < count; n++) if (meetsTargetLE(h.jobHash(tailWithCounter(n)), target)) hits.push(n);
  return hits;
}

/** A target that roughly `fraction` of hashes meet: top byte scaled, the rest ff. */
function easyTarget(fraction: number): Uint8Array {
  const t = new Uint8Array(32).fill(0xff);
  t[31] = Math.floor(256 * fraction);
  return t;
}

test("this CPU runs the portable implementation at least", () => {
  expect(availableImpls()).toContain("portable");
});

describe.each(availableImpls())("%s", (impl) => {
  let h: Hasher;
  beforeAll(() => {
    h = Hasher.open(impl);
  });
  afterAll(() => h.close());

  test("opens the implementation asked for", () => {
    expect(h.impl).toBe(impl);
  });

  for (const v of shared.vectors) {
    if (v.raw !== undefined) {
      const want = v.raw;
      test(`${v.id}: plain VerusHash 2.2`, () => {
        expect(bytesToHex(h.hash(hexToBytes(v.input)))).toBe(want);
      });
    }
    if (v.miner !== undefined) {
      const want = v.miner;
      test(`${v.id}: miner rule${want.cleared ? " (cleared)" : ""}`, () => {
        const { hash, cleared } = h.hashHeader(hexToBytes(v.input));
        expect({ hash: bytesToHex(hash), cleared }).toEqual(want);
      });
    }
    if (v.canonical !== undefined) {
      const want = v.canonical;
      test(`${v.id}: plain 2.2 of the cleared header`, () => {
        expect(bytesToHex(h.hash(hexToBytes(want.input)))).toBe(want.hash);
      });
    }
    if (v.preheaderMatchesFirst !== undefined) {
      const want = v.preheaderMatchesFirst;
      test(`${v.id}: pre-header hash ${want ? "matches" : "differs from"} the first PBaaS header's`, () => {
        const input = hexToBytes(v.input);
        const first = bytesToHex(input.subarray(FIRST_PREHEADER, FIRST_PREHEADER + 32));
        expect(bytesToHex(preheaderHash(input)) === first).toBe(want);
      });
    }
  }

  test("mining-seq: one prepared job, every tail in order (catches a missing key restore)", () => {
    expect(h.prepareJob(job)).toBe(false);
    const got = shared.mining.steps.map((s) => bytesToHex(h.jobHash(hexToBytes(s.tail))));
    expect(got).toEqual(shared.mining.steps.map((s) => s.hash));
  });

  test("mining-seq: hashHeaderInto of each full header reuses the job and the caller's buffer", () => {
    const header = job.slice();
    const out = new Uint8Array(32);
    for (const s of shared.mining.steps) {
      header.set(hexToBytes(s.tail), JOB_PREFIX_BYTES);
      expect(h.hashHeaderInto(header, out)).toBe(false);
      expect(bytesToHex(out)).toBe(s.hash);
    }
  });

  test("a prepared job survives hashing other inputs in between", () => {
    h.prepareJob(job);
    const step = shared.mining.steps[3]!;
    h.hash(new Uint8Array(100).fill(7)); // re-keys the context for another input
    expect(bytesToHex(h.jobHash(hexToBytes(step.tail)))).toBe(step.hash);
  });

  test("scan returns exactly the nonces one-by-one hashing finds, in order", () => {
    h.prepareJob(job);
    const target = easyTarget(0.25);
    const want = bruteForce(h, 200, target);
    expect(want.length).toBeGreaterThan(10); // the target really is easy
    expect([...h.scan(tailWithCounter(0), 0, 200, target, 200)]).toEqual(want);
  });

  test("scan from a non-zero start covers exactly start..start+count-1", () => {
    h.prepareJob(job);
    const target = easyTarget(0.5);
    const want = bruteForce(h, 120, target).filter((n) => n >= 50 && n < 110);
    expect([...h.scan(tailWithCounter(0), 50, 60, target, 120)]).toEqual(want);
  });

  test("scan stops at max_found and resumes after the last nonce found", () => {
    h.prepareJob(job);
    const target = easyTarget(0.5);
    const want = bruteForce(h, 100, target);
    const first = [...h.scan(tailWithCounter(0), 0, 100, target, 3)];
    expect(first).toEqual(want.slice(0, 3));
    const resume = first[2]! + 1;
    expect([...h.scan(tailWithCounter(0), resume, 100 - resume, target, 100)]).toEqual(want.slice(3));
  });

  test("scan ignores the counter bytes of the tail passed in", () => {
    h.prepareJob(job);
    const target = easyTarget(0.5);
    const a = h.scan(tailWithCounter(0), 0, 40, target, 40);
    const b = h.scan(tailWithCounter(0xdeadbeef), 0, 40, target, 40);
    expect([...b]).toEqual([...a]);
  });

  test("an all-zero target finds nothing", () => {
    h.prepareJob(job);
    expect(h.scan(tailWithCounter(0), 0, 64, new Uint8Array(32)).length).toBe(0);
  });

  test("scanInto writes into the caller's array and returns the count", () => {
    h.prepareJob(job);
    const target = easyTarget(0.5);
    const found = new Uint32Array(4);
    const n = h.scanInto(tailWithCounter(0), 0, 100, target, found);
    expect(n).toBe(4);
    expect([...found]).toEqual(bruteForce(h, 100, target).slice(0, 4));
  });
});

/** Every scan the lane tests compare: counts that are not multiples of 2, 3 or 4, odd starts, the top of the counter. */
const LANE_SCANS: { start: number; count: number; maxFound: number }[] = [
  { start: 0, count: 3001, maxFound: 3001 },
  { start: 1, count: 1, maxFound: 1 },
  { start: 5, count: 2, maxFound: 2 },
  { start: 7, count: 3, maxFound: 3 },
  { start: 4093, count: 1031, maxFound: 1031 },
  { start: 2 ** 32 - 7, count: 7, maxFound: 7 },
  { start: 0, count: 3001, maxFound: 5 }, // stops early: the first five, as one lane finds them
  { start: 3, count: 3001, maxFound: 11 },
];

describe.each(availableImpls())("%s: lanes", (impl) => {
  const target = easyTarget(1 / 8);
  const scanAll = (h: Hasher) => {
    h.prepareJob(job);
    return LANE_SCANS.map(({ start, count, maxFound }) => [
      ...h.scan(tailWithCounter(0), start, count, target, maxFound),
    ]);
  };
  let oneLane: number[][];
  beforeAll(() => {
    const h = Hasher.open(impl, 1);
    oneLane = scanAll(h);
    h.close();
  });

  test("one lane finds what one-by-one hashing finds (the reference for the others)", () => {
    const h = Hasher.open(impl, 1);
    h.prepareJob(job);
    expect(oneLane[0]).toEqual(bruteForce(h, 3001, target));
    expect(oneLane[0]!.length).toBeGreaterThan(200); // ~375 of 3001 meet a 1/8 target
    expect(oneLane[6]).toEqual(oneLane[0]!.slice(0, 5));
    h.close();
  });

  test.each([0, 2, 3, 4])("lanes %d: the same nonces, ascending, stopping at max_found", (lanes) => {
    const h = Hasher.open(impl, lanes);
    expect(scanAll(h)).toEqual(oneLane);
    h.close();
  });

  test("lanes reports the count in effect: 1..4 as asked, 0 → the implementation's fastest", () => {
    for (const lanes of [1, 2, 3, 4]) {
      const h = Hasher.open(impl, lanes);
      expect(h.lanes).toBe(lanes);
      h.close();
    }
    const h = Hasher.open(impl);
    expect(h.lanes).toBeGreaterThanOrEqual(1);
    expect(h.lanes).toBeLessThanOrEqual(Hasher.LANES_MAX);
    const fastest = h.lanes;
    const zero = Hasher.open(impl, 0);
    expect(zero.lanes).toBe(fastest);
    zero.close();
    expect(h.setLanes(1)).toBe(1);
    expect(h.lanes).toBe(1);
    expect(h.setLanes(0)).toBe(fastest);
    expect(h.lanes).toBe(fastest);
    h.close();
  });

  test("setLanes on a prepared job: later scans find the same nonces", () => {
    const h = Hasher.open(impl, 1);
    h.prepareJob(job);
    const got: number[][] = [];
    for (const lanes of [3, 1, 4, 2, 0]) {
      h.setLanes(lanes);
      got.push([...h.scan(tailWithCounter(0), 4093, 1031, target, 1031)]);
    }
    expect(got).toEqual(new Array(5).fill(oneLane[4]));
    h.close();
  });
});

describe("errors", () => {
  const h = Hasher.open("portable");
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return (e as { code?: string }).code;
    }
    return "no error";
  };

  test("inputs shorter than 32 bytes: E_INPUT_SHORT", () => {
    expect(code(() => h.hash(new Uint8Array(31)))).toBe("E_INPUT_SHORT");
    expect(code(() => h.hash(new Uint8Array(0)))).toBe("E_INPUT_SHORT");
  });

  test("headers that are not 1487 bytes: E_HEADER_SIZE", () => {
    expect(code(() => h.hashHeader(new Uint8Array(HASH_INPUT_BYTES - 1)))).toBe("E_HEADER_SIZE");
    expect(code(() => h.prepareJob(new Uint8Array(HASH_INPUT_BYTES + 1)))).toBe("E_HEADER_SIZE");
    expect(code(() => preheaderHash(new Uint8Array(140)))).toBe("E_HEADER_SIZE");
  });

  test("bad tail, target, output and range arguments", () => {
    h.prepareJob(job);
    const tail = tailWithCounter(0);
    const target = new Uint8Array(32);
    expect(code(() => h.jobHash(new Uint8Array(14)))).toBe("E_TAIL_SIZE");
    expect(code(() => h.scan(tail, 0, 1, new Uint8Array(31)))).toBe("E_TARGET_SIZE");
    expect(code(() => h.hashInto(new Uint8Array(32), new Uint8Array(31)))).toBe("E_OUT_SIZE");
    expect(code(() => h.scan(tail, 2 ** 32 - 1, 2, target))).toBe("E_RANGE");
    expect(code(() => h.scan(tail, -1, 2, target))).toBe("E_RANGE");
    expect(code(() => h.scan(tail, 0.5, 2, target))).toBe("E_RANGE");
    expect(code(() => h.scan(tail, 0, 2, target, 0))).toBe("E_RANGE");
    expect(h.scan(tail, 2 ** 32 - 1, 1, target).length).toBe(0); // the last nonce is in range
  });

  test("jobHash and scan before prepareJob: E_NO_JOB", () => {
    const fresh = Hasher.open("portable");
    expect(code(() => fresh.jobHash(new Uint8Array(NONCE_TAIL_BYTES)))).toBe("E_NO_JOB");
    expect(code(() => fresh.scan(new Uint8Array(NONCE_TAIL_BYTES), 0, 1, new Uint8Array(32)))).toBe(
      "E_NO_JOB",
    );
    fresh.close();
  });

  test("unknown and unavailable implementations", () => {
    expect(code(() => Hasher.open("sse9" as never))).toBe("E_IMPL_UNKNOWN");
    const missing = (["aesni", "armv8"] as const).filter((i) => !availableImpls().includes(i));
    for (const impl of missing) expect(code(() => Hasher.open(impl))).toBe("E_IMPL_UNAVAILABLE");
  });

  test("lane counts outside 0..4: E_LANES, from open and setLanes", () => {
    for (const lanes of [-1, 5, 1.5, NaN]) {
      expect(code(() => Hasher.open("portable", lanes))).toBe("E_LANES");
      expect(code(() => h.setLanes(lanes))).toBe("E_LANES");
    }
    expect(h.lanes).toBe(h.setLanes(0)); // a refused count changes nothing
  });

  test("a closed Hasher: E_CLOSED", () => {
    const closed = Hasher.open("portable");
    closed.close();
    expect(code(() => closed.hash(new Uint8Array(32)))).toBe("E_CLOSED");
    expect(code(() => closed.setLanes(1))).toBe("E_CLOSED");
  });
});
