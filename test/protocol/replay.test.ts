// Replays every recorded session through validateShare with the real VerusHash (src/hash, the
// native library) and the miner rule, and expects the verdict the real pool (v-nomp, or
// verusProxy on the miner side) gave each submit: accepted, or the same code and the same text,
// down to the digits of "low difficulty share of X".

import { afterAll, describe, expect, test } from "bun:test";
import { Hasher, preheaderHash } from "../../src/hash/hasher.ts";
import { bytesToHex, hexToBytes } from "../../src/protocol/hex.ts";
import { Job } from "../../src/protocol/job.ts";
import type { RpcResponse } from "../../src/protocol/jsonrpc.ts";
import { decodeFromMiner, type Submit } from "../../src/protocol/miner-messages.ts";
import { clearedCopy } from "../../src/protocol/pbaas.ts";
import { decodeFromPool } from "../../src/protocol/pool-messages.ts";
import {
  decodeBooleanResult,
  decodeSubmitResult,
  decodeSubscribeResult,
} from "../../src/protocol/results.ts";
import { difficultyToTarget, targetToDifficulty } from "../../src/protocol/target.ts";
import {
  validateShare,
  type DuplicateSet,
  type ShareHashers,
  type Verdict,
} from "../../src/protocol/validate.ts";
import {
  fromMiner,
  rawclientTemplate,
  shareVectors,
  testPreHeaderHash,
  transcriptFiles,
  wireLines,
} from "./fixtures.ts";

const hasher = Hasher.open("auto");
afterAll(() => hasher.close());
const native: ShareHashers = { hash22: (input) => hasher.hash(input), preHeaderHash: preheaderHash };

class JobDups implements DuplicateSet {
  #seen = new Set<string>();
  add(jobId: string, key: Uint8Array) {
    const k = `${jobId}/${bytesToHex(key)}`;
    return this.#seen.has(k) ? false : (this.#seen.add(k), true);
  }
}

/** What the pool side of one connection knows. v-nomp shares jobs (and their duplicate sets) between connections. */
interface Conn {
  extranonce1: string | null;
  authorized: boolean;
  difficulty: number;
  previous: number | null;
  pending: Map<string, string[]>;
}

interface Replayed {
  line: number;
  verdict: Verdict;
  /** The pool's answer; null when the excerpt trimmed it, or trimmed the job the submit was for. */
  pool: ReturnType<typeof decodeSubmitResult> | null;
  /** The notify of this submit's job was trimmed from the excerpt: the pool knew it, we cannot. */
  jobTrimmed: boolean;
}

function replay(file: string): Replayed[] {
  const jobs = new Map<string, Job>();
  const dups = new JobDups();
  const conns = new Map<string, Conn>();
  const seenLines = new Set<string>();
  const announced = new Set<string>();
  const out: Replayed[] = [];
  const submits = new Map<string, Replayed[]>(); // conn/id → replayed submits awaiting the pool's reply
  for (const w of wireLines(file)) {
    // The excerpt repeats one recorded submit after a note, to show it; it happened once.
    const key = `${w.conn} ${w.dir} ${w.text}`;
    if (seenLines.has(key) && fromMiner(w.dir)) continue;
    seenLines.add(key);
    // v-nomp's initial difficulty is 1 (no set_target at all on a difficulty-1 port).
    const c = conns.get(w.conn) ?? {
      extranonce1: null,
      authorized: false,
      difficulty: 1,
      previous: null,
      pending: new Map(),
    };
    conns.set(w.conn, c);
    if (fromMiner(w.dir)) {
      const m = decodeFromMiner(w.text);
      if ("kind" in m) continue;
      const k = JSON.stringify(m.id);
      c.pending.set(k, [...(c.pending.get(k) ?? []), m.method]);
      if (m.method !== "mining.submit") continue;
      const r: Replayed = {
        line: w.index + 1,
        verdict: validateShare({
          jobs,
          session: { authorized: c.authorized, extranonce1: c.extranonce1, duplicates: dups },
          submit: m as Submit,
          target: { difficulty: c.difficulty, previousDifficulty: c.previous },
          hashers: native,
          rule: "miner",
        }),
        pool: null,
        jobTrimmed: w.afterGap && !announced.has(m.jobId),
      };
      out.push(r);
      submits.set(`${w.conn}/${k}`, [...(submits.get(`${w.conn}/${k}`) ?? []), r]);
    } else if (w.dir !== "pool->shim") {
      const m = decodeFromPool(w.text);
      if ("kind" in m) {
        const k = JSON.stringify(m.id);
        const method = c.pending.get(k)?.shift();
        if (method === "mining.subscribe") c.extranonce1 = decodeSubscribeResult(m.result).extranonce1;
        if (method === "mining.authorize") c.authorized = decodeBooleanResult(m).ok;
        if (method === "mining.submit") {
          const r = submits.get(`${w.conn}/${k}`)?.shift();
          if (r) r.pool = decodeSubmitResult(m as RpcResponse);
        }
      } else if (m.method === "mining.set_target") {
        c.previous = c.difficulty;
        c.difficulty = targetToDifficulty(m.target);
      } else if (m.method === "mining.notify") {
        if (m.cleanJobs) jobs.clear();
        announced.add(m.jobId);
        jobs.set(m.jobId, new Job(m));
      }
    }
  }
  return out;
}

