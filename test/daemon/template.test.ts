// template.test.ts — getblocktemplate → notify, job, block (verus-stratum.md §9), against the recorded
// v-nomp ⇄ verusd RPC (transcripts/rpc-vnomp-*.jsonl) and independent implementations of the merkle
// tree and CompactSize written here from Bitcoin's definitions.

import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import {
  assembleBlock,
  blockHashDisplay,
  compactSize,
  DaemonError,
  merkleRoot,
  parseTemplate,
  templateJob,
  templateNotify,
} from "../../src/daemon/index.ts";
import { bytesToHex, hexToBytes } from "../../src/util/hex.ts";
import { compactToTarget } from "../../src/protocol/target.ts";
import { notifyParams } from "../../src/protocol/notify.ts";

const TRANSCRIPTS = "/work/shared/transcripts";

function lines(file: string): any[] {
  return readFileSync(`${TRANSCRIPTS}/${file}`, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l));
}

const startup = lines("rpc-vnomp-startup.head.jsonl");
const blockfound = lines("rpc-vnomp-blockfound.excerpt.jsonl");
const gbtOf = (entry: any) => structuredClone(entry.res.result);
const recordedGbts = [...startup, ...blockfound].filter(
  (e) => !Array.isArray(e.req) && e.req.method === "getblocktemplate",
);
/** The excerpt shortened long hex in place to "…<N hex chars total>"; the daemon's solution is zeros after its content. */
function unshorten(hex: string): string {
  const m = /^([0-9a-f]*)(?:\.\.\.|…)<(\d+) hex chars total>$/.exec(hex);
  return m === null ? hex : m[1]!.padEnd(Number(m[2]), "0");
}
const STARTUP_GBT = gbtOf(startup[3]);

// --- independent reference implementations (Bitcoin's definitions, not the code under test) ---
const sha256 = (b: Uint8Array) => new Uint8Array(createHash("sha256").update(b).digest());
const dsha = (b: Uint8Array) => sha256(sha256(b));
const rev = (b: Uint8Array) => Uint8Array.from(b).reverse();
function refMerkle(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 1) return leaves[0]!;
  const next: Uint8Array[] = [];
  for (let i = 0; i < leaves.length; i += 2) {
    const l = leaves[i]!;
    const r = leaves[i + 1] ?? l;
    next.push(dsha(new Uint8Array([...l, ...r])));
  }
  return refMerkle(next);
}
function refCompactSize(b: Uint8Array, at: number): [value: number, size: number] {
  const first = b[at]!;
  const view = new DataView(b.buffer, b.byteOffset);
  if (first < 0xfd) return [first, 1];
  if (first === 0xfd) return [view.getUint16(at + 1, true), 3];
  if (first === 0xfe) return [view.getUint32(at + 1, true), 5];
  return [Number(view.getBigUint64(at + 1, true)), 9];
}
/** Deterministic bytes (a seeded xorshift), so failures reproduce. */
function seeded(seed: number) {
  let s = seed >>> 0 || 1;
  return (n: number) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      out[i] = s & 0xff;
    }
    return out;
  };
}
/** A template like the recorded one with `n` made-up transactions (txid = dSHA256 of the data). */
function gbtWithTransactions(n: number, seed = n + 1): any {
  const rnd = seeded(seed);
  const g = structuredClone(STARTUP_GBT);
  g.transactions = Array.from({ length: n }, (_, i) => {
    const data = rnd(60 + ((i * 37) % 200));
    return { data: bytesToHex(data), hash: bytesToHex(rev(dsha(data))), fee: 0, depends: [] };
  });
  return g;
}

function templateError(g: unknown): DaemonError {
  try {
    parseTemplate(g);
  } catch (e) {
    expect(e).toBeInstanceOf(DaemonError);
    return e as DaemonError;
  }
  throw new Error("parseTemplate accepted a malformed template");
}

