/**
 * The WebAssembly builds of libverushash (build/wasm/, `make wasm`) in Bun's engine: every VerusHash
 * 2.2 / miner-rule vector of ../shared/vectors/verushash.json (raw, miner rule, mining-seq in
 * order, scan) through each build and implementation, wasm-simd against the native library on
 * random inputs, scans identical at every lane count, and the facade's argument checks. The same
 * checks run in Chromium in test/browser/wasm-vectors.chromium.ts.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { LANES_MAX } from "../../src/hash/abi.ts";
import { Hasher } from "../../src/hash/hasher.ts";
import { runVectorChecks } from "../../src/hash/vector-checks.ts";
import {
  WASM_FILE,
  WASM_SIMD_FILE,
  WasmHasher,
  wasmSimdSupported,
  type WasmImplChoice,
} from "../../src/hash/wasm.ts";
import { meetsTargetLE } from "../../src/protocol/target.ts";
import { codeOf } from "../support/errors.ts";
import { shared } from "./shared-vectors.ts";

const WASM_DIR = join(import.meta.dir, "../../build/wasm");
const compile = async (file: string) =>
  WebAssembly.compile(await Bun.file(join(WASM_DIR, file)).arrayBuffer());
const plain = await compile(WASM_FILE);
const simd = await compile(WASM_SIMD_FILE);

async function rejectionCode(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

/** Deterministic bytes (xorshift32). */
function randomBytes(length: number, seed: number): Uint8Array {
  let s = seed >>> 0 || 1;
  return Uint8Array.from({ length }, () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s & 0xff;
  });
}

describe("the WebAssembly builds", () => {
  test("Bun's engine runs WebAssembly SIMD (the page would load the SIMD build)", () => {
    expect(wasmSimdSupported()).toBe(true);
  });

  test("auto is wasm-simd in the SIMD build and portable in the plain one", async () => {
    expect((await WasmHasher.create(simd)).impl).toBe("wasm-simd");
    expect((await WasmHasher.create(plain)).impl).toBe("portable");
  });

  test("the plain build has no wasm-simd: E_IMPL_UNAVAILABLE", async () => {
    expect(await rejectionCode(WasmHasher.create(plain, "wasm-simd"))).toBe("E_IMPL_UNAVAILABLE");
  });

  const runs: [string, WebAssembly.Module, WasmImplChoice][] = [
    ["plain build, portable", plain, "portable"],
    ["SIMD build, portable", simd, "portable"],
    ["SIMD build, wasm-simd", simd, "wasm-simd"],
  ];
  for (const [name, module, impl] of runs) {
    test(`${name}: every shared 2.2 vector, the mining sequence in order, the scan`, async () => {
      const r = runVectorChecks(await WasmHasher.create(module, impl), shared);
      expect(r.failures).toEqual([]);
      expect(r.passed).toBe(88);
    });
  }
});

describe("wasm-simd against the native library", () => {
  test("random inputs of every tail length, and PBaaS-shaped headers (cleared-job cache)", async () => {
    const w = await WasmHasher.create(simd, "wasm-simd");
    const n = Hasher.open("auto");
    for (let i = 0; i < 120; i++) {
      const input = randomBytes(i % 4 === 0 ? 32 + ((i * 37) % 2000) : 1487, i + 1);
      expect(w.hash(input)).toEqual(n.hash(input));
      if (input.length === 1487) {
        input[143] = 7; // solution version 7 with a PBaaS header: the miner rule clears
        input[148] = 1;
        expect(w.hashHeader(input)).toEqual(n.hashHeader(input));
      }
    }
  });

  test("a scan finds exactly the nonces whose hash meets the target, as the native scan does", async () => {
    const w = await WasmHasher.create(simd);
    const n = Hasher.open("auto");
    const header = randomBytes(1487, 99);
    header[143] = 7;
    header[148] = 1;
    w.prepareJob(header);
    n.prepareJob(header);
    const tail = header.slice(1472);
    // about one nonce in 16 qualifies: most significant byte ≤ 0x0f
    const target = new Uint8Array(32).fill(0xff);
    target[31] = 0x0f;
    const found = Array.from(w.scan(tail, 5000, 400, target));
    expect(found).toEqual(Array.from(n.scan(tail, 5000, 400, target, 64)));
    expect(found.length).toBeGreaterThan(5);
    const t = tail.slice();
    for (const nonce of found) {
      new DataView(t.buffer).setUint32(11, nonce, true);
      expect(meetsTargetLE(w.jobHash(t), target)).toBe(true);
    }
  });
});

