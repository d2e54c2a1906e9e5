/**
 * `make bench-fanout`: issue 12's fan-out numbers. One new block reaching 10,000 WebSocket sessions
 * through `vbridge bridge` with bridge.workers = 1 and = 2 (a supervisor and worker processes on
 * one port, SO_REUSEPORT, each with its own pool session), beside the bare Bun floor.
 *
 *   bun bench/fanout.ts [--sessions 10000] [--rounds 5] [--workers 1,2] [--checkout DIR]
 *
 * --checkout runs the bridge from another tree (e.g. `git archive` of a baseline commit with this
 * node_modules and build/native linked in); the pool, generator and floor stay this tree's.
 *
 * This process runs the pool (PoolServer on 127.0.0.1, jobs only when asked) and starts the bridge
 * as a real subprocess (`bun src/main.ts bridge --config FILE`, upstream = that pool) once per
 * workers value; the generator process (bench/ws-load-gen.ts) opens the msgpack sessions. Per round:
 * the time from just before PoolServer.newBlock() here until each session's socket delivered the
 * new job (the generator's receive times; both sides read timeOrigin + now(), the clock offset is
 * measured over IPC and printed, as bench/ws-load.ts does) — p50 / p99 / last, median of the rounds.
 * Then the floor: the same sessions on a bare Bun.serve (bench/ws-load-bare.ts) that sends one
 * pre-encoded frame to every socket. RSS per idle session: the summed VmRSS of the server's
 * processes (supervisor and every descendant, /proc) before the sessions and with all of them idle,
 * over the sessions, after full GCs in every one of them (as ws-load.ts does in its own process), and
 * the marginal cost between 10 % and 100 % of them. Numbers only, no pass/fail (STYLE.md §15).
 *
 * Limits: a descriptor per session in the generator and in the server (the Makefile target raises
 * the soft `ulimit -n` to the hard one), the loopback's ephemeral ports; every session comes from
 * 127.0.0.1, so max_connections(_per_ip) are raised in the bridge's config.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Subprocess } from "bun";
import { PoolServer } from "../src/pool/index.ts";
import type { Logger } from "../src/util/log.ts";
import { Child } from "./ipc-child.ts";
import { clockOffset, fanOutRounds, kb, mb, ms, now } from "./ws-load-rounds.ts";
import { floorFrames, type FromBare, type ToBare } from "./ws-load-bare.ts";
import {
  fds,
  freePort,
  gcTree,
  GC_PRELOAD,
  listeners,
  processTree,
  settledRss,
  signal,
  sumRss,
} from "./procs.ts";
import type { FromGen, ToGen } from "./ws-load-gen.ts";

const { values } = parseArgs({
  options: {
    sessions: { type: "string", default: "10000" },
    rounds: { type: "string", default: "5" },
    workers: { type: "string", default: "1,2" },
    checkout: { type: "string" },
  },
});
const wanted = Number(values.sessions);
const rounds = Number(values.rounds);
const workerRuns = values.workers.split(",").map(Number);
if (
  !Number.isInteger(wanted) ||
  wanted < 10 ||
  !Number.isInteger(rounds) ||
  rounds < 1 ||
  !workerRuns.every((w) => Number.isInteger(w) && w >= 1 && w <= 64)
) {
  console.error(
    "usage: bun bench/fanout.ts [--sessions N ≥ 10] [--rounds R] [--workers 1,2] [--checkout DIR]",
  );
  process.exit(2);
}
const ROOT = join(import.meta.dir, "..");
const BRIDGE_ROOT = values.checkout ?? ROOT;
/** The whole run is bounded: past this, everything is stopped and the run fails. */
const RUN_LIMIT_MS = 20 * 60_000;
/** Descriptors each process keeps besides its sessions (listeners, pool, ledger, stdio, Bun). */
const FD_MARGIN = 256;
/** Handshakes in flight at once while connecting (as bench/ws-load.ts). */
const CONNECT_BATCH = 250;
/** A bridge that does not serve within this long (pool sessions up, every worker listening) failed. */
const READY_MS = 60_000;
/** SIGTERM → exit bound of a bridge (its supervisor waits up to 30 s for its workers), then SIGKILL. */
const STOP_MS = 35_000;

