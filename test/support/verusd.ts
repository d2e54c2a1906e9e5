// verusd.ts — a verusd simulator for tests: HTTP JSON-RPC 1.0 on 127.0.0.1 (Bun.serve, port 0), written
// from verus-stratum.md §9 and the recorded RPC (shared/transcripts/rpc-vnomp-*.jsonl), not from the
// pool's code. It serves v7 PBaaS templates with a correct hashPreHeader, holds longpolls, and checks
// submitted blocks fully (verusd-chain.ts) with the daemon's answers.
//
// API
//   const d = await startVerusd({ user, pass, txCount, target, mergeMineTarget, syncingCalls, syncingCode,
//                                 noMiningAddress, delayMs, longpollMs });
//   d.url ("http://127.0.0.1:PORT"), d.port, d.user, d.pass
//   d.template()      the current template's getblocktemplate result (curtime = now)
//   d.mintTip()       someone else found a block: new tip, height + 1, new template; wakes longpolls
//   d.newTemplate()   same tip, one more transaction, new longpollid; wakes longpolls
//   d.setMode({ delayMs?, down?, hang? })  slow answers / listener closed (connection refused, same
//                     port when back) / requests held unanswered until the mode changes or stop()
//   d.calls           every request {method, params} (capped at 10 000), d.submitted (every block)
//   d.height, d.tipHash (display)   await d.stop()
//
// Answers (as verusd; bitcoin-family HTTP status: a single request's error → 500, −32601 → 404,
// −32600 → 400; a batch → 200 with an error per entry; wrong credentials → 401 with an empty body):
//   getinfo, getmininginfo, getdifficulty, validateaddress (R-address base58check → P2PKH script)
//   getblocktemplate: first `syncingCalls` calls of getblocktemplate/getinfo → −10 "Verus is downloading
//     blocks..." (or −9, syncingCode); noMiningAddress → −32601 "Wallet disabled and -mineraddress not
//     set" (verusd's getblocktemplate). Longpoll: {longpollid} equal to the current one is held until
//     mintTip/newTemplate/an accepted block, or longpollMs (then the same template).
//   submitblock / submitmergedblock: no or > 2 params → −1 with the usage line (as recorded); a block
//     that does not decode → −22 "Block decode failed" (bad hex, solution size not fd4005, a
//     non-canonical tx count, unknown/missing transactions, trailing bytes); else null (accepted: the
//     block becomes the tip), "inconclusive" (valid but on an old tip: a side block, confirmations −1),
//     "accepted" (submitmergedblock only: meets mergeminebits, not the target), or a reason: "duplicate",
//     "bad-version", "bad-prevblk", "bad-txnmrklroot", "bad-cb-missing", "bad-cb-multiple",
//     "bad-sapling-root-in-block", "bad-diffbits", "time-too-old", "time-too-new", "high-hash" (hash
//     above target, and — as the daemon's pre-header check makes it — a wrong daemon nonce, a
//     solution changed outside its tail, or transactions differing from the template's). Both methods
//     take any solution version (verusd's submitblock does); `submitted[].method` shows which was used,
//     and `submitted[].detail` says precisely what the check found.
//   getblock [hash] → {hash, confirmations (≥ 1 on the main chain, −1 off it), height, tx}; unknown → −5.

import type { Server } from "bun";
import { Hasher } from "../../src/hash/index.ts";
import { bytesToHex, hexToBytesOrNull } from "../../src/util/hex.ts";
import * as chain from "./verusd-chain.ts";
import { b58checkDecode, diff1Difficulty } from "./verusd-rpc-util.ts";

export interface VerusdOptions {
  user?: string;
  pass?: string;
  /** Transactions per template besides the coinbase (default 0). */
  txCount?: number;
  /** Block target (default 0x0000ffff…: compact 1f00ffff, ≈ 65 536 hashes per block). */
  target?: bigint;
  /** mergeminebits target; default = target (as recorded: mergeminebits = bits); null: no field. */
  mergeMineTarget?: bigint | null;
  syncingCalls?: number;
  syncingCode?: -9 | -10;
  noMiningAddress?: boolean;
  delayMs?: number;
  longpollMs?: number;
}

