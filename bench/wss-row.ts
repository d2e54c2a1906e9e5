/**
 * One row of bench/wss.ts: `vbridge bridge` from a source tree (this one or the baseline worktree)
 * in a fresh subprocess pinned to core 0, a client process (bench/wss-client.ts) pinned to core 1,
 * and what is measured on the bridge from outside: its CPU time (/proc/PID/stat) over the timed
 * connects and its VmRSS before, after the warm-up and with every session idle.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import type { FromClient, ToClient } from "./wss-client.ts";

const ROOT = join(import.meta.dir, "..");
const BUN = process.execPath;

const TICKS = Number(Bun.spawnSync(["getconf", "CLK_TCK"]).stdout.toString().trim()) || 100;
export const PIN = availableParallelism() >= 2 && Bun.which("taskset") !== null;

const cpuSeconds = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / TICKS;
};
const rss = (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) * 1024;
/** The least VmRSS of `n` samples `gapMs` apart (garbage the bridge has not collected yet inflates single samples). */
async function leastRss(pid: number, n = 8, gapMs = 250): Promise<number> {
  let least = Infinity;
  for (let i = 0; i < n; i++) {
    least = Math.min(least, rss(pid));
    await Bun.sleep(gapMs);
  }
  return least;
}
const pinned = (core: number, cmd: string[]) => (PIN ? ["taskset", "-c", String(core), ...cmd] : cmd);

function freePort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const p = l.port;
  l.stop(true);
  return p;
}

function childEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = { NO_COLOR: "1", ...extra };
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !/^(POOL_|WS_PORT$|DEBUG$|VBRIDGE_)/.test(k)) env[k] ??= v;
  return env;
}

export interface Row {
  transport: "ws" | "wss";
  impl: string;
  root: string;
  env: Record<string, string>;
}

export interface Result {
  ok: number;
  failed: number;
  lost: number;
  connPerS: number;
  connPerCoreS: number;
  bridgeUsPerConn: number;
  clientUsPerConn: number;
  rssPerSession: number;
  rssMarginal: number;
  sessionsSeen: number | null;
  firstError: string | null;
  p50: number;
  p99: number;
}

export interface RowOptions {
  sessions: number;
  /** Sessions opened first and not timed (JIT, heap growth). */
  warm: number;
  concurrency: number;
  /** What to undo if the run is cut short (the caller runs them). */
  cleanups: (() => void | Promise<void>)[];
}

/** A client process (core 1) with an IPC channel. */
class Client {
  readonly proc: Subprocess;
  readonly #inbox: FromClient[] = [];
  constructor() {
    this.proc = Bun.spawn(pinned(1, [BUN, "bench/wss-client.ts"]), {
      cwd: ROOT,
      stdin: "ignore",
      stdout: "inherit",
      stderr: "inherit",
      ipc: (m: FromClient) => void this.#inbox.push(m),
    });
  }
  async connect(
    port: number,
    ca: string | null,
    count: number,
    concurrency: number,
  ): Promise<Extract<FromClient, { ev: "connected" }>> {
    this.proc.send({ cmd: "connect", port, ca, count, concurrency } satisfies ToClient);
    const deadline = Date.now() + 120_000;
    while (this.#inbox.length === 0) {
      if (Date.now() > deadline || this.proc.exitCode !== null) throw new Error("the client did not report");
      await Bun.sleep(20);
    }
    const m = this.#inbox.shift()!;
    if (m.ev === "error") throw new Error(`client: ${m.message}`);
    return m;
  }
  async exit(): Promise<void> {
    try {
      this.proc.send({ cmd: "exit" } satisfies ToClient);
    } catch {}
    const t = setTimeout(() => this.proc.kill("SIGKILL"), 5000);
    await this.proc.exited;
    clearTimeout(t);
  }
}