// ------------------------------------------------------------------------------------ the machine

const num = (file: string, re: RegExp) => Number(re.exec(readFileSync(file, "utf8"))?.[1] ?? NaN);
const fdSoft = num("/proc/self/limits", /Max open files\s+(\d+)/);
const [portLo, portHi] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8")
  .trim()
  .split(/\s+/)
  .map(Number);
const ephemeral = portHi! - portLo! + 1;
const sessions = Math.min(wanted, fdSoft - FD_MARGIN, ephemeral - FD_MARGIN);
console.log(
  `vbridge fan-out: ${sessions} msgpack WebSocket sessions from a separate generator process, 127.0.0.1`,
);
console.log(
  `machine: ${cpus()[0]?.model ?? "unknown CPU"}, ${availableParallelism()} cores; fd limit ${fdSoft}; ephemeral ports ${ephemeral}`,
);
if (sessions < wanted)
  console.log(
    `  only ${sessions} of ${wanted} sessions fit: raise \`ulimit -n\` (make bench-fanout does) or the port range`,
  );

const quiet: Logger = {
  debug() {},
  info() {},
  warn: (m) => console.error(`pool: ${m}`),
  error: (m) => console.error(`pool: ${m}`),
};
const pool = PoolServer.start({
  host: "127.0.0.1",
  port: 0,
  difficulty: 1e12, // no share the bridge could forward
  jobIntervalSeconds: 2_000_000, // jobs only when this benchmark asks (newBlock)
  blockIntervalSeconds: 2_000_000,
  idleTimeoutSeconds: null,
  summaryIntervalSeconds: null,
  log: quiet,
});
const dir = mkdtempSync(join(tmpdir(), "vbridge-fanout-"));
const gen = new Child<ToGen, FromGen>("generator", "bench/ws-load-gen.ts", ROOT);
let bares: Child<ToBare, FromBare>[] = [];
let bridge: { proc: Subprocess; port: number } | null = null;

/** `vbridge bridge` with `workers` processes on the pool above; resolves once every worker listens. */
async function startBridge(workers: number): Promise<{ proc: Subprocess; port: number }> {
  const port = freePort();
  const config = join(dir, `bridge-w${workers}.toml`);
  const log = join(dir, `bridge-w${workers}.log`);
  writeFileSync(
    config,
    [
      `mode = "bridge"`,
      `[upstream]`,
      `pools = ["stratum+tcp://127.0.0.1:${pool.port}"]`,
      `user = "RBenchFanoutxxxxxxxxxxxxxxxxxxxxxx.bench"`,
      `[bridge]`,
      `host = "127.0.0.1"`,
      `port = ${port}`,
      ...(workers > 1 ? [`workers = ${workers}`] : []), // a workers = 1 run needs no such key
      `ledger = "${join(dir, `ledger-w${workers}.sqlite`)}"`,
      `max_connections = ${sessions + FD_MARGIN}`,
      `max_connections_per_ip = ${sessions + FD_MARGIN}`,
      `ws_difficulty = 1000000`, // no session finds a share in passing
      `handshake_timeout = 600`,
      `idle_timeout = 3600`,
      "",
    ].join("\n"),
  );
  const preload = join(dir, "gc-on-sigusr2.ts");
  writeFileSync(preload, GC_PRELOAD);
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (/^(POOL_|WS_PORT$|DEBUG$|VBRIDGE_)/.test(k)) delete env[k];
  const proc = Bun.spawn(
    [process.execPath, "--preload", preload, "src/main.ts", "bridge", "--config", config],
    {
      cwd: BRIDGE_ROOT,
      env,
      stdin: "ignore",
      stdout: Bun.file(log),
      stderr: Bun.file(log + ".err"),
    },
  );
  const b = { proc, port };
  bridge = b;
  const deadline = Date.now() + READY_MS;
  while (pool.stats().connections < workers || listeners(port) < workers) {
    if (proc.exitCode !== null || proc.signalCode !== null || Date.now() > deadline) {
      const why =
        proc.exitCode !== null || proc.signalCode !== null
          ? `exited (${proc.exitCode ?? proc.signalCode})`
          : "not serving";
      throw new Error(`bridge workers=${workers} ${why}: ${readTail(log + ".err") || readTail(log)}`);
    }
    await Bun.sleep(50);
  }
  await Bun.sleep(500); // the pool's first job reaches every worker
  return b;
}