describe("parseTemplate on the recorded templates", () => {
  test("every recorded getblocktemplate parses with the daemon's values", () => {
    expect(recordedGbts.length).toBe(4);
    for (const entry of recordedGbts) {
      const g = gbtOf(entry);
      g.solution = unshorten(g.solution);
      const t = parseTemplate(g);
      expect(t.height).toBe(3911208);
      expect(t.version).toBe(65540);
      expect(t.prevHashDisplay).toBe(g.previousblockhash);
      expect(t.bits).toBe(parseInt(g.bits, 16));
      expect(t.target).toBe(BigInt("0x" + g.target));
      expect(t.target).toBe(compactToTarget(t.bits));
      expect(t.mergeMineTarget).toBe(compactToTarget(parseInt(g.mergeminebits, 16)));
      expect(t.curtime).toBe(g.curtime);
      expect(bytesToHex(t.daemonNonce)).toBe(bytesToHex(rev(hexToBytes(g.nonce))));
      expect(t.solution.length).toBe(2688);
      expect(t.solutionVersion).toBe(7);
      expect(t.coinbaseHash).toBe(g.coinbasetxn.hash);
      expect(t.transactions).toEqual([]);
      expect(t.longpollId).toBe(g.longpollid);
      expect(t.finalSaplingRoot).toBe(g.finalsaplingroothash);
    }
  });

  test("the recorded coinbase's txid is dSHA256 of its data (the hash the merkle tree uses)", () => {
    const t = parseTemplate(STARTUP_GBT);
    expect(bytesToHex(rev(dsha(t.coinbase)))).toBe(t.coinbaseHash);
  });

  test("templateNotify gives v-nomp's notify for the same template (transcripts/vnomp-rawclient.jsonl)", () => {
    const sent = lines("vnomp-rawclient.jsonl").find((l) => l.msg?.method === "mining.notify")!.msg.params;
    const ours = notifyParams(templateNotify(parseTemplate(STARTUP_GBT), sent[0], true));
    // Same template, so every field but nTime (v-nomp re-broadcast with a later curtime) is identical.
    expect(ours.slice(0, 5)).toEqual(sent.slice(0, 5));
    expect(ours.slice(6)).toEqual(sent.slice(6));
    expect(ours[5]).toBe("a52b016b"); // curtime 1795238821 = 0x6b012ba5, LE
  });

  test("the recorded block's header and its start are rebuilt exactly (rpc-vnomp-blockfound)", () => {
    const g = gbtOf(blockfound.find((e) => e.req.method === "getblocktemplate"));
    g.solution = unshorten(g.solution);
    const t = parseTemplate(g);
    const submitted: string = blockfound.find((e) => e.req.method === "submitmergedblock").req.params[0];
    const real = submitted.slice(0, submitted.search(/\.\.\.|…/));
    expect(real.length).toBeGreaterThan(280 + 6 + 8);
    const job = templateJob(t, "1", true);
    const header = job.header(t.daemonNonce);
    expect(bytesToHex(header)).toBe(real.slice(0, 280));
    expect(real.slice(280, 286)).toBe("fd4005");
    expect(real.slice(286)).toBe(t.solution.slice(0, real.length - 286));
    // and the same bytes from assembleBlock
    const block = assembleBlock(t, header, job.solution(new Uint8Array(15)));
    expect(bytesToHex(block).slice(0, real.length)).toBe(real);
  });
});

describe("merkleRoot", () => {
  const rnd = seeded(7);
  test("one hash is its own root", () => {
    const h = rnd(32);
    expect(bytesToHex(merkleRoot([h]))).toBe(bytesToHex(h));
  });

  test("2, 3 (odd: last duplicated) … 17 leaves match a reference implementation", () => {
    for (let n = 2; n <= 17; n++) {
      const leaves = Array.from({ length: n }, () => rnd(32));
      expect(bytesToHex(merkleRoot(leaves))).toBe(bytesToHex(refMerkle(leaves)));
    }
    const [a, b, c] = [rnd(32), rnd(32), rnd(32)];
    const ab = dsha(new Uint8Array([...a, ...b]));
    const cc = dsha(new Uint8Array([...c, ...c]));
    expect(bytesToHex(merkleRoot([a, b, c]))).toBe(bytesToHex(dsha(new Uint8Array([...ab, ...cc]))));
  });

  test("Bitcoin blocks 170 and 100000", () => {
    const root = (txids: string[]) => bytesToHex(rev(merkleRoot(txids.map((h) => rev(hexToBytes(h))))));
    expect(
      root([
        "b1fea52486ce0c62bb442b530a3f0132b826c74e473d1f2c220bfa78111c5082",
        "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16",
      ]),
    ).toBe("7dac2c5666815c17a3b36427de37bb9d2e2c5ccec3f8633eb91a4205cb4c10ff");
    expect(
      root([
        "8c14f0db3df150123e6f3dbbf30f8b955a8249b62ac1d1ff16284aefa3d06d87",
        "fff2525b8931402dd09222c50775608f75787bd2b87e56995a7bdd30f79702c4",
        "6359f0868171b1d194cbee1af2f16ea598ae8fad666d9b012c8ed2b79a236ec4",
        "e9a66845e05d5abc0ad04ec80f774a7e585c6e8db975962d069a522137b80c1d",
      ]),
    ).toBe("f3e94742aca4b5ef85488dc37c06c3282295ffec960994b2c0d5ac2a25a95766");
  });

  test("no leaves or a short leaf is a programmer error", () => {
    expect(() => merkleRoot([])).toThrow(RangeError);
    expect(() => merkleRoot([new Uint8Array(31)])).toThrow(RangeError);
  });
});