describe("scan lanes", () => {
  /** A PBaaS-shaped random header: the miner rule clears it (a cleared job's key). */
  function header(seed: number): Uint8Array {
    const h = randomBytes(1487, seed);
    h[143] = 7;
    h[148] = 1;
    return h;
  }
  // about one nonce in 16 qualifies: most significant byte ≤ 0x0f
  const target = new Uint8Array(32).fill(0xff);
  target[31] = 0x0f;
  // 397 is a multiple of no lane count above 1: every wide scan ends with single-lane nonces,
  // and an odd start puts the lanes' nonces off any alignment.
  const START = 1001;
  const COUNT = 397;

  /** The nonces of START .. START+COUNT−1 whose jobHash meets the target: the scan's spec. */
  function expected(w: WasmHasher, h: Uint8Array): number[] {
    w.prepareJob(h);
    const t = h.slice(1472);
    const found: number[] = [];
    for (let nonce = START; nonce < START + COUNT; nonce++) {
      new DataView(t.buffer).setUint32(11, nonce, true);
      if (meetsTargetLE(w.jobHash(t), target)) found.push(nonce);
    }
    return found;
  }

  const modules: [string, WebAssembly.Module][] = [
    ["plain build (portable)", plain],
    ["SIMD build (wasm-simd)", simd],
  ];
  for (const [name, module] of modules) {
    test(`${name}: lanes 0..${LANES_MAX} find the same nonces as one hash at a time`, async () => {
      const jobs = [header(11), header(12)];
      const ref = await WasmHasher.create(module, "auto", 1);
      const want = jobs.map((h) => expected(ref, h));
      for (const found of want) expect(found.length).toBeGreaterThan(10);
      for (let lanes = 0; lanes <= LANES_MAX; lanes++) {
        const w = await WasmHasher.create(module, "auto", lanes);
        if (lanes > 0) expect(w.lanes).toBe(lanes);
        else expect(w.lanes).toBeWithin(1, LANES_MAX + 1);
        // two jobs in turn: the second job's key replaces every lane's copy of the first's
        for (const [i, h] of [...jobs, ...jobs].entries()) {
          w.prepareJob(h);
          const t = h.slice(1472);
          const all = want[i % jobs.length]!;
          expect(Array.from(w.scan(t, START, COUNT, target))).toEqual(all);
          // max_found stops at the k-th find, wherever it falls in a group of lanes
          for (let k = 1; k <= LANES_MAX + 1; k++)
            expect(Array.from(w.scan(t, START, COUNT, target, k))).toEqual(all.slice(0, k));
          // counts below the lane count, and every remainder
          for (let count = 1; count <= LANES_MAX + 1; count++) {
            const s = all[0]! - 1;
            expect(Array.from(w.scan(t, s, count, target))).toEqual(
              all.filter((n) => n >= s && n < s + count),
            );
          }
        }
        // a hash after a wide scan still sees the pristine key
        expect(w.jobHash(jobs[1]!.slice(1472))).toEqual(ref.jobHash(jobs[1]!.slice(1472)));
      }
    });
  }

  test("a lane count outside 0..LANES_MAX is E_LANES", async () => {
    for (const lanes of [-1, LANES_MAX + 1, 1.5, Number.NaN])
      expect(await rejectionCode(WasmHasher.create(simd, "auto", lanes))).toBe("E_LANES");
  });
});

describe("the facade's checks", () => {
  test("sizes, ranges and order of calls are coded errors", async () => {
    const w = await WasmHasher.create(simd);
    expect(codeOf(() => w.hash(new Uint8Array(31)))).toBe("E_INPUT_SHORT");
    expect(codeOf(() => w.jobHash(new Uint8Array(15)))).toBe("E_NO_JOB");
    expect(codeOf(() => w.prepareJob(new Uint8Array(1486)))).toBe("E_HEADER_SIZE");
    w.prepareJob(new Uint8Array(1487));
    expect(codeOf(() => w.jobHash(new Uint8Array(14)))).toBe("E_TAIL_SIZE");
    expect(codeOf(() => w.scan(new Uint8Array(15), 0, 1, new Uint8Array(31)))).toBe("E_TARGET_SIZE");
    expect(codeOf(() => w.scan(new Uint8Array(15), 2 ** 32 - 1, 2, new Uint8Array(32)))).toBe("E_RANGE");
    expect(codeOf(() => w.scan(new Uint8Array(15), 0, 1, new Uint8Array(32), 0))).toBe("E_RANGE");
  });

  test("inputs longer than the memory it started with grow it", async () => {
    const w = await WasmHasher.create(plain);
    const n = Hasher.open("portable");
    const big = randomBytes(300_000, 7);
    expect(w.hash(big)).toEqual(n.hash(big));
  });
});
