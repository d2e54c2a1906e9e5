// verusd.test.ts — the verusd simulator (test/support/verusd.ts) answers as the recorded verusd did
// (shared/transcripts/rpc-vnomp-startup.head.jsonl), serves templates whose hashPreHeader verifies, and
// checks blocks built here by hand from a template (verus-stratum.md §9): accepted, and each corruption
// answered with its reason.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { Hasher, preheaderHash } from "../../src/hash/index.ts";
import {
  FIRST_PREHEADER_HASH_OFFSET,
  SOLUTION_OFFSET,
  TAIL_COUNTER_OFFSET,
} from "../../src/protocol/layout.ts";
import { bytesToHex, concatBytes, hexToBytes } from "../../src/util/hex.ts";
import { startVerusd, type Verusd } from "./verusd.ts";

const RECORDED = `${import.meta.dir}/../../../shared/transcripts/rpc-vnomp-startup.head.jsonl`;

type Gbt = {
  version: number;
  previousblockhash: string;
  finalsaplingroothash: string;
  solution: string;
  transactions: { data: string; hash: string }[];
  coinbasetxn: { data: string; hash: string };
  target: string;
  bits: string;
  curtime: number;
  nonce: string;
  height: number;
  longpollid: string;
};

let hasher: Hasher;
beforeAll(() => {
  hasher = Hasher.open("auto");
});
afterAll(() => hasher.close());

async function rpc(d: Verusd, body: unknown, auth = { user: d.user, pass: d.pass }) {
  const r = await fetch(d.url, {
    method: "POST",
    headers: { authorization: "Basic " + Buffer.from(`${auth.user}:${auth.pass}`).toString("base64") },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await r.text();
  return { status: r.status, text, json: text === "" ? null : (JSON.parse(text) as any) };
}
const call = async (d: Verusd, method: string, params: unknown[] = []) =>
  (await rpc(d, { method, params, id: 1 })).json as {
    result: any;
    error: { code: number; message: string } | null;
  };

const rev = (hex: string) => hexToBytes(hex).reverse();
const sha256d = (b: Uint8Array) =>
  new Uint8Array(createHash("sha256").update(createHash("sha256").update(b).digest()).digest());
const le32 = (n: number) => Uint8Array.of(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
function compact(n: number): Uint8Array {
  return n < 253 ? Uint8Array.of(n) : Uint8Array.of(0xfd, n & 0xff, n >>> 8);
}
function merkle(hashesDisplay: string[]): Uint8Array {
  let level = hashesDisplay.map(rev);
  for (let guard = 0; level.length > 1 && guard < 40; guard++) {
    const next = [];
    for (let i = 0; i < level.length; i += 2)
      next.push(sha256d(concatBytes(level[i]!, level[i + 1] ?? level[i]!)));
    level = next;
  }
  return level[0]!;
}

/** header (140) with the template's fields and daemon nonce; `over` replaces some. */
function headerOf(t: Gbt, over: { prev?: Uint8Array; merkle?: Uint8Array; nonce?: Uint8Array } = {}) {
  const root = merkle([t.coinbasetxn.hash, ...t.transactions.map((x) => x.hash)]);
  return concatBytes(
    le32(t.version),
    over.prev ?? rev(t.previousblockhash),
    over.merkle ?? root,
    rev(t.finalsaplingroothash),
    le32(t.curtime),
    rev(t.bits),
    over.nonce ?? rev(t.nonce),
  );
}

/** A 15-byte tail whose hash meets (`meets`) or misses the template's target, found with the scan. */
function findTail(input: Uint8Array, targetBE: string, meets: boolean): Uint8Array {
  hasher.prepareJob(input);
  const tail = new Uint8Array(15).fill(0x42);
  const target = rev(targetBE);
  if (meets) {
    for (let start = 0; start < 64 * 1024 * 1024; start += 1 << 20) {
      const [n] = hasher.scan(tail, start, 1 << 20, target, 1);
      if (n !== undefined) {
        new DataView(tail.buffer).setUint32(TAIL_COUNTER_OFFSET, n, true);
        return tail;
      }
    }
    throw new Error("no tail found");
  }
  for (let n = 0; n < 1000; n++) {
    new DataView(tail.buffer).setUint32(TAIL_COUNTER_OFFSET, n, true);
    const h = hasher.jobHash(tail);
    if (BigInt("0x" + bytesToHex(h.slice().reverse())) > BigInt("0x" + targetBE)) return tail;
  }
  throw new Error("every tail met the target");
}

/** The block hex (§9: header ‖ fd4005 ‖ solution ‖ count ‖ coinbase ‖ txs) with optional corruptions. */
function buildBlock(
  t: Gbt,
  o: {
    highHash?: boolean;
    header?: Parameters<typeof headerOf>[1];
    count?: Uint8Array;
    dropLast?: boolean;
    trailing?: boolean;
    targetBE?: string;
  } = {},
): string {
  const hdr = headerOf(t, o.header);
  const solution = hexToBytes(t.solution);
  const honest = concatBytes(headerOf(t), Uint8Array.of(0xfd, 0x40, 0x05), solution);
  solution.set(findTail(honest, o.targetBE ?? t.target, !o.highHash), 1329);
  const txs = o.dropLast ? t.transactions.slice(0, -1) : t.transactions;
  const body = [hexToBytes(t.coinbasetxn.data), ...txs.map((x) => hexToBytes(x.data))];
  const parts = [hdr, Uint8Array.of(0xfd, 0x40, 0x05), solution, o.count ?? compact(body.length), ...body];
  if (o.trailing) parts.push(Uint8Array.of(0));
  return bytesToHex(concatBytes(...parts));
}

/** Same keys and JSON types, recursively (arrays: their first element). */
function shape(x: unknown): unknown {
  if (Array.isArray(x)) return x.length ? [shape(x[0])] : [];
  if (x !== null && typeof x === "object") {
    return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, k === "id" ? "id" : shape(v)]));
  }
  return x === null ? "null" : typeof x;
}

