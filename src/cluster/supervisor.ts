// supervisor.ts — the small parent of N worker processes (bridge.workers > 1): it starts them (the
// same program and arguments, with VBRIDGE_WORKER and VBRIDGE_CLUSTER), waits until each serves,
// starts a crashed one again after a growing delay (backoff.ts; one log line per exit), passes
// SIGHUP on, relays the workers' numbers (every worker gets the whole table each second, for the
// box's /stats, /metrics and /health), and on stop sends SIGTERM, waits (bounded), then SIGKILL.
// It holds no miner, no pool session and no ledger: nothing mutable is shared but the ledger file.

import type { Subprocess } from "bun";
import type { Logger } from "../util/log.ts";
import { DEFAULT_RESTART, restartDelay, type RestartPolicy } from "./backoff.ts";
import { ClusterError } from "./errors.ts";
import type { WorkerEntry } from "./merge.ts";
import { readWorkerMessage, SNAPSHOT_PERIOD_MS, type SupervisorMessage } from "./messages.ts";
import { workerEnv, type ClusterPlan } from "./settings.ts";

export interface SupervisorOptions {
  plan: ClusterPlan;
  /** The worker's command line (settings.ts selfCommand). */
  command: readonly string[];
  /** The environment every worker inherits (VBRIDGE_WORKER / VBRIDGE_CLUSTER are added). */
  env: Readonly<Record<string, string | undefined>>;
  log: Logger;
  restart?: RestartPolicy;
  /** How long a worker may take to serve at the start. Default 60 s. */
  readyTimeoutMs?: number;
  /** How long a stopping worker may take before SIGKILL. Default 30 s. */
  stopGraceMs?: number;
  periodMs?: number;
}

interface Slot {
  entry: WorkerEntry;
  proc: Subprocess | null;
  startedAt: number;
  delayMs: number;
  timer: ReturnType<typeof setTimeout> | null;
  /** Settles when this slot's first process serves (true) or ends before (false). */
  firstReady: PromiseWithResolvers<boolean> | null;
}

export class Supervisor {
  readonly #o: SupervisorOptions;
  readonly #slots: Slot[];
  readonly #broadcast: ReturnType<typeof setInterval>;
  #stopping = false;

