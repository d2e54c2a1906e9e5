/**
 * `make bench-bridge`: the bridge under WebSocket load. This process runs the bridge (core and
 * downstream servers) on the built-in pool, as `make run` does; a separate process,
 * bench/ws-load-gen.ts, opens the sessions (msgpack miners over raw loopback sockets).
 *
 *   bun bench/ws-load.ts [--sessions 10000] [--rounds 5] [--share-seconds 10]
 *
 * It measures, and prints (numbers, never pass/fail — STYLE.md §15):
 * 1. job fan-out: with every session connected and idle with a job, a new block on the in-process
 *    pool (PoolServer.newBlock); the time from just before that call (this process) until each
 *    session's socket delivered the new job frame (the generator's data callback) — p50 / p99 /
 *    last, per round. Both sides read performance.timeOrigin + performance.now(); the offset
 *    between the two processes' clocks is measured over IPC and printed.
 * 2. RSS per idle session: VmRSS of this process (the bridge) before the sessions and with all
 *    of them idle (after a full GC each time), divided by the sessions; and the marginal cost
 *    between 10 % and 100 % of them (one-time costs such as JIT code left out).
 * 3. share verdicts through the WS path: the generator finds real shares beforehand (each
 *    session's own job at difficulty 0.001, ≈ 8 hashes each) and sends them, one in flight per
 *    session; results per second, sustained (the first second left out). Every one is a full
 *    verdict: rebuild, native hash, checks, ledger (SQLite WAL, FULL, group commit), result frame.
 * 4. frame sizes: the job frame and the share frame against the seed's JSON for the same job.
 * 5. the floor: the same sessions against a bare Bun.serve in a fresh process that only sends one
 *    pre-encoded frame to every socket (bench/ws-load-bare.ts) — RSS per socket and fan-out time
 *    of Bun and this machine without the bridge, to tell what the bridge itself adds.
 *
 * Limits: every session comes from 127.0.0.1, so bridge.max_connections(_per_ip) are raised in the
 * config used here; each process needs a descriptor per session (the Makefile target raises the
 * soft `ulimit -n` to the hard one); the loopback's ephemeral port range bounds the sessions.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Bridge } from "../src/bridge/index.ts";
import { downstreamOptions, startBridgeStack, type BridgeStack } from "../src/cli/compose.ts";
import { loadConfig } from "../src/config/index.ts";
import { startDownstream, type Downstream } from "../src/downstream/index.ts";
import { difficultyToTarget, targetToLE } from "../src/protocol/index.ts";
import { HEADER_HEAD_BYTES } from "../src/protocol/layout.ts";
import { encodeServerFrame, MSGPACK_SUBPROTOCOL, MsgpackJobTemplate } from "../src/protocol/ws-msgpack.ts";
import type { Logger } from "../src/util/log.ts";
import { Child } from "./ipc-child.ts";
import { clockOffset, fanOutRounds, kb, mb, ms, now } from "./ws-load-rounds.ts";
import type { FromBare, ToBare } from "./ws-load-bare.ts";
import type { FromGen, ToGen } from "./ws-load-gen.ts";

const { values } = parseArgs({
  options: {
    sessions: { type: "string", default: "10000" },
    rounds: { type: "string", default: "5" },
    "share-seconds": { type: "string", default: "10" },
  },
});
const wanted = Number(values.sessions);
const rounds = Number(values.rounds);
const shareSeconds = Number(values["share-seconds"]);
if (
  !Number.isInteger(wanted) ||
  wanted < 10 ||
  !Number.isInteger(rounds) ||
  rounds < 1 ||
  !(shareSeconds > 0)
) {
  console.error("usage: bun bench/ws-load.ts [--sessions N ≥ 10] [--rounds R] [--share-seconds S]");
  process.exit(2);
}
const ROOT = join(import.meta.dir, "..");
/** The whole run is bounded: past this, everything is stopped and the run fails. */
const RUN_LIMIT_MS = 15 * 60_000;
/** Descriptors each process keeps besides its sessions (listeners, pool, ledger, stdio, Bun). */
const FD_MARGIN = 256;
/** Handshakes in flight at once while connecting. */
const CONNECT_BATCH = 250;

// ------------------------------------------------------------------------------------ the machine