const readTail = (f: string) => {
  try {
    return readFileSync(f, "utf8").trim().split("\n").slice(-3).join(" | ");
  } catch {
    return "";
  }
};

async function stopBridge(): Promise<void> {
  const b = bridge;
  bridge = null;
  if (b === null) return;
  const tree = processTree(b.proc.pid);
  b.proc.kill("SIGTERM");
  const killer = setTimeout(() => tree.forEach((p) => signal(p, "SIGKILL")), STOP_MS);
  await b.proc.exited;
  clearTimeout(killer);
}

let cleaned = false;
async function cleanup(): Promise<void> {
  if (cleaned) return;
  cleaned = true;
  await gen.stop({ cmd: "exit" });
  await stopBares();
  await stopBridge();
  pool.stop();
  rmSync(dir, { recursive: true, force: true });
}
process.on(
  "exit",
  () => bridge !== null && processTree(bridge.proc.pid).forEach((p) => signal(p, "SIGKILL")),
);

const limit = setTimeout(() => {
  console.error(`bench/fanout.ts: still running after ${RUN_LIMIT_MS / 60_000} min: stopping`);
  void cleanup().finally(() => process.exit(1));
}, RUN_LIMIT_MS);

// ------------------------------------------------------------------------------------ the numbers

interface Row {
  label: string;
  p50: number;
  p99: number;
  last: number;
  memory: Memory;
}

interface Memory {
  n: number;
  /** (RSS with every session idle − RSS before any) / sessions: the issue's measure. */
  perSession: number;
  /** The same between 10 % and 100 % of the sessions: one-time costs (JIT code, pools) left out. */
  marginal: number;
}

/** Connects the sessions to `port` in two steps; the servers' RSS before, at 10 % and at 100 %. */
async function connect(port: number, pids: () => number[], gc: () => Promise<void>): Promise<Memory> {
  const rss0 = await settledRss(pids, gc);
  const t0 = now();
  const partial = Math.max(1, Math.floor(sessions / 10));
  gen.tell({ cmd: "connect", port, sessions: partial, batch: CONNECT_BATCH, json: false });
  const c1 = await gen.next("connected", 10 * 60_000);
  if (c1.failed > 0) throw new Error(`${c1.failed} sessions failed to connect: ${c1.firstError}`);
  const rss1 = await settledRss(pids, gc);
  gen.tell({ cmd: "connect", port, sessions, batch: CONNECT_BATCH, json: false });
  const c = await gen.next("connected", 10 * 60_000);
  if (c.failed > 0)
    console.log(
      `  ${c.failed} sessions failed to connect (first: ${c.firstError}); measuring the ${c.sessions} that did`,
    );
  const rss2 = await settledRss(pids, gc);
  const m = {
    n: c.sessions,
    perSession: (rss2 - rss0) / c.sessions,
    marginal: (rss2 - rss1) / (c.sessions - partial),
  };
  console.log(
    `  ${c.sessions} sessions connected in ${((now() - t0) / 1000).toFixed(1)} s; RSS of ${pids().length} process(es) ` +
      `${mb(rss0)} → ${mb(rss2)}: ${kb(m.perSession)} per session, marginal ${partial}→${c.sessions} ${kb(m.marginal)}`,
  );
  return m;
}

async function bridgeRun(workers: number): Promise<Row> {
  console.log(`bridge, workers = ${workers} (\`vbridge bridge\` subprocess on the pool in this process):`);
  const b = await startBridge(workers);
  const pids = processTree(b.proc.pid);
  const fd0 = pids.map(fds);
  const gc = () => gcTree(b.proc.pid);
  const c = await connect(b.port, () => processTree(b.proc.pid), gc);
  if (workers > 1)
    console.log(
      `  sessions per worker (descriptors gained): ${pids
        .slice(1)
        .map((p, i) => fds(p) - fd0[i + 1]!)
        .join(" / ")}; pool connections ${pool.stats().connections}`,
    );
  const f = await fanOutRounds(gen, c.n, rounds, async () => {
    await gc(); // a full GC now, not during the fan-out (as bench/ws-load.ts)
    const t0 = now();
    pool.newBlock();
    return { t0 };
  });
  gen.tell({ cmd: "disconnect" });
  await gen.next("disconnected", 60_000);
  await stopBridge();
  return { label: `fan-out ${c.n} ws sessions  workers=${workers}`, ...f.median, memory: c };
}