const files = transcriptFiles().filter((f) => !f.startsWith("rpc-"));

describe.each(files)("%s", (file) => {
  test("every answered submit gets the pool's verdict", () => {
    const replayed = replay(file);
    for (const r of replayed) {
      if (r.pool === null || r.jobTrimmed) continue; // trimmed from the excerpt
      const got = r.verdict.ok ? "accepted" : `${r.verdict.reject.code} ${r.verdict.reject.message}`;
      const want = r.pool.accepted ? "accepted" : `${r.pool.reject.code} ${r.pool.reject.message}`;
      expect(`line ${r.line}: ${got}`).toBe(`line ${r.line}: ${want}`);
    }
  });
});

test("the replay covers accepts and every reject code the recordings contain", () => {
  const all = files.flatMap(replay).filter((r) => r.pool !== null && !r.jobTrimmed);
  const codes = new Set(all.map((r) => (r.verdict.ok ? "ok" : String(r.verdict.reject.code))));
  expect([...codes].sort()).toEqual(["20", "21", "22", "23", "24", "25", "ok"]);
  expect(all.length).toBeGreaterThan(100);
});

describe("the native hash on the recorded shares", () => {
  const shares = shareVectors();

  test("miner rule: validateShare reproduces verusHash22_rawLE for all 5 shares", () => {
    for (const s of shares) {
      const job = new Job(
        decodeFromPool(
          JSON.stringify({ id: null, method: "mining.notify", params: s.notifyParams }),
        ) as never,
      );
      const [worker, jobId, nTime, extranonce2, solution] = s.submitParams as [
        string,
        string,
        string,
        string,
        string,
      ];
      const v = validateShare({
        jobs: { get: (id) => (id === job.id ? job : undefined) },
        session: { authorized: true, extranonce1: s.extranonce1, duplicates: new JobDups() },
        submit: { worker, jobId, nTime, extranonce2, solution },
        target: { difficulty: targetToDifficulty(difficultyToTarget(2)) },
        hashers: native,
        rule: "miner",
      });
      expect(v.ok && bytesToHex(v.hash)).toBe(s.verusHash22_rawLE);
    }
  });

  test("pool rule with the daemon nonce and the native BLAKE2b pre-header hash", () => {
    const nonce = hexToBytes(rawclientTemplate().nonce).reverse();
    for (const s of shares.slice(0, 2)) {
      const job = new Job(
        decodeFromPool(
          JSON.stringify({ id: null, method: "mining.notify", params: s.notifyParams }),
        ) as never,
        { daemonNonce: nonce },
      );
      const [worker, jobId, nTime, extranonce2, solution] = s.submitParams as [
        string,
        string,
        string,
        string,
        string,
      ];
      const v = validateShare({
        jobs: { get: () => job },
        session: { authorized: true, extranonce1: s.extranonce1, duplicates: new JobDups() },
        submit: { worker, jobId, nTime, extranonce2, solution },
        target: { difficulty: 2 },
        hashers: native,
        rule: "pool",
      });
      expect(v.ok && bytesToHex(v.hash)).toBe(s.verusHash22_rawLE);
    }
  });

  test("the test BLAKE2b agrees with the native one", () => {
    for (const s of shares) {
      const input = hexToBytes(s.header140Hex_asMinerBuiltIt + s.submitParams[4]);
      expect(testPreHeaderHash(input)).toEqual(preheaderHash(input));
      expect(testPreHeaderHash(clearedCopy(input))).toEqual(preheaderHash(clearedCopy(input)));
    }
  });
});