function fdLimits(): { soft: number; hard: number } {
  const line = readFileSync("/proc/self/limits", "utf8")
    .split("\n")
    .find((l) => l.startsWith("Max open files"))!;
  const [soft, hard] = line
    .split(/\s+/)
    .slice(3, 5)
    .map((v) => (v === "unlimited" ? Infinity : Number(v)));
  return { soft: soft!, hard: hard! };
}

function portRange(): [number, number] {
  const [lo, hi] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8")
    .trim()
    .split(/\s+/)
    .map(Number);
  return [lo!, hi!];
}

/** VmRSS of this process, bytes. */
function rss(): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))![1]!;
  return Number(kb) * 1024;
}

async function settledRss(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    Bun.gc(true);
    await Bun.sleep(200);
  }
  return rss();
}

const fd = fdLimits();
const [portLo, portHi] = portRange();
const ephemeral = portHi - portLo + 1;
const sessions = Math.min(wanted, fd.soft - FD_MARGIN, ephemeral - FD_MARGIN);
console.log(
  `vbridge WebSocket load: ${sessions} msgpack sessions from a separate generator process (bench/ws-load-gen.ts), 127.0.0.1`,
);
console.log(
  `machine: ${availableParallelism()} cores; fd limit ${fd.soft} soft / ${fd.hard} hard (each process needs one per session); ` +
    `ephemeral ports ${portLo}–${portHi} (${ephemeral})`,
);
if (sessions < wanted)
  console.log(
    `  only ${sessions} of ${wanted} sessions fit: raise the limit (\`ulimit -n ${wanted + 2 * FD_MARGIN}\`, as make bench-bridge does) or the port range`,
  );

// ------------------------------------------------------------------------------------- the bridge

const quiet: Logger = {
  debug() {},
  info() {},
  warn: (m) => console.error(`bridge: ${m}`),
  error: (m) => console.error(`bridge: ${m}`),
};
const dir = mkdtempSync(join(tmpdir(), "vbridge-bench-"));

function freePort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const p = l.port;
  l.stop(true);
  return p;
}

function startBridge(): { stack: BridgeStack; bridge: Bridge; ds: Downstream } {
  for (let attempt = 1; ; attempt++) {
    const flags: Record<string, unknown> = {
      "upstream.pools": "builtin",
      // Jobs only when this benchmark asks (newBlock); a pool difficulty no share meets, so the
      // verdicts measured are the bridge's own (nothing forwarded to the pool in this process).
      "builtin_pool.job_interval": 86_400,
      "builtin_pool.block_interval": 86_400,
      "builtin_pool.difficulty": 1e12,
      "bridge.port": freePort(),
      "bridge.ledger": join(dir, "ledger.sqlite"),
      "bridge.max_connections": sessions + FD_MARGIN,
      "bridge.max_connections_per_ip": sessions + FD_MARGIN,
      "bridge.ws_difficulty": 0.001,
      "bridge.min_difficulty": 0.001,
      "bridge.max_shares_per_second": 100,
      "bridge.handshake_timeout": 600,
      "bridge.idle_timeout": 3600,
    };
    const config = loadConfig({
      file: null,
      env: {},
      flags: Object.entries(flags).map(([key, value]) => ({ key, value, flag: key })),
    });
    const stack = startBridgeStack(config, { log: quiet, tuning: { summaryIntervalSeconds: null } });
    try {
      return {
        stack,
        bridge: stack.bridge,
        ds: startDownstream(stack.bridge, downstreamOptions(config.bridge), quiet),
      };
    } catch (e) {
      void stack.stop();
      if (attempt >= 5) throw e;
    }
  }
}

const { stack, bridge, ds } = startBridge();
const pool = stack.builtinPool!;

// ------------------------------------------------------------------------------ the child processes

const gen = new Child<ToGen, FromGen>("generator", "bench/ws-load-gen.ts", ROOT);
let bare: Child<ToBare, FromBare> | null = null;

let cleaned = false;
async function cleanup(): Promise<void> {
  if (cleaned) return;
  cleaned = true;
  await gen.stop({ cmd: "exit" });
  await bare?.stop({ cmd: "exit" });
  await ds.stop();
  await stack.stop();
  rmSync(dir, { recursive: true, force: true });
}