describe("compactSize", () => {
  test("canonical at each boundary", () => {
    const hex = (n: number) => bytesToHex(compactSize(n));
    expect(hex(0)).toBe("00");
    expect(hex(1)).toBe("01");
    expect(hex(128)).toBe("80"); // v-nomp's encoder wrongly switches to fd here
    expect(hex(252)).toBe("fc");
    expect(hex(253)).toBe("fdfd00");
    expect(hex(65535)).toBe("fdffff");
    expect(hex(65536)).toBe("fe00000100");
    expect(hex(0xffffffff)).toBe("feffffffff");
    expect(hex(0x100000000)).toBe("ff0000000001000000");
    for (const n of [0, 252, 253, 65535, 65536]) expect(refCompactSize(compactSize(n), 0)[0]).toBe(n);
  });

  test("negative or fractional counts are programmer errors", () => {
    expect(() => compactSize(-1)).toThrow(RangeError);
    expect(() => compactSize(1.5)).toThrow(RangeError);
  });
});

describe("assembleBlock", () => {
  for (const n of [0, 1, 2, 3, 253]) {
    test(`${n} transaction(s): header ‖ fd4005 ‖ solution ‖ count ‖ coinbase ‖ transactions, merkle root over all`, () => {
      const t = parseTemplate(gbtWithTransactions(n));
      const job = templateJob(t, "a", true);
      const header = job.header(t.daemonNonce);
      const solution = job.solution(Uint8Array.from({ length: 15 }, (_, i) => i + 1));
      const block = assembleBlock(t, header, solution);
      // parse it back
      let at = 0;
      const take = (k: number) => block.subarray(at, (at += k));
      expect(bytesToHex(take(140))).toBe(bytesToHex(header));
      expect(bytesToHex(take(3))).toBe("fd4005");
      expect(bytesToHex(take(1344))).toBe(bytesToHex(solution));
      const [count, size] = refCompactSize(block, at);
      expect(count).toBe(n + 1);
      expect(size).toBe(n + 1 < 253 ? 1 : 3);
      at += size;
      const txs = [t.coinbase, ...t.transactions.map((x) => x.data)];
      for (const tx of txs) expect(bytesToHex(take(tx.length))).toBe(bytesToHex(tx));
      expect(at).toBe(block.length);
      // the header's merkle root is the reference root over dSHA256 of every transaction
      expect(bytesToHex(header.subarray(36, 68))).toBe(bytesToHex(refMerkle(txs.map(dsha))));
    });
  }

  test("wrong header or solution sizes are programmer errors", () => {
    const t = parseTemplate(STARTUP_GBT);
    expect(() => assembleBlock(t, new Uint8Array(139), new Uint8Array(1344))).toThrow(RangeError);
    expect(() => assembleBlock(t, new Uint8Array(140), new Uint8Array(1343))).toThrow(RangeError);
  });
});