async function stopBares(): Promise<void> {
  const all = bares;
  bares = [];
  for (const b of all) await b.stop({ cmd: "exit" });
}

/** The floor: `procs` bare Bun.serve processes on one port (SO_REUSEPORT when more than one). */
async function floorRun(procs: number): Promise<Row> {
  const what = procs === 1 ? "bare Bun floor" : `bare Bun floor, ${procs} processes`;
  console.log(`${what} (bench/ws-load-bare.ts: Bun.serve, one ready frame sent to every socket):`);
  const welcome = floorFrames.welcome();
  const job = floorFrames.job(pool.currentJob, "bare0");
  let port = 0;
  for (let i = 0; i < procs; i++) {
    const b = new Child<ToBare, FromBare>("bare server", "bench/ws-load-bare.ts", ROOT);
    bares.push(b);
    b.tell({ cmd: "start", welcome, job, port, reusePort: procs > 1 });
    port = (await b.next("listening", 30_000)).port;
  }
  for (let i = 0; i < 100 && listeners(port) < procs; i++) await Bun.sleep(20); // each said "listening"
  const gc = async () => {
    bares.forEach((b) => b.tell({ cmd: "rss" })); // three full GCs in each
    for (const b of bares) await b.next("rss", 30_000);
  };
  const c = await connect(port, () => bares.map((b) => b.proc.pid), gc);
  const f = await fanOutRounds(gen, c.n, rounds, async (r) => {
    await gc();
    const frame = floorFrames.job(pool.currentJob, `bare${r}`);
    bares.forEach((b) => b.tell({ cmd: "broadcast", frame }));
    const sent = await Promise.all(bares.map((b) => b.next("broadcast", 60_000)));
    const loops = sent.map((x) => ms(x.loopMs)).join(" + ");
    return { t0: Math.min(...sent.map((x) => x.t0)), note: `; send loop ${loops}` };
  });
  gen.tell({ cmd: "disconnect" });
  await gen.next("disconnected", 60_000);
  await stopBares();
  return { label: `${what} ${c.n} ws sessions`, ...f.median, memory: c };
}

async function main(): Promise<void> {
  const clock = await clockOffset(gen);
  console.log(
    `times: from just before PoolServer.newBlock() (floor: before the send loop) to the frame in each session's socket; ` +
      `clock offset generator−bench ${clock.offset.toFixed(3)} ms ± ${clock.error.toFixed(3)}, not subtracted`,
  );
  const rows: Row[] = [];
  for (const w of workerRuns) {
    try {
      rows.push(await bridgeRun(w));
    } catch (e) {
      console.log(`  workers = ${w}: not measured: ${e instanceof Error ? e.message : String(e)}`);
      await stopBridge();
      gen.tell({ cmd: "disconnect" });
      await gen.next("disconnected", 60_000);
    }
  }
  for (const procs of new Set(workerRuns)) rows.push(await floorRun(procs));
  console.log(
    `\n${cpus()[0]?.model ?? "unknown CPU"}, ${availableParallelism()} cores; median of ${rounds} rounds; goal: last ≤ 50 ms with workers=2, RSS/session ≤ 3 KB`,
  );
  const width = Math.max(...rows.map((r) => r.label.length));
  for (const r of rows)
    console.log(
      `${r.label.padEnd(width)}  p50 ${ms(r.p50)}  p99 ${ms(r.p99)}  last ${ms(r.last)}  RSS/session ${kb(r.memory.perSession)} (marginal ${kb(r.memory.marginal)})`,
    );
}

try {
  await main();
} catch (e) {
  console.error(`bench/fanout.ts: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
} finally {
  clearTimeout(limit);
  await cleanup();
}
