// cluster-process.ts — `vbridge bridge` with bridge.workers = N, spawned as a user runs it (`bun
// src/main.ts bridge --config FILE`, the built-in pool), its output kept for failure messages,
// and its box's /stats, /metrics and /health read over loopback. Every wait is bounded.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import type { WorkerSummary } from "../../src/downstream/index.ts";
import { childEnv, freePort, Output, ROOT, until, type StatsBody } from "../e2e/stack.ts";

export type BoxStats = StatsBody & { workers: WorkerSummary[] };

/** Drains a pipe into text (capped), so a chatty child never blocks. */

export interface ClusterSettings {
  dir: string;
  workers: number | string;
  /** More [bridge] keys. */
  bridge?: Record<string, number | string | boolean>;
  /** The CA (PEM file) to trust when the bridge serves https (bridge.tls_cert): the client's side. */
  caFile?: string;
}

/** Writes the config file; returns its path and the ports in it. */
export function writeConfig(s: ClusterSettings): {
  file: string;
  port: number;
  stratumPort: number;
  ledger: string;
} {
  const port = freePort();
  let stratumPort = freePort();
  while (stratumPort === port) stratumPort = freePort();
  const ledger = join(s.dir, "ledger.sqlite");
  const file = join(s.dir, "bridge.toml");
  const bridge = {
    host: "127.0.0.1",
    port,
    stratum_port: stratumPort,
    ledger,
    workers: s.workers,
    ...s.bridge,
  };
  writeFileSync(
    file,
    [
      "[upstream]",
      'pools = ["builtin"]',
      "[builtin_pool]",
      // Jobs of one block for the whole test: no share turns stale under the test's feet.
      "job_interval = 3600",
      "block_interval = 7200",
      "[bridge]",
      ...Object.entries(bridge).map(([k, v]) => `${k} = ${JSON.stringify(v)}`),
      "",
    ].join("\n"),
  );
  return { file, port, stratumPort, ledger };
}

export class ClusterProcess {
  readonly proc: Subprocess<"ignore", "pipe", "pipe">;
  readonly port: number;
  readonly stratumPort: number;
  readonly ledger: string;
  readonly #out: Output;
  readonly #err: Output;
  readonly #caFile: string | null;

  private constructor(
    proc: Subprocess<"ignore", "pipe", "pipe">,
    c: ReturnType<typeof writeConfig>,
    caFile: string | null,
  ) {
    this.proc = proc;
    this.#caFile = caFile;
    this.port = c.port;
    this.stratumPort = c.stratumPort;
    this.ledger = c.ledger;
    this.#out = new Output(proc.stdout);
    this.#err = new Output(proc.stderr);
  }

  /** Spawns the supervisor and waits until every worker serves and /health is 200. */
  static async start(s: ClusterSettings & { workers: number }): Promise<ClusterProcess> {
    const c = writeConfig(s);
    const proc = Bun.spawn([process.execPath, "src/main.ts", "bridge", "--config", c.file], {
      cwd: ROOT,
      env: childEnv(),
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    const b = new ClusterProcess(proc, c, s.caFile ?? null);
    try {
      await b.untilServing(s.workers, 60_000);
      return b;
    } catch (e) {
      b.kill9();
      await proc.exited;
      throw new Error(`${(e as Error).message}\n${b.logs()}`);
    }
  }

  /** Until /health is 200 and every one of `n` workers is up with numbers. */
  async untilServing(
    n: number,
    timeoutMs = 60_000,
    also: (s: BoxStats) => boolean = () => true,
  ): Promise<BoxStats> {
    let last: BoxStats | null = null;
    await until(
      async () => {
        if (!this.alive)
          throw new Error(`the supervisor exited (${this.proc.exitCode ?? this.proc.signalCode})`);
        if ((await this.health()).status !== 200) return false;
        last = await this.stats().catch(() => null);
        return (
          last !== null &&
          last.workers.length === n &&
          last.workers.every((w) => w.state === "up" && w.ok && w.uptimeSeconds !== null) &&
          also(last)
        );
      },
      `${n} workers serving`,
      timeoutMs,
    );
    return last!;
  }

  logs(): string {
    return `--- supervisor stdout\n${this.#out.text}\n--- supervisor stderr\n${this.#err.text}`;
  }

  /** Everything printed so far (the workers print through the supervisor's stdout). */
  get output(): string {
    return this.#out.text + this.#err.text;
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** GET on the bridge's port: http, or https trusting the test CA when the bridge has a certificate. */
  #get(path: string, timeoutMs: number): Promise<Response> {
    const ca = this.#caFile;
    return fetch(`${ca === null ? "http" : "https"}://127.0.0.1:${this.port}${path}`, {
      signal: AbortSignal.timeout(timeoutMs),
      ...(ca === null ? {} : { tls: { ca: readFileSync(ca, "utf8") } }),
    });
  }

  async health(): Promise<{ status: number; body: Record<string, unknown> | null }> {
    try {
      const r = await this.#get("/health", 5000);
      return { status: r.status, body: (await r.json()) as Record<string, unknown> };
    } catch {
      return { status: 0, body: null };
    }
  }

  async stats(): Promise<BoxStats> {
    const r = await this.#get("/stats", 10_000);
    if (r.status !== 200) throw new Error(`/stats answered ${r.status}`);
    return (await r.json()) as BoxStats;
  }

  async metrics(): Promise<string> {
    const r = await this.#get("/metrics", 10_000);
    if (r.status !== 200) throw new Error(`/metrics answered ${r.status}`);
    return await r.text();
  }

  kill9(): void {
    if (this.alive) this.proc.kill("SIGKILL");
  }

  /** SIGTERM; SIGKILL past the bound. The exit code (null: killed). */
  async stop(timeoutMs = 45_000): Promise<number | null> {
    if (this.alive) this.proc.kill("SIGTERM");
    const timer = setTimeout(() => this.kill9(), timeoutMs);
    await this.proc.exited;
    clearTimeout(timer);
    await Promise.all([this.#out.done, this.#err.done]);
    return this.proc.exitCode;
  }
}

/** Whether a process with this pid exists (signal 0). */
export function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** One Prometheus sample's value (labels as written), or NaN. */
export function sample(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? NaN : Number(line.slice(series.length + 1));
}

/** Sum of every sample of a family whose labels include `match` (e.g. `worker=`). */
export function sumOf(text: string, family: string, match = ""): number {
  return text
    .split("\n")
    .filter((l) => l.startsWith(`${family}{`) && l.includes(match))
    .reduce((a, l) => a + Number(l.slice(l.lastIndexOf(" ") + 1)), 0);
}