const limit = setTimeout(() => {
  console.error(`bench/ws-load.ts: still running after ${RUN_LIMIT_MS / 60_000} min: stopping`);
  void cleanup().finally(() => process.exit(1));
}, RUN_LIMIT_MS);

// ------------------------------------------------------------------------------------ the numbers

interface Connected {
  n: number;
  ms: number;
  rss0: number;
  rss1: number;
  rss2: number;
  partial: number;
}

/** Connects the generator's sessions in two steps, reading the server's RSS before, at 10 % and at 100 %. */
async function connectMeasured(
  port: number,
  json: boolean,
  serverRss: () => Promise<number>,
): Promise<Connected> {
  const rss0 = await serverRss();
  const partial = Math.max(1, Math.floor(sessions / 10));
  gen.tell({ cmd: "connect", port, sessions: partial, batch: CONNECT_BATCH, json });
  const c1 = await gen.next("connected", 10 * 60_000);
  if (c1.failed > 0) throw new Error(`${c1.failed} sessions failed to connect: ${c1.firstError}`);
  const rss1 = await serverRss();
  const t0 = now();
  gen.tell({ cmd: "connect", port, sessions, batch: CONNECT_BATCH, json });
  const c2 = await gen.next("connected", 10 * 60_000);
  if (c2.failed > 0)
    console.log(
      `  ${c2.failed} sessions failed to connect (first: ${c2.firstError}); measuring the ${c2.sessions} that did`,
    );
  const rss2 = await serverRss();
  return { n: c2.sessions, ms: c1.ms + (now() - t0), rss0, rss1, rss2, partial };
}

function rssLine(what: string, c: Connected): string {
  return (
    `${what}: ${mb(c.rss0)} before, ${mb(c.rss2)} with ${c.n} idle sessions → ${kb((c.rss2 - c.rss0) / c.n)} per session; ` +
    `marginal ${c.partial}→${c.n}: ${kb((c.rss2 - c.rss1) / (c.n - c.partial))} per session`
  );
}