export interface Submitted {
  method: string;
  /** The JSON result: null (accepted), or a reason string; null too when error is set. */
  result: string | null;
  /** result, or the error message: what a pool would log. */
  reason: string | null;
  error: { code: number; message: string } | null;
  /** What the check found, in the simulator's words. */
  detail: string | null;
  hash: string;
  height: number;
  txCount: number;
}

export interface Verusd {
  url: string;
  port: number;
  user: string;
  pass: string;
  readonly height: number;
  readonly tipHash: string;
  template(): Record<string, unknown>;
  mintTip(): void;
  newTemplate(): void;
  setMode(m: { delayMs?: number; down?: boolean; hang?: boolean }): Promise<void>;
  submitted: Submitted[];
  calls: { method: string; params: unknown[] }[];
  stop(): Promise<void>;
}

const MAX_CALLS = 10_000;
const MAX_TEMPLATES = 64;
const MAX_BODY = 64 * 1024 * 1024;
const HANG_CAP_MS = 60_000;

class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const GENESIS_HEIGHT = 3911207; // as recorded (getinfo blocks)

export async function startVerusd(o: VerusdOptions = {}): Promise<Verusd> {
  const user = o.user ?? "verus";
  const pass = o.pass ?? "sim-pass";
  const target = o.target ?? (0xffffn << 224n) | ((1n << 224n) - 1n);
  const bits = chain.targetToBits(target);
  const mt = o.mergeMineTarget === undefined ? target : o.mergeMineTarget;
  const params: chain.ChainParams = { bits, mergeBits: mt === null ? null : chain.targetToBits(mt) };
  const hasher = Hasher.open("auto");
  const pubKeyHash = new Uint8Array(20).fill(0x5a);
  const now = () => Math.floor(Date.now() / 1000);

  // Chain: display hash → block; main chain blocks have height ≤ tip height and main = true.
  const blocks = new Map<string, { height: number; main: boolean; tx: string[] }>();
  let tip = randomTip();
  let height = GENESIS_HEIGHT;
  blocks.set(chain.displayHex(tip), { height, main: true, tx: [] });
  let sapling = randomHash();
  let counter = 1;
  let txs: chain.Tx[] = Array.from({ length: o.txCount ?? 0 }, chain.randomTx);
  const templates: chain.Template[] = [];
  let current = makeTemplate();

  const submitted: Submitted[] = [];
  const calls: { method: string; params: unknown[] }[] = [];
  let syncingLeft = o.syncingCalls ?? 0;
  let delayMs = o.delayMs ?? 0;
  let hang = false;
  let stopped = false;
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const w of [...waiters]) w();
  };
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      waiters.add(done);
    });

  function randomHash(): Uint8Array {
    return crypto.getRandomValues(new Uint8Array(32));
  }
  function randomTip(): Uint8Array {
    const h = randomHash();
    h.fill(0, 27); // display order starts with zeros, like a real block hash
    return h;
  }
  function makeTemplate(): chain.Template {
    const t = chain.buildTemplate({
      height: height + 1,
      prev: tip,
      sapling,
      params,
      txs: txs.slice(),
      pubKeyHash,
      longpollId: chain.displayHex(tip) + counter,
      now: now(),
    });
    templates.push(t);
    if (templates.length > MAX_TEMPLATES) templates.shift();
    return t;
  }
  function advance(newTip: Uint8Array, txIds: string[]): void {
    tip = newTip;
    height++;
    blocks.set(chain.displayHex(tip), { height, main: true, tx: txIds });
    sapling = randomHash();
    counter++;
    txs = Array.from({ length: o.txCount ?? 0 }, chain.randomTx);
    current = makeTemplate();
    wake();
  }

  const syncing = (): RpcError | null => {
    if (syncingLeft <= 0) return null;
    syncingLeft--;
    return o.syncingCode === -9
      ? new RpcError(-9, "Cannot get a block template while no peers are connected or chain not in sync!")
      : new RpcError(-10, "Verus is downloading blocks...");
  };
  const info = () => ({
    version: 2000753,
    protocolversion: 170010,
    VRSCversion: "1.2.16",
    blocks: height,
    connections: 8,
    difficulty: diff1Difficulty(chain.bitsToTarget(bits)),
    testnet: false,
    name: "VRSC",
  });

  async function getblocktemplate(p: unknown[]): Promise<unknown> {
    if (o.noMiningAddress) throw new RpcError(-32601, "Wallet disabled and -mineraddress not set");
    const e = syncing();
    if (e) throw e;
    const req = p[0];
    if (p.length > 1 || (req !== undefined && (typeof req !== "object" || req === null))) {
      throw new RpcError(-1, 'getblocktemplate ( "jsonrequestobject" )');
    }
    const lp = (req as { longpollid?: unknown } | undefined)?.longpollid;
    if (lp !== undefined && lp === current.longpollId) {
      const deadline = Date.now() + (o.longpollMs ?? 30_000);
      for (
        let guard = 0;
        guard < 1000 && !stopped && lp === current.longpollId && Date.now() < deadline;
        guard++
      ) {
        await sleep(deadline - Date.now());
      }
    }
    return chain.templateJson(current, now());
  }

  function submit(method: string, p: unknown[]): unknown {
    if (p.length < 1 || p.length > 2 || typeof p[0] !== "string") {
      throw new RpcError(-1, `${method} "hexdata" ( "jsonparametersobject" )`);
    }
    const rec: Submitted = {
      method,
      result: null,
      reason: null,
      error: null,
      detail: null,
      hash: "",
      height: 0,
      txCount: 0,
    };
    submitted.push(rec);
    const bytes = hexToBytesOrNull(p[0]);
    const v: chain.Verdict =
      bytes === null
        ? { kind: "decode-failed", detail: "not hex" }
        : chain.checkBlock(hasher, bytes, viewOf(), method === "submitmergedblock");
    if (v.kind === "decode-failed") {
      rec.error = { code: -22, message: "Block decode failed" };
      rec.reason = rec.error.message;
      rec.detail = v.detail;
      throw new RpcError(-22, "Block decode failed");
    }
    rec.hash = chain.displayHex(v.hash);
    rec.txCount = v.txCount;
    if (v.kind === "reason") {
      rec.result = rec.reason = v.reason;
      rec.detail = v.detail;
      return v.reason;
    }
    rec.height = v.template.height;
    const ids = [v.template.coinbase, ...v.template.txs].map((t) => chain.displayHex(t.id));
    if (v.result === null) {
      rec.detail = "accepted: the new tip";
      advance(v.hash, ids);
      return null;
    }
    blocks.set(rec.hash, { height: v.template.height, main: false, tx: ids });
    rec.result = rec.reason = v.result;
    rec.detail =
      v.result === "inconclusive" ? "valid, but not on the current tip" : "meets mergeminebits only";
    return v.result;
  }

  function viewOf(): chain.ChainView {
    return {
      tip,
      knownBlock: (h) => blocks.has(h),
      knownPrev: (h) => blocks.has(h),
      templates,
      now: now(),
    };
  }

  async function dispatch(method: unknown, p: unknown[]): Promise<unknown> {
    switch (method) {
      case "getinfo": {
        const e = syncing();
        if (e) throw e;
        return info();
      }
      case "getmininginfo":
        return { blocks: height, difficulty: info().difficulty, networkhashps: 5000000000000, chain: "main" };
      case "getdifficulty":
        return info().difficulty;
      case "validateaddress": {
        const payload = typeof p[0] === "string" ? b58checkDecode(p[0]) : null;
        if (payload === null || payload.length !== 21 || payload[0] !== 60) return { isvalid: false };
        const script = "76a914" + bytesToHex(payload.subarray(1)) + "88ac";
        return { isvalid: true, address: p[0], scriptPubKey: script, ismine: false };
      }
      case "getblocktemplate":
        return getblocktemplate(p);
      case "submitblock":
      case "submitmergedblock":
        return submit(method, p);
      case "getblock": {
        const b = typeof p[0] === "string" ? blocks.get(p[0].toLowerCase()) : undefined;
        if (b === undefined) throw new RpcError(-5, "Block not found");
        return {
          hash: (p[0] as string).toLowerCase(),
          confirmations: b.main ? height - b.height + 1 : -1,
          height: b.height,
          tx: b.tx,
        };
      }
      default:
        throw new RpcError(-32601, "Method not found");
    }
  }

  async function answer(req: unknown): Promise<{ body: unknown; code: number | null }> {
    if (typeof req !== "object" || req === null || Array.isArray(req)) {
      return {
        body: { result: null, error: { code: -32600, message: "Invalid Request object" }, id: null },
        code: -32600,
      };
    }
    const r = req as { method?: unknown; params?: unknown; id?: unknown };
    const p = Array.isArray(r.params) ? r.params : [];
    if (calls.length < MAX_CALLS) calls.push({ method: String(r.method), params: p });
    try {
      return { body: { result: await dispatch(r.method, p), error: null, id: r.id ?? null }, code: null };
    } catch (e) {
      if (!(e instanceof RpcError)) throw e;
      return {
        body: { result: null, error: { code: e.code, message: e.message }, id: r.id ?? null },
        code: e.code,
      };
    }
  }

  const expectedAuth = "Basic " + Buffer.from(`${user}:${pass}`).toString("base64");
  async function handle(request: Request): Promise<Response> {
    if (request.headers.get("authorization") !== expectedAuth) {
      return new Response(null, { status: 401, headers: { "WWW-Authenticate": 'Basic realm="jsonrpc"' } });
    }
    if (request.method !== "POST") return new Response(null, { status: 405 });
    const hangUntil = Date.now() + HANG_CAP_MS;
    for (let guard = 0; guard < 1000 && hang && !stopped && Date.now() < hangUntil; guard++) {
      await sleep(hangUntil - Date.now());
    }
    if (delayMs > 0) await sleep(delayMs);
    let parsed: unknown;
    try {
      parsed = JSON.parse(await request.text());
    } catch {
      return json({ result: null, error: { code: -32700, message: "Parse error" }, id: null }, 500);
    }
    if (Array.isArray(parsed)) {
      const out = [];
      for (const one of parsed.slice(0, 1000)) out.push((await answer(one)).body);
      return json(out, 200);
    }
    const { body, code } = await answer(parsed);
    return json(body, code === null ? 200 : code === -32601 ? 404 : code === -32600 ? 400 : 500);
  }
  const json = (body: unknown, status: number) =>
    new Response(JSON.stringify(body) + "\n", { status, headers: { "Content-Type": "application/json" } });

  const listen = (port: number): Server<undefined> =>
    Bun.serve({ hostname: "127.0.0.1", port, maxRequestBodySize: MAX_BODY, idleTimeout: 0, fetch: handle });
  let server: Server<undefined> | null = listen(0);
  const port = server.port!;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    user,
    pass,
    get height() {
      return height;
    },
    get tipHash() {
      return chain.displayHex(tip);
    },
    template: () => chain.templateJson(current, now()),
    mintTip: () => advance(randomTip(), [chain.displayHex(randomHash())]),
    newTemplate() {
      counter++;
      txs = [...txs, chain.randomTx()];
      current = makeTemplate();
      wake();
    },
    async setMode(m) {
      if (m.delayMs !== undefined) delayMs = m.delayMs;
      if (m.hang !== undefined) {
        hang = m.hang;
        if (!hang) wake();
      }
      if (m.down === true && server) {
        await server.stop(true);
        server = null;
      } else if (m.down === false && !server && !stopped) {
        server = listen(port);
      }
    },
    submitted,
    calls,
    async stop() {
      if (stopped) return;
      stopped = true;
      hang = false;
      wake();
      await server?.stop(true);
      server = null;
      hasher.close();
    },
  };
}
