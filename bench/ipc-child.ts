/**
 * A Bun child process with an IPC channel (Bun.spawn ipc, structured-clone messages) for the
 * benchmarks that drive other processes (bench/ws-load.ts): commands go out with tell(), reports
 * queue up and are awaited by kind with next(), every wait bounded.
 */
import type { Subprocess } from "bun";

/** A Bun child process with an IPC channel, and a queue of what it reported. */
export class Child<To, From extends { ev: string }> {
  readonly proc: Subprocess;
  readonly #inbox: From[] = [];
  #wake: (() => void) | null = null;

  constructor(
    readonly name: string,
    script: string,
    cwd: string,
  ) {
    this.proc = Bun.spawn([process.execPath, script], {
      cwd,
      stdin: "ignore",
      stdout: "inherit",
      stderr: "inherit",
      ipc: (m: From) => {
        this.#inbox.push(m);
        this.#wake?.();
      },
    });
  }

  tell(m: To): void {
    this.proc.send(m);
  }

  /** The next report of this kind (an "error" report throws). */
  async next<E extends From["ev"]>(ev: E, timeoutMs: number): Promise<Extract<From, { ev: E }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.#inbox.findIndex((m) => m.ev === ev || m.ev === "error");
      if (i >= 0) {
        const m = this.#inbox.splice(i, 1)[0]!;
        if (m.ev === "error")
          throw new Error(`${this.name}: ${(m as unknown as { message: string }).message}`);
        return m as Extract<From, { ev: E }>;
      }
      if (this.proc.exitCode !== null || this.proc.signalCode !== null)
        throw new Error(`the ${this.name} exited (${this.proc.exitCode ?? this.proc.signalCode})`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for the ${this.name}'s "${ev}"`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 1000));
        this.#wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.#wake = null;
    }
  }

  /** Asks it to exit; SIGKILL past the bound. */
  async stop(exit: To): Promise<void> {
    try {
      this.tell(exit);
    } catch {}
    const killer = setTimeout(() => this.proc.kill("SIGKILL"), 3000);
    await this.proc.exited;
    clearTimeout(killer);
  }
}