async function main(): Promise<void> {
  while (bridge.stats().upstreams[0]?.extranonce1 == null) await Bun.sleep(20);
  const clock = await clockOffset(gen);

  // 2. RSS: before, at 10 %, at 100 % of the sessions.
  const c = await connectMeasured(ds.port, true, settledRss);
  const n = c.n;
  console.log(
    `connect: ${n} msgpack sessions (+1 JSON) in ${(c.ms / 1000).toFixed(1)} s, ${CONNECT_BATCH} handshakes at a time; the bridge holds ${bridge.stats().sessions["ws-msgpack"]} msgpack sessions`,
  );
  console.log(`${rssLine("RSS of the bridge process", c)} (goal ≤ 3 KB)`);

  // 1. Fan-out of a new job.
  console.log(
    `new job → every session: from just before PoolServer.newBlock() in this process to the frame in each session's socket ` +
      `in the generator (clock offset generator−bridge ${clock.offset.toFixed(3)} ms ± ${clock.error.toFixed(3)}, not subtracted)`,
  );
  const bridgeFan = await fanOutRounds(gen, n, rounds, async () => {
    await settledRss(); // a full GC now, not during the fan-out
    const t0 = now();
    pool.newBlock();
    return { t0 };
  });
  console.log(
    `  median of ${rounds} rounds: p50 ${ms(bridgeFan.median.p50)}, p99 ${ms(bridgeFan.median.p99)}, last ${ms(bridgeFan.median.last)} (goal ≤ 50 ms for the last)`,
  );

  // 3. Share verdicts.
  const perSession = Math.max(8, Math.ceil((60_000 * shareSeconds) / n)); // room for ≈ 60k verdicts/s
  gen.tell({ cmd: "prepare", perSession });
  const prepared = await gen.next("prepared", 10 * 60_000);
  const cpu0 = process.cpuUsage();
  const wall0 = now();
  gen.tell({ cmd: "shares", seconds: shareSeconds, inFlight: 1 });
  const sh = await gen.next("shares", (shareSeconds + 60) * 1000);
  const cpu = process.cpuUsage(cpu0);
  const wall = now() - wall0;
  const buckets = sh.buckets.slice(10, Math.floor(shareSeconds * 10)); // without the first second and the tail
  const sustained = buckets.length === 0 ? 0 : buckets.reduce((a, b) => a + b, 0) / (buckets.length / 10);
  const rejected = Object.entries(sh.rejected)
    .map(([code, k]) => `${code}: ${k}`)
    .join(", ");
  console.log(
    `share verdicts through the WS path: ${Math.round(sustained)} /s sustained over ${(buckets.length / 10).toFixed(1)} s ` +
      `(${sh.accepted} accepted, ${rejected === "" ? "0 rejected" : `rejected ${rejected}`}, ${sh.unanswered} unanswered; ` +
      `${n} sessions, one share in flight each; ${prepared.shares} real shares found beforehand in ${(prepared.ms / 1000).toFixed(1)} s)`,
  );
  console.log(
    `  CPU: bridge process ${((100 * (cpu.user + cpu.system)) / 1000 / wall).toFixed(0)} % of a core, generator ${((100 * sh.cpuMs) / wall).toFixed(0)} % ` +
      `(the bridge's JS is one thread: 100 % is its ceiling)`,
  );

  // 4. Frame sizes.
  const sizes = bridgeFan.sizes;
  if (sizes === null) console.log("frame sizes: not measured (no JSON session)");
  else {
    const x = (a: number, b: number) => `${(b / a).toFixed(1)}× smaller`;
    console.log(`frame sizes (WebSocket payload bytes, same job, PBaaS v7 synthetic template):`);
    console.log(
      `  job:   msgpack ${sizes.msgpackJob} B vs seed JSON work ${sizes.jsonWork} B (${x(sizes.msgpackJob, sizes.jsonWork)})`,
    );
    console.log(
      `  share: msgpack ${sizes.msgpackShare} B vs seed JSON share ${sizes.seedShare} B, which echoes the work (${x(sizes.msgpackShare, sizes.seedShare)}); ` +
        `the JSON protocol's short form {job_id, nonce} ${sizes.jsonShortShare} B`,
    );
  }

  // 5. The floor: the same sessions on a bare Bun.serve in a fresh process (ws-load-bare.ts).
  gen.tell({ cmd: "disconnect" });
  await gen.next("disconnected", 60_000);
  await ds.stop();
  const job = pool.currentJob;
  const template = (id: string) =>
    new MsgpackJobTemplate(id, job.header(new Uint8Array(32)).subarray(0, HEADER_HEAD_BYTES), job.template());
  const prefix = Uint8Array.of(0x11, 0x22, 0x33, 0x44, 0x00, 0x01);
  const target = targetToLE(difficultyToTarget(0.001));
  const b = (bare = new Child<ToBare, FromBare>("bare server", "bench/ws-load-bare.ts", ROOT));
  b.tell({
    cmd: "start",
    welcome: encodeServerFrame({ type: "welcome", session: 1, worker: "bare" }),
    job: template(job.id).encode(true, prefix, target, 0.001),
  });
  const { port } = await b.next("listening", 30_000);
  const bareRss = async () => {
    b.tell({ cmd: "rss" });
    return (await b.next("rss", 30_000)).bytes;
  };
  const fc = await connectMeasured(port, false, bareRss);
  console.log(
    `floor: the same ${fc.n} sessions on a bare Bun.serve in a fresh process (no bridge; bench/ws-load-bare.ts):`,
  );
  console.log(`  ${rssLine("RSS", fc)} — Bun's own cost per WebSocket`);
  const floor = await fanOutRounds(gen, fc.n, rounds, async (r) => {
    await bareRss();
    b.tell({ cmd: "broadcast", frame: template(`bare${r}`).encode(true, prefix, target, 0.001) });
    return { t0: (await b.next("broadcast", 60_000)).t0 };
  });
  console.log(
    `  median of ${rounds} rounds: p50 ${ms(floor.median.p50)}, p99 ${ms(floor.median.p99)}, last ${ms(floor.median.last)} — one ws.send of a ready frame per socket, nothing else`,
  );
}

try {
  await main();
} catch (e) {
  console.error(`bench/ws-load.ts: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
} finally {
  clearTimeout(limit);
  await cleanup();
}