export async function measureRow(
  row: Row,
  tls: { cert: string; key: string; ca: string } | null,
  o: RowOptions,
): Promise<Result> {
  const { cleanups } = o;
  const dir = mkdtempSync(join(tmpdir(), "vbridge-bench-wss-"));
  const port = freePort();
  const file = join(dir, "bridge.toml");
  const bridgeKeys: Record<string, string | number> = {
    host: "127.0.0.1",
    port,
    ledger: "",
    max_connections: 100_000,
    max_connections_per_ip: 100_000,
    handshake_timeout: 600,
    idle_timeout: 3600,
    ...(tls === null ? {} : { tls_cert: tls.cert, tls_key: tls.key }),
  };
  writeFileSync(
    file,
    [
      "[upstream]",
      'pools = ["builtin"]',
      "[builtin_pool]",
      "job_interval = 86400",
      "block_interval = 86400",
      "[bridge]",
      ...Object.entries(bridgeKeys).map(([k, v]) => `${k} = ${JSON.stringify(v)}`),
      "",
    ].join("\n"),
  );
  let log = "";
  const bridge = Bun.spawn(pinned(0, [BUN, "src/main.ts", "bridge", "--config", file]), {
    cwd: row.root,
    env: childEnv(row.env),
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  for (const s of [bridge.stdout, bridge.stderr])
    void (async () => {
      const d = new TextDecoder();
      for await (const c of s) log = (log + d.decode(c, { stream: true })).slice(-20_000);
    })().catch(() => {});
  const stopBridge = async () => {
    if (bridge.exitCode !== null || bridge.signalCode !== null) return;
    bridge.kill("SIGTERM");
    const t = setTimeout(() => bridge.kill("SIGKILL"), 10_000);
    await bridge.exited;
    clearTimeout(t);
  };
  cleanups.push(stopBridge, () => rmSync(dir, { recursive: true, force: true }));
  const base = `${tls === null ? "http" : "https"}://127.0.0.1:${port}`;
  const get = (path: string) =>
    fetch(base + path, { tls: tls === null ? undefined : { ca: tls.ca }, signal: AbortSignal.timeout(5000) });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (bridge.exitCode !== null) throw new Error(`${row.impl} bridge exited:\n${log}`);
    if (Date.now() > deadline) throw new Error(`${row.impl} bridge: no /health 200 within 30 s:\n${log}`);
    try {
      if ((await get("/health")).status === 200) break;
    } catch {}
    await Bun.sleep(100);
  }
  const pid = bridge.pid;
  await Bun.sleep(1500);
  const rss0 = await leastRss(pid);

  const client = new Client();
  cleanups.push(() => client.exit());
  const ca = tls === null ? null : tls.ca;
  const warm = await client.connect(port, ca, o.warm, o.concurrency);
  await Bun.sleep(1000);
  const rss1 = await leastRss(pid);
  const cpu0 = cpuSeconds(pid);
  const timed = await client.connect(port, ca, o.sessions - o.warm, o.concurrency);
  const bridgeCpu = cpuSeconds(pid) - cpu0;
  await Bun.sleep(1500);
  const rss2 = await leastRss(pid, 12);
  let sessionsSeen: number | null = null;
  try {
    const stats = (await (await get("/stats")).json()) as { sessions?: Record<string, number> };
    sessionsSeen = stats.sessions?.["ws-msgpack"] ?? null;
  } catch {}
  await client.exit();
  await stopBridge();
  const ok = warm.ok + timed.ok;
  return {
    ok,
    failed: warm.failed + timed.failed,
    lost: timed.lost,
    connPerS: timed.ok / (timed.ms / 1000),
    connPerCoreS: bridgeCpu > 0 ? timed.ok / bridgeCpu : Infinity,
    bridgeUsPerConn: (bridgeCpu * 1e6) / Math.max(1, timed.ok),
    clientUsPerConn: (timed.cpuMs * 1000) / Math.max(1, timed.ok),
    rssPerSession: (rss2 - rss0) / Math.max(1, ok),
    rssMarginal: (rss2 - rss1) / Math.max(1, timed.ok),
    sessionsSeen,
    firstError: warm.firstError ?? timed.firstError,
    p50: timed.p50,
    p99: timed.p99,
  };
}