describe("templateNotify / templateJob", () => {
  test("header fields in header order, nTime = curtime, trimmed solution, clean flag", () => {
    const t = parseTemplate(STARTUP_GBT);
    const n = templateNotify(t, "beef", false);
    expect(n.jobId).toBe("beef");
    expect(n.cleanJobs).toBe(false);
    expect(n.version).toBe("04000100");
    expect(n.nBits).toBe("0562021b");
    expect(n.nTime).toBe("a52b016b");
    expect(n.solution.length).toBe(248);
    expect(t.solution.startsWith(n.solution)).toBe(true);
    expect(/^0*$/.test(t.solution.slice(248))).toBe(true);
    const job = templateJob(t, "beef", false);
    expect(bytesToHex(job.daemonNonce!)).toBe(bytesToHex(t.daemonNonce));
    expect(job.solutionVersion).toBe(7);
  });

  test("no finalsaplingroothash → 32 zero bytes", () => {
    const g = structuredClone(STARTUP_GBT);
    delete g.finalsaplingroothash;
    expect(templateNotify(parseTemplate(g), "1", true).finalSaplingRoot).toBe("0".repeat(64));
  });

  test("block target: the easier of target and mergeminebits", () => {
    const easier = structuredClone(STARTUP_GBT);
    easier.mergeminebits = "1f00ffff";
    expect(templateJob(parseTemplate(easier), "1", true).blockTarget).toBe(compactToTarget(0x1f00ffff));
    const harder = structuredClone(STARTUP_GBT);
    harder.mergeminebits = "1a026205";
    expect(templateJob(parseTemplate(harder), "1", true).blockTarget).toBe(BigInt("0x" + STARTUP_GBT.target));
    const none = structuredClone(STARTUP_GBT);
    delete none.mergeminebits;
    const t = parseTemplate(none);
    expect(t.mergeMineTarget).toBeNull();
    expect(templateJob(t, "1", true).blockTarget).toBe(BigInt("0x" + STARTUP_GBT.target));
  });
});

describe("malformed templates are E_DAEMON_TEMPLATE naming the field", () => {
  const cases: [string, (g: any) => void, string][] = [
    ["missing solution", (g) => delete g.solution, "solution"],
    ["solution not hex", (g) => (g.solution = "zz" + g.solution.slice(2)), "solution"],
    ["solution odd length", (g) => (g.solution = g.solution.slice(1)), "solution"],
    ["solution too long", (g) => (g.solution += "00"), "solution"],
    ["solution too short", (g) => (g.solution = "0700"), "solution"],
    ["short nonce", (g) => (g.nonce = g.nonce.slice(2)), "nonce"],
    ["missing nonce", (g) => delete g.nonce, "nonce"],
    ["bad hex prev", (g) => (g.previousblockhash = "g" + g.previousblockhash.slice(1)), "previousblockhash"],
    ["non-integer curtime", (g) => (g.curtime = 1795238821.5), "curtime"],
    ["string curtime", (g) => (g.curtime = "1795238821"), "curtime"],
    ["negative height", (g) => (g.height = -1), "height"],
    ["version too large", (g) => (g.version = 2 ** 32), "version"],
    ["bits of 3 bytes", (g) => (g.bits = "026205"), "bits"],
    ["bits with the sign bit", (g) => (g.bits = "1b826205"), "bits"],
    ["bad mergeminebits", (g) => (g.mergeminebits = "xyz"), "mergeminebits"],
    ["short target", (g) => (g.target = g.target.slice(2)), "target"],
    ["sapling root short", (g) => (g.finalsaplingroothash = "00"), "finalsaplingroothash"],
    ["no coinbasetxn", (g) => delete g.coinbasetxn, "coinbasetxn"],
    ["coinbase data empty", (g) => (g.coinbasetxn.data = ""), "coinbasetxn.data"],
    ["coinbase hash short", (g) => (g.coinbasetxn.hash = "00"), "coinbasetxn.hash"],
    ["transactions not an array", (g) => (g.transactions = {}), "transactions"],
    [
      "a transaction without data",
      (g) => (g.transactions = [{ hash: "00".repeat(32) }]),
      "transactions[0].data",
    ],
    ["longpollid a number", (g) => (g.longpollid = 5), "longpollid"],
  ];
  for (const [name, mutate, field] of cases) {
    test(name, () => {
      const g = structuredClone(STARTUP_GBT);
      mutate(g);
      const e = templateError(g);
      expect(e.code).toBe("E_DAEMON_TEMPLATE");
      expect(e.detail.field).toBe(field);
      expect(e.message).toContain(field);
    });
  }

  test("not an object", () => {
    for (const g of [null, "x", [], 5]) expect(templateError(g).code).toBe("E_DAEMON_TEMPLATE");
  });

  test("a template without a coinbase names -mineraddress", () => {
    const g = structuredClone(STARTUP_GBT);
    delete g.coinbasetxn;
    expect(templateError(g).message).toContain("-mineraddress");
  });
});

test("blockHashDisplay reverses a hash into display order", () => {
  const h = hexToBytes("3dbc34e529a768847fd1474982e0f7b8f6d73d6853b565127b0b22b685f90000");
  expect(blockHashDisplay(h)).toBe("0000f985b6220b7b1265b553683dd7f6b8f7e0824947d17f8468a729e534bc3d");
  expect(() => blockHashDisplay(new Uint8Array(31))).toThrow(RangeError);
});