describe("verusd simulator", () => {
  test("replays the recorded startup with the recorded shapes", async () => {
    const d = await startVerusd();
    try {
      const lines = (await Bun.file(RECORDED).text()).trim().split("\n").slice(0, 20);
      expect(lines.length).toBeGreaterThanOrEqual(4);
      for (const line of lines) {
        const { req, res } = JSON.parse(line);
        const got = await rpc(d, req);
        expect(got.status).toBe(200);
        expect(shape(got.json)).toEqual(shape(res));
        const one = (Array.isArray(got.json) ? got.json : [got.json]) as any[];
        const rec = (Array.isArray(res) ? res : [res]) as any[];
        one.forEach((r, i) => expect(r.id).toBe(rec[i].id));
        one.forEach((r, i) => r.result?.scriptPubKey && expect(r.result).toEqual(rec[i].result));
        for (const r of one.filter((r) => r.result?.solution)) {
          expect(r.result.solution).toHaveLength(2688);
          expect(r.result.solution.slice(0, 16)).toBe("0700000001010000");
          expect(r.result.solution.slice(144, 184)).toBe("1af5b8015c64d39ab44c60ead8317f9f5a9b6c4c");
          expect(r.result.longpollid).toHaveLength(65);
          expect(r.result.nonce).toHaveLength(64);
        }
      }
      // the probe answered as recorded
      const probe = await call(d, "submitblock");
      expect(probe.error).toEqual({ code: -1, message: 'submitblock "hexdata" ( "jsonparametersobject" )' });
    } finally {
      await d.stop();
    }
  });

  test("hashPreHeader verifies (the recomputation checked on the recorded template first)", async () => {
    const check = (t: Gbt) => {
      const input = concatBytes(headerOf(t), Uint8Array.of(0xfd, 0x40, 0x05), hexToBytes(t.solution));
      const at = SOLUTION_OFFSET + FIRST_PREHEADER_HASH_OFFSET;
      return bytesToHex(preheaderHash(input)) === bytesToHex(input.subarray(at, at + 32));
    };
    const recorded = JSON.parse((await Bun.file(RECORDED).text()).split("\n")[2]!).res.result as Gbt;
    expect(check(recorded)).toBe(true);
    expect(check({ ...recorded, nonce: "00".repeat(32) })).toBe(false);
    const d = await startVerusd({ txCount: 5 });
    try {
      const t = (
        await call(d, "getblocktemplate", [{ capabilities: ["coinbasetxn", "workid", "coinbase/append"] }])
      ).result as Gbt;
      expect(check(t)).toBe(true);
      expect(bytesToHex(sha256d(hexToBytes(t.coinbasetxn.data)).reverse())).toBe(t.coinbasetxn.hash);
      for (const x of t.transactions) expect(bytesToHex(sha256d(hexToBytes(x.data)).reverse())).toBe(x.hash);
    } finally {
      await d.stop();
    }
  });

  test("a block built from the template is accepted and becomes the tip; corruptions get reasons", async () => {
    const d = await startVerusd({ txCount: 5 });
    try {
      const t = (await call(d, "getblocktemplate", [])).result as Gbt;
      const reason = async (hex: string, method = "submitmergedblock") => {
        const r = await call(d, method, [hex]);
        return r.error ? `error ${r.error.code} ${r.error.message}` : r.result;
      };
      expect(await reason(buildBlock(t, { header: { merkle: new Uint8Array(32).fill(7) } }))).toBe(
        "bad-txnmrklroot",
      );
      expect(await reason(buildBlock(t, { header: { prev: new Uint8Array(32).fill(9) } }))).toBe(
        "bad-prevblk",
      );
      expect(await reason(buildBlock(t, { header: { nonce: new Uint8Array(32).fill(1) } }))).toBe(
        "high-hash",
      );
      expect(d.submitted.at(-1)!.detail).toContain("nonce");
      expect(await reason(buildBlock(t, { highHash: true }))).toBe("high-hash");
      expect(d.submitted.at(-1)!.detail).toContain("above the target");
      expect(await reason(buildBlock(t, { dropLast: true }))).toBe("bad-txnmrklroot");
      expect(await reason(buildBlock(t, { dropLast: true, count: compact(6) }))).toBe(
        "error -22 Block decode failed",
      );
      expect(await reason(buildBlock(t, { trailing: true }))).toBe("error -22 Block decode failed");
      expect(d.submitted.at(-1)!.detail).toContain("trailing");

      const good = buildBlock(t);
      expect(await reason(good)).toBeNull();
      const s = d.submitted.at(-1)!;
      expect(s).toMatchObject({ method: "submitmergedblock", result: null, height: t.height, txCount: 6 });
      expect(d.height).toBe(t.height);
      expect(d.tipHash).toBe(s.hash);
      const b = (await call(d, "getblock", [s.hash])).result;
      expect(b).toMatchObject({ hash: s.hash, confirmations: 1, height: t.height });
      expect(b.tx).toHaveLength(6);
      expect(await reason(good)).toBe("duplicate");
      const next = (await call(d, "getblocktemplate", [])).result as Gbt;
      expect(next.previousblockhash).toBe(s.hash);
      expect(next.height).toBe(t.height + 1);

      // a valid block on the old tip: stored off the main chain, as verusd does
      const stale = (await call(d, "getblocktemplate", [])).result as Gbt;
      d.mintTip();
      expect(await reason(buildBlock(stale), "submitblock")).toBe("inconclusive");
      expect((await call(d, "getblock", [d.submitted.at(-1)!.hash])).result.confirmations).toBe(-1);
    } finally {
      await d.stop();
    }
  });

  test("200 transactions: the count written fd c800 does not decode; 300 use fd and are accepted", async () => {
    const d = await startVerusd({ txCount: 200 });
    try {
      const t = (await call(d, "getblocktemplate", [])).result as Gbt;
      const r = await call(d, "submitmergedblock", [buildBlock(t, { count: Uint8Array.of(0xfd, 201, 0) })]);
      expect(r.error).toEqual({ code: -22, message: "Block decode failed" });
      expect(d.submitted.at(-1)!.detail).toContain("non-canonical");
    } finally {
      await d.stop();
    }
    const big = await startVerusd({ txCount: 300 });
    try {
      const t = (await call(big, "getblocktemplate", [])).result as Gbt;
      const hex = buildBlock(t);
      expect(hex.slice(2 * 1487, 2 * 1487 + 6)).toBe("fd2d01");
      expect((await call(big, "submitmergedblock", [hex])).result).toBeNull();
      expect(big.submitted.at(-1)!.txCount).toBe(301);
    } finally {
      await big.stop();
    }
  });

  test("longpoll: held, woken by mintTip within 100 ms; returns the same template after longpollMs", async () => {
    const d = await startVerusd({ longpollMs: 300 });
    try {
      const t = (await call(d, "getblocktemplate", [])).result as Gbt;
      const req = [{ capabilities: ["coinbasetxn", "workid", "coinbase/append"], longpollid: t.longpollid }];
      const t0 = performance.now();
      const timedOut = (await call(d, "getblocktemplate", req)).result as Gbt;
      expect(performance.now() - t0).toBeGreaterThanOrEqual(250);
      expect(timedOut.longpollid).toBe(t.longpollid);

      const held = call(d, "getblocktemplate", req);
      await Bun.sleep(100);
      const minted = performance.now();
      d.mintTip();
      const woke = (await held).result as Gbt;
      expect(performance.now() - minted).toBeLessThan(100);
      expect(woke.height).toBe(t.height + 1);
      expect(woke.previousblockhash).not.toBe(t.previousblockhash);

      const held2 = call(d, "getblocktemplate", [{ longpollid: woke.longpollid }]);
      d.newTemplate();
      const more = (await held2).result as Gbt;
      expect(more.previousblockhash).toBe(woke.previousblockhash);
      expect(more.longpollid).not.toBe(woke.longpollid);
      expect(more.transactions).toHaveLength(woke.transactions.length + 1);
    } finally {
      await d.stop();
    }
  });

  test("submitmergedblock: a hash meeting only mergeminebits is accepted by merged chains", async () => {
    const d = await startVerusd({ target: 1n << 200n, mergeMineTarget: (1n << 240n) - 1n });
    try {
      const t = (await call(d, "getblocktemplate", [])).result as Gbt & { mergeminebits: string };
      const mb = parseInt(t.mergeminebits, 16);
      const merge = (BigInt(mb & 0x7fffff) << BigInt(8 * ((mb >>> 24) - 3))).toString(16).padStart(64, "0");
      const hex = buildBlock(t, { targetBE: merge });
      expect((await call(d, "submitblock", [hex])).result).toBe("high-hash");
      expect((await call(d, "submitmergedblock", [hex])).result).toBe("accepted");
      expect(d.height).toBe(t.height - 1);
    } finally {
      await d.stop();
    }
  });

  test("401 with an empty body on wrong credentials", async () => {
    const d = await startVerusd({ user: "u", pass: "p" });
    try {
      const r = await rpc(d, { method: "getinfo", params: [], id: 1 }, { user: "u", pass: "wrong" });
      expect(r.status).toBe(401);
      expect(r.text).toBe("");
    } finally {
      await d.stop();
    }
  });

  test("syncing: −10 for the first calls (HTTP 500, as verusd), then templates", async () => {
    const d = await startVerusd({ syncingCalls: 2 });
    try {
      for (let i = 0; i < 2; i++) {
        const r = await rpc(d, { method: "getblocktemplate", params: [], id: 1 });
        expect(r.status).toBe(500);
        expect(r.json.error).toEqual({ code: -10, message: "Verus is downloading blocks..." });
      }
      expect((await call(d, "getblocktemplate")).result.height).toBe(d.height + 1);
    } finally {
      await d.stop();
    }
  });

  test("no mining address: the error names -mineraddress", async () => {
    const d = await startVerusd({ noMiningAddress: true });
    try {
      const r = await rpc(d, { method: "getblocktemplate", params: [], id: 1 });
      expect(r.json.error.message).toContain("-mineraddress");
      expect(r.json.error.code).toBe(-32601);
    } finally {
      await d.stop();
    }
  });

  test("down and back on the same port; slow answers; hung answers", async () => {
    const d = await startVerusd();
    try {
      await d.setMode({ down: true });
      expect(await call(d, "getinfo").catch((e) => (e as { code?: string }).code)).toBe("ECONNREFUSED");
      await d.setMode({ down: false, delayMs: 150 });
      const t0 = performance.now();
      expect((await call(d, "getinfo")).result.blocks).toBe(d.height);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
      await d.setMode({ delayMs: 0, hang: true });
      let answered = false;
      const held = call(d, "getdifficulty").then((r) => ((answered = true), r));
      await Bun.sleep(200);
      expect(answered).toBe(false);
      await d.setMode({ hang: false });
      expect((await held).result).toBeGreaterThan(0);
    } finally {
      await d.stop();
    }
  });
});
