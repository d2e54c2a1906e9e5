// tls-stack.ts — the processes of the TLS end-to-end tests (tls.test.ts, tls-reload.test.ts):
// `vbridge bridge|pool|mine` as subprocesses (`bun src/main.ts …` from the repository root, the
// seed's environment variables removed so only the test's config counts), their output kept
// (capped) for assertions and failure messages, every wait bounded. The TLS clients that talk to
// them are in tls-clients.ts.

import { childEnv, freePort, ROOT } from "./stack.ts";

const OUTPUT_CAP = 256 * 1024;

/** `bun src/main.ts ARGS` with both output streams kept (the newest OUTPUT_CAP characters of each). */
export class Cli {
  readonly proc;
  out = "";
  err = "";
  readonly #drained: Promise<void>;

  constructor(args: string[]) {
    this.proc = Bun.spawn([process.execPath, "src/main.ts", ...args], {
      cwd: ROOT,
      env: childEnv(),
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    const drain = async (stream: ReadableStream<Uint8Array>, add: (s: string) => void) => {
      const decoder = new TextDecoder();
      for await (const chunk of stream) add(decoder.decode(chunk, { stream: true }));
    };
    const cap = (s: string) => (s.length > 2 * OUTPUT_CAP ? s.slice(-OUTPUT_CAP) : s);
    this.#drained = Promise.all([
      drain(this.proc.stdout, (s) => (this.out = cap(this.out + s))),
      drain(this.proc.stderr, (s) => (this.err = cap(this.err + s))),
    ]).then(() => {});
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  logs(): string {
    return `--- stdout\n${this.out}\n--- stderr\n${this.err}`;
  }

  /** Waits until stdout or stderr matches `re` (bounded); throws with the logs if the child exits first. */
  async waitFor(re: RegExp, timeoutMs = 15_000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = re.exec(this.out) ?? re.exec(this.err);
      if (m !== null) return m;
      if (!this.alive) {
        await this.#drained; // its last words may still be in the pipe
        const last = re.exec(this.out) ?? re.exec(this.err);
        if (last !== null) return last;
        throw new Error(`exited (${this.proc.exitCode}) before ${re}:\n${this.logs()}`);
      }
      if (Date.now() > deadline) throw new Error(`no ${re} within ${timeoutMs} ms:\n${this.logs()}`);
      await Bun.sleep(20);
    }
  }

  /** Exit code once the child ended by itself and its output is read (bounded: SIGKILL past it). */
  async exited(timeoutMs = 20_000): Promise<number> {
    const timer = setTimeout(() => this.proc.kill("SIGKILL"), timeoutMs);
    const code = await this.proc.exited;
    clearTimeout(timer);
    await this.#drained;
    return code;
  }

  /** SIGTERM (a clean stop), SIGKILL past the bound; the exit code. */
  async stop(timeoutMs = 15_000): Promise<number> {
    if (this.alive) this.proc.kill("SIGTERM");
    return this.exited(timeoutMs);
  }
}

/** TOML for a few sections of plain values. */
export function toml(sections: Record<string, Record<string, string | number | boolean | string[]>>): string {
  const lines: string[] = [];
  for (const [name, keys] of Object.entries(sections)) {
    lines.push(`[${name}]`);
    for (const [k, v] of Object.entries(keys)) lines.push(`${k} = ${JSON.stringify(v)}`);
  }
  return `${lines.join("\n")}\n`;
}

export interface TlsBridge {
  readonly cli: Cli;
  /** The https/wss port. */
  readonly port: number;
  /** The stratum+ssl port (0 when not configured). */
  readonly stratumTlsPort: number;
}

/**
 * `vbridge bridge` on its in-process built-in pool with [bridge] `keys` (tls_cert, tls_key, …),
 * config in `dir`; resolves once an upstream is authorized. Ports are picked free; when one was taken
 * meanwhile the bridge exits with its listen error and we try again.
 */
export async function startBridge(
  dir: string,
  keys: Record<string, string | number | boolean>,
  opts: { stratumTls?: boolean; builtinPool?: Record<string, number> } = {},
): Promise<TlsBridge> {
  for (let attempt = 1; ; attempt++) {
    const port = freePort();
    let stratumTlsPort = 0;
    if (opts.stratumTls === true)
      while (stratumTlsPort === 0 || stratumTlsPort === port) stratumTlsPort = freePort();
    const file = `${dir}/bridge.toml`;
    await Bun.write(
      file,
      toml({
        upstream: { pools: ["builtin"] },
        // No new job or block within a test: a share is never stale because a job moved on.
        builtin_pool: { difficulty: 16, job_interval: 600, block_interval: 600, ...opts.builtinPool },
        bridge: {
          host: "127.0.0.1",
          port,
          ledger: "",
          ...(stratumTlsPort === 0 ? {} : { stratum_tls_port: stratumTlsPort }),
          ...keys,
        },
      }),
    );
    const cli = new Cli(["bridge", "--config", file]);
    try {
      await cli.waitFor(/upstream #1 authorized/, 20_000);
      return { cli, port, stratumTlsPort };
    } catch (e) {
      await cli.stop();
      if (!/in use|EADDRINUSE|cannot listen/i.test(cli.logs()) || attempt >= 3) throw e;
    }
  }
}