  private constructor(o: SupervisorOptions) {
    this.#o = o;
    this.#slots = Array.from({ length: o.plan.workers }, (_, index) => ({
      entry: { index, pid: null, state: "starting", restarts: 0, lastExit: null, snapshot: null },
      proc: null,
      startedAt: 0,
      delayMs: 0,
      timer: null,
      firstReady: Promise.withResolvers<boolean>(),
    }));
    this.#broadcast = setInterval(() => this.#sendTable(), o.periodMs ?? SNAPSHOT_PERIOD_MS);
  }

  /**
   * Starts every worker and resolves once all serve. A worker that ends before it serves (or takes
   * longer than readyTimeoutMs) stops the others: E_CLUSTER_START (its own output says why).
   */
  static async start(o: SupervisorOptions): Promise<Supervisor> {
    const s = new Supervisor(o);
    const timeoutMs = o.readyTimeoutMs ?? 60_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"late">((r) => (timer = setTimeout(() => r("late"), timeoutMs)));
    // The first worker alone, then the others: the first opens (and creates or migrates) the
    // ledger before anyone else opens it.
    const [first, ...rest] = s.#slots;
    let failed = await Promise.race([s.#started([first!]), late]);
    if (failed === null) failed = await Promise.race([s.#started(rest), late]);
    clearTimeout(timer);
    if (failed !== null) {
      const slot = failed === "late" ? s.#slots.find((x) => x.entry.state !== "up")! : failed;
      const why = failed === "late" ? `not serving after ${timeoutMs / 1000} s` : slot.entry.lastExit;
      await s.stop();
      throw new ClusterError("E_CLUSTER_START", `worker ${slot.entry.index} did not start (${why})`);
    }
    for (const slot of s.#slots) slot.firstReady = null;
    o.log.info(
      `${s.#slots.length} worker processes serving: pids ${s.#slots.map((x) => x.entry.pid).join(", ")}`,
    );
    return s;
  }

  /** Spawns these slots; resolves null once all serve, or the first that ended before. */
  #started(slots: readonly Slot[]): Promise<Slot | null> {
    return new Promise((resolve) => {
      let serving = 0;
      if (slots.length === 0) resolve(null);
      for (const x of slots) {
        this.#spawn(x);
        void x.firstReady!.promise.then((ok) => {
          if (!ok) resolve(x);
          else if (++serving === slots.length) resolve(null);
        });
      }
    });
  }

  /** The slots as the workers see them. */
  table(): WorkerEntry[] {
    return this.#slots.map((s) => s.entry);
  }

  /** SIGHUP to every running worker (each reloads its certificate and logs it). */
  hup(): void {
    const running = this.#slots.filter((s) => s.proc !== null);
    for (const s of running) s.proc!.kill("SIGHUP");
    this.#o.log.info(`SIGHUP passed on to ${running.length} worker processes`);
  }

  /**
   * SIGTERM to every worker, SIGKILL to those still running after stopGraceMs. True when every
   * one exited with 0. Idempotent in effect (later calls find nothing running).
   */
  async stop(): Promise<boolean> {
    this.#stopping = true;
    clearInterval(this.#broadcast);
    for (const s of this.#slots) if (s.timer !== null) clearTimeout(s.timer);
    const running = this.#slots.flatMap((s) => (s.proc === null ? [] : [s.proc]));
    for (const p of running) p.kill("SIGTERM");
    const grace = this.#o.stopGraceMs ?? 30_000;
    const killer = setTimeout(() => {
      for (const p of running) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
    }, grace);
    const codes = await Promise.all(running.map((p) => p.exited));
    clearTimeout(killer);
    return codes.every((c) => c === 0);
  }

  #spawn(slot: Slot): void {
    const { index } = slot.entry;
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.#o.env)) if (v !== undefined) env[k] = v;
    Object.assign(env, workerEnv(index, this.#o.plan));
    const proc = Bun.spawn([...this.#o.command], {
      env,
      stdio: ["ignore", "inherit", "inherit"],
      serialization: "json",
      ipc: (m) => this.#onMessage(slot, m),
    });
    slot.proc = proc;
    slot.startedAt = Date.now();
    slot.entry = { ...slot.entry, pid: proc.pid, state: "starting", snapshot: null };
    void proc.exited.then(() => this.#onExit(slot, proc));
  }

  #onMessage(slot: Slot, raw: unknown): void {
    const m = readWorkerMessage(raw);
    if (m === null) return;
    if (m.t === "ready") {
      slot.entry = { ...slot.entry, state: "up" };
      slot.firstReady?.resolve(true);
      if (slot.entry.restarts > 0)
        this.#o.log.info(`worker ${slot.entry.index} serving again (pid ${slot.entry.pid})`);
    } else if (slot.entry.state !== "down") slot.entry = { ...slot.entry, snapshot: m.snapshot };
  }

  #onExit(slot: Slot, proc: Subprocess): void {
    if (slot.proc !== proc) return;
    slot.proc = null;
    const how = proc.signalCode !== null ? `signal ${proc.signalCode}` : `code ${proc.exitCode}`;
    const ran = Date.now() - slot.startedAt;
    slot.entry = { ...slot.entry, pid: null, state: "down", snapshot: null, lastExit: how };
    slot.firstReady?.resolve(false);
    if (this.#stopping || slot.firstReady !== null) {
      this.#o.log.info(`worker ${slot.entry.index} (pid ${proc.pid}) exited with ${how}`);
      return;
    }
    slot.delayMs = restartDelay(this.#o.restart ?? DEFAULT_RESTART, slot.delayMs, ran);
    this.#o.log.warn(
      `worker ${slot.entry.index} (pid ${proc.pid}) exited with ${how} after ${(ran / 1000).toFixed(1)} s; starting it again in ${slot.delayMs / 1000} s`,
    );
    slot.timer = setTimeout(() => {
      slot.timer = null;
      if (this.#stopping) return;
      slot.entry = { ...slot.entry, restarts: slot.entry.restarts + 1 };
      this.#spawn(slot);
    }, slot.delayMs);
  }

  #sendTable(): void {
    const m: SupervisorMessage = { t: "table", workers: this.table() };
    for (const s of this.#slots) {
      if (s.proc === null) continue;
      try {
        s.proc.send(m);
      } catch {
        // Exiting: its exit handler follows.
      }
    }
  }
}
