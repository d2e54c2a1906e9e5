// stack.ts — processes of the end-to-end test: `vbridge bridge` spawned with a temporary config
// file (its own HTTP and Stratum ports, its ledger in a temporary directory) and `vbridge mine`,
// both as a user runs them (`bun src/main.ts …` from the repository root), with their output kept
// for the failure message and every wait bounded.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import type { BridgeStats } from "../../src/bridge/index.ts";
import type { DownstreamSnapshot } from "../../src/downstream/index.ts";
import type { MinerSummary } from "../../src/miner/index.ts";

export const ROOT = join(import.meta.dir, "../..");

/** Settings the seed's environment would override: a child must see only its config file. */
const SEED_ENV = [
  "POOL_URL",
  "POOL_USER",
  "POOL_PASS",
  "WS_PORT",
  "DEBUG",
  "VBRIDGE_TOKEN",
  "VBRIDGE_IMPL",
  "VBRIDGE_THREADS",
];

/** This process's environment without the seed's settings, and no colours. */
export function childEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !SEED_ENV.includes(k)) env[k] = v;
  env.NO_COLOR = "1";
  return env;
}

/** Polls `f` until true; the timeout is a bound, never what a test measures. */
export async function until(
  f: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await f())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await Bun.sleep(20);
  }
}

/** A port that was free a moment ago (the kernel's choice for port 0); callers retry on a clash. */
export function freePort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

export function tempDir(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), "vbridge-e2e-"));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A child's output as it comes (the pipes must be drained, or a chatty child blocks). */
export class Output {
  text = "";
  /** Resolves when the stream ended (the child closed it, usually by exiting). */
  readonly done: Promise<void>;
  constructor(stream: ReadableStream<Uint8Array>) {
    this.done = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of stream) {
        this.text += decoder.decode(chunk, { stream: true });
        if (this.text.length > 256 * 1024) this.text = this.text.slice(-128 * 1024);
      }
    })().catch(() => {});
  }
}

export interface BridgeSettings {
  pool: string;
  user: string;
  dir: string;
  /** [bridge] keys, written as TOML values. */
  bridge: Record<string, number | string | boolean>;
  /** Other sections, as TOML text after [bridge] (e.g. "[events]\nredis = …"). */
  extra?: string;
}

export type StatsBody = BridgeStats & { downstream: DownstreamSnapshot };

export class BridgeProcess {
  readonly proc: Subprocess<"ignore", "pipe", "pipe">;
  readonly port: number;
  readonly stratumPort: number;
  readonly ledger: string;
  readonly #out: Output;
  readonly #err: Output;

  private constructor(
    proc: Subprocess<"ignore", "pipe", "pipe">,
    port: number,
    stratumPort: number,
    ledger: string,
  ) {
    this.proc = proc;
    this.port = port;
    this.stratumPort = stratumPort;
    this.ledger = ledger;
    this.#out = new Output(proc.stdout);
    this.#err = new Output(proc.stderr);
  }

  /**
   * Writes the config, spawns `vbridge bridge --config FILE` and waits until /health says an
   * upstream is subscribed. bridge.port may not be 0, so two ports are picked free; if another
   * process takes one in between, the bridge exits with E_DOWNSTREAM_LISTEN and we try again.
   */
  static async start(s: BridgeSettings, attempts = 5): Promise<BridgeProcess> {
    for (let attempt = 1; ; attempt++) {
      const port = freePort();
      let stratumPort = freePort();
      while (stratumPort === port) stratumPort = freePort();
      const ledger = join(s.dir, "ledger.sqlite");
      const file = join(s.dir, "bridge.toml");
      const bridgeKeys = { host: "127.0.0.1", port, stratum_port: stratumPort, ledger, ...s.bridge };
      writeFileSync(
        file,
        [
          "[upstream]",
          `pools = [${JSON.stringify(s.pool)}]`,
          `user = ${JSON.stringify(s.user)}`,
          "[bridge]",
          ...Object.entries(bridgeKeys).map(([k, v]) => `${k} = ${JSON.stringify(v)}`),
          s.extra ?? "",
          "",
        ].join("\n"),
      );
      const proc = Bun.spawn([process.execPath, "src/main.ts", "bridge", "--config", file], {
        cwd: ROOT,
        env: childEnv(),
        stdin: "ignore",
        stdout: "pipe",
        stderr: "pipe",
      });
      const b = new BridgeProcess(proc, port, stratumPort, ledger);
      try {
        await until(
          async () => {
            if (proc.exitCode !== null || proc.signalCode !== null)
              throw new Error(`vbridge bridge exited (${proc.exitCode ?? proc.signalCode})`);
            return (await b.health()) === 200;
          },
          "the bridge's /health",
          30_000,
        );
        return b;
      } catch (e) {
        b.kill9();
        await proc.exited;
        const listen = /cannot listen|in use|EADDRINUSE/i.test(b.logs()); // E_DOWNSTREAM_LISTEN, as the CLI prints it
        if (!listen || attempt >= attempts) throw new Error(`${(e as Error).message}\n${b.logs()}`);
      }
    }
  }

  logs(): string {
    return `--- bridge stdout\n${this.#out.text}\n--- bridge stderr\n${this.#err.text}`;
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  async health(): Promise<number> {
    try {
      return (await fetch(`http://127.0.0.1:${this.port}/health`, { signal: AbortSignal.timeout(5000) }))
        .status;
    } catch {
      return 0;
    }
  }

  async stats(): Promise<StatsBody> {
    const r = await fetch(`http://127.0.0.1:${this.port}/stats`, { signal: AbortSignal.timeout(10_000) });
    if (r.status !== 200) throw new Error(`/stats answered ${r.status}`);
    return (await r.json()) as StatsBody;
  }

  kill9(): void {
    if (this.alive) this.proc.kill("SIGKILL");
  }

  /** SIGTERM, then SIGKILL if it has not exited within the bound. */
  async stop(timeoutMs = 15_000): Promise<void> {
    if (!this.alive) return;
    this.proc.kill("SIGTERM");
    const timer = setTimeout(() => this.kill9(), timeoutMs);
    await this.proc.exited;
    clearTimeout(timer);
  }
}

/** `vbridge mine … --json`: its summary on stdout at the end, its log on stderr. */
export class MineProcess {
  readonly proc: Subprocess<"ignore", "pipe", "pipe">;
  readonly #out: Output;
  readonly #err: Output;

  constructor(pool: string, user: string, durationSeconds: number) {
    const args = [
      "mine",
      "--pool",
      pool,
      "--user",
      user,
      "-t",
      "1",
      "--duration",
      String(durationSeconds),
      "--json",
      "--report-interval",
      "5",
    ];
    this.proc = Bun.spawn([process.execPath, "src/main.ts", ...args], {
      cwd: ROOT,
      env: childEnv(),
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    this.#out = new Output(this.proc.stdout);
    this.#err = new Output(this.proc.stderr);
  }

  logs(): string {
    return `--- mine stdout\n${this.#out.text}\n--- mine stderr\n${this.#err.text}`;
  }

  /** SIGTERM (a clean stop: it prints its summary), SIGKILL past the bound; the summary or null. */
  async stop(timeoutMs = 20_000): Promise<MinerSummary | null> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill("SIGTERM");
    const timer = setTimeout(() => this.proc.kill("SIGKILL"), timeoutMs);
    await this.proc.exited;
    clearTimeout(timer);
    await this.#out.done;
    const line = this.#out.text.trim().split("\n").at(-1) ?? "";
    try {
      return JSON.parse(line) as MinerSummary;
    } catch {
      return null;
    }
  }
}
