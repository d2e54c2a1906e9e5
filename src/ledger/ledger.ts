// ledger.ts — the share ledger's front, the same for both backends: what every worker is owed, so
// an operator can pay browser miners. A credit is acknowledged (done(null)) only after the commit
// that holds it. Group commit: everything queued during one event-loop turn goes into one
// transaction (setImmediate); while a commit is in flight (PostgreSQL answers asynchronously) new
// work queues for the next one; a batch carries at most MAX_BATCH operations.
//
// Database trouble: a failed commit is retried — the same batch, in order, with backoff 50 ms → 2 s —
// and its credits wait unacknowledged (the batch id and share keys make the retry safe even when
// the first attempt did commit and only its reply was lost). Meanwhile `failing` is set, health()
// says so, and once maxQueued credits wait, new ones are refused at once (E_LEDGER_FULL): never
// acknowledged without a commit, never an unbounded queue. A commit that neither succeeds nor fails
// within COMMIT_TIMEOUT_MS counts as failed (the backend drops its connections and the retry starts
// afresh). On recovery the queue drains in order.

import { silentLogger, type Logger } from "../util/log.ts";
import { asLedgerError, LedgerError, redactTarget } from "./errors.ts";
import { PostgresStore } from "./postgres.ts";
import { SqliteStore } from "./sqlite.ts";
import { makeBatch, Waiters, withTimeout, type Done, type InFlight, type Op } from "./batch.ts";
import type {
  Batch,
  BlockRecord,
  BlockRow,
  BridgeBeat,
  CommitResult,
  Credit,
  HistoryQuery,
  HistoryRow,
  PoolResultKind,
  Store,
  WorkerTotals,
} from "./store.ts";

export interface LedgerOptions {
  /** SQLite only; default FULL (an fsync per commit: survives a power cut). */
  synchronous?: "FULL" | "NORMAL";
  /** Credits waiting for a commit before new ones are refused (E_LEDGER_FULL); default 20000. */
  maxQueued?: number;
  /** Days of history and blocks kept; 0 = forever; default 400. Share keys are kept an hour. */
  retentionDays?: number;
  log?: Logger;
  /** Unix ms; default Date.now (pruning cutoffs, batch ids' age). */
  clock?: () => number;
  /** A commit still pending after this long counts as failed; default 10000. */
  commitTimeoutMs?: number;
  /** How long close() waits for the queue to drain (the database down); default 5000. */
  closeWaitMs?: number;
}

/** Operations per transaction. */
const MAX_BATCH = 4096;
const KEY_MAX = 64;
/** Pruning runs this often: share keys live between one and 1¼ hours. */
const PRUNE_EVERY_MS = 900_000;

/** counters(): the ledger's side of /stats and /metrics. */
export interface LedgerCounters {
  /** Credits waiting for a commit (queued and in flight). */
  queued: number;
  /** Credits newly written (acknowledged). */
  committed: number;
  /** Credits whose key was already there (acknowledged, counted once). */
  duplicates: number;
  /** Credits refused at once: the queue was full (E_LEDGER_FULL). */
  refused: number;
  /** Commit attempts that failed and were retried. */
  retries: number;
  /** Transactions committed. */
  commits: number;
  /** Rejects and pool results not counted: as many waited as credits may. */
  dropped: number;
  /** The last commit failed: health() is not ok. */
  failing: boolean;
  lastError: string | null;
}

export class Ledger {
  readonly ready: Promise<void>;
  readonly kind: "sqlite" | "postgres";
  /** Where the ledger is, password redacted. */
  readonly target: string;
  readonly #store: Store;
  readonly #log: Logger;
  readonly #clock: () => number;
  readonly #maxQueued: number;
  readonly #retentionDays: number;
  readonly #commitTimeoutMs: number;
  readonly #closeWaitMs: number;
  readonly #pruneTimer: ReturnType<typeof setInterval>;
  #queue: Op[] = [];
  #inflight: InFlight | null = null;
  #scheduled = false;
  #opened: boolean;
  #opening: Promise<void> | null = null;
  #queuedCredits = 0;
  #queuedEvents = 0;
  #seq = 0;
  #doneSeq = 0;
  readonly #waiters = new Waiters();
  #closed = false;
  #gaveUp = false;
  #closing: Promise<void> | null = null;
  #c = { committed: 0, duplicates: 0, refused: 0, retries: 0, commits: 0, dropped: 0 };
  #failing = false;
  #failingSince = 0;
  #lastError: string | null = null;
  #readError: string | null = null;

  /**
   * "" = in-memory SQLite, "postgres://…" / "postgresql://…" = PostgreSQL, else a SQLite file.
   * SQLite opens and migrates now (throws E_LEDGER / E_LEDGER_VERSION); PostgreSQL connects in the
   * background (`ready`).
   */
  static open(target: string, o: LedgerOptions = {}): Ledger {
    const store = /^postgres(ql)?:\/\//i.test(target)
      ? new PostgresStore(target)
      : new SqliteStore(target, o.synchronous ?? "FULL");
    return new Ledger(store, target, o);
  }

  /** A ledger over a given backend (tests wrap a real one to inject faults). */
  static withStore(store: Store, target: string, o: LedgerOptions = {}): Ledger {
    return new Ledger(store, target, o);
  }

  private constructor(store: Store, target: string, o: LedgerOptions) {
    this.#store = store;
    this.kind = store.kind;
    this.target = redactTarget(target);
    this.#log = o.log ?? silentLogger;
    this.#clock = o.clock ?? Date.now;
    this.#maxQueued = o.maxQueued ?? 20_000;
    this.#retentionDays = o.retentionDays ?? 400;
    this.#commitTimeoutMs = o.commitTimeoutMs ?? 10_000;
    this.#closeWaitMs = o.closeWaitMs ?? 5_000;
    this.#opened = store.kind === "sqlite";
    this.ready = this.#ensureOpen();
    this.ready.then(
      () => this.#schedule(),
      // Whoever awaits ready reports it (the CLI: one line, exit 2); no warning here as well.
      (e: LedgerError) => {
        this.#failing = true;
        this.#failingSince = this.#clock();
        this.#lastError = e.message;
      },
    );
    this.#enqueue({ kind: "prune" });
    this.#pruneTimer = setInterval(() => void this.prune(), PRUNE_EVERY_MS);
    this.#pruneTimer.unref?.();
  }

  #ensureOpen(): Promise<void> {
    if (this.#opened) return Promise.resolve();
    this.#opening ??= this.#store.open().then(
      () => {
        this.#opened = true;
        this.#opening = null;
      },
      (e) => {
        this.#opening = null;
        throw asLedgerError(e, "cannot open the share ledger", { target: this.target });
      },
    );
    return this.#opening;
  }

  credit(c: Credit, done: Done): void {
    if (this.#closed) return done(new LedgerError("E_LEDGER_CLOSED", "the share ledger is closed"));
    if (c.key.length > KEY_MAX) {
      return done(
        new LedgerError("E_LEDGER", `a share key is at most ${KEY_MAX} bytes (got ${c.key.length})`),
      );
    }
    if (this.#queuedCredits >= this.#maxQueued) {
      this.#c.refused++;
      return done(
        new LedgerError("E_LEDGER_FULL", `the share ledger queue is full (${this.#maxQueued} credits wait)`, {
          maxQueued: this.#maxQueued,
        }),
      );
    }
    this.#queuedCredits++;
    this.#enqueue({ kind: "credit", credit: c, done });
  }

  reject(worker: string, code: number, at: number): void {
    this.#event({ kind: "reject", worker, code, at });
  }

  poolResult(worker: string, result: PoolResultKind, at: number): void {
    this.#event({ kind: "pool", worker, result, at });
  }

  block(b: BlockRecord): void {
    if (!this.#closed) this.#enqueue({ kind: "block", block: b }); // rare and precious: never dropped
  }

  /** Counts nobody waits for: dropped (counted) while as many wait as credits may. */
  #event(op: Op): void {
    if (this.#closed) return;
    if (this.#queuedEvents >= this.#maxQueued) {
      this.#c.dropped++;
      return;
    }
    this.#queuedEvents++;
    this.#enqueue(op);
  }

  /** Deletes share keys older than an hour and history and blocks older than retentionDays (every 15 min). */
  prune(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#enqueue({ kind: "prune" });
    return this.flush();
  }

  health(): { ok: true } | { ok: false; reason: string } {
    if (this.#failing) return { ok: false, reason: `share ledger commits failing: ${this.#lastError}` };
    if (this.#queuedCredits >= this.#maxQueued)
      return { ok: false, reason: `share ledger queue full (${this.#queuedCredits} credits wait)` };
    if (!this.#opened) return { ok: false, reason: "share ledger not connected yet" };
    // No shares flowing, the database gone: the fleet heartbeat's reads say it first.
    if (this.#readError !== null)
      return { ok: false, reason: `share ledger reads failing: ${this.#readError}` };
    return { ok: true };
  }

  counters(): LedgerCounters {
    return { queued: this.#queuedCredits, ...this.#c, failing: this.#failing, lastError: this.#lastError };
  }

  totals(): Promise<WorkerTotals[]> {
    return this.#read(() => this.#store.totals());
  }

  async worker(name: string): Promise<WorkerTotals | null> {
    return (await this.#read(() => this.#store.totals(name)))[0] ?? null;
  }

  history(q: HistoryQuery): Promise<HistoryRow[]> {
    return this.#read(() => this.#store.history(q));
  }

  blocks(q: { from: number; to: number }): Promise<BlockRow[]> {
    return this.#read(() => this.#store.blocks(q));
  }

  heartbeat(b: BridgeBeat): Promise<void> {
    return this.#read(() => this.#store.heartbeat(b));
  }

  fleet(seenSince: number): Promise<BridgeBeat[]> {
    return this.#read(() => this.#store.fleet(seenSince));
  }

  /** A read (totals, history, heartbeats): its failure makes health() say so until one works. */
  async #read<T>(f: () => Promise<T>): Promise<T> {
    if (this.#gaveUp) throw new LedgerError("E_LEDGER_CLOSED", "the share ledger is closed");
    try {
      await this.#ensureOpen();
      const r = await f();
      this.#readError = null;
      return r;
    } catch (e) {
      const error = asLedgerError(e, "share ledger read failed", { target: this.target });
      this.#readError = error.message;
      throw error;
    }
  }

  /**
   * Resolves once everything queued before the call is committed (or given up by close). SQLite
   * (healthy): committed within this call, callbacks run, before it returns.
   */
  flush(): Promise<void> {
    this.#drainSync();
    if (this.#doneSeq >= this.#seq) return Promise.resolve();
    return this.#waiters.wait(this.#seq);
  }

  /**
   * Flushes (waiting at most closeWaitMs; not at all when the database was never reached), refuses
   * what still waits (E_LEDGER_CLOSED), closes.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      clearInterval(this.#pruneTimer);
      if (this.#opened || !this.#failing) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.#closeWaitMs)));
        await Promise.race([this.flush(), waited]);
        clearTimeout(timer);
      }
      this.#giveUp();
      await this.#store.close();
    })();
    return this.#closing;
  }

  #giveUp(): void {
    this.#gaveUp = true;
    const closed = new LedgerError(
      "E_LEDGER_CLOSED",
      "the share ledger closed before this credit was committed",
    );
    if (this.#inflight !== null) this.#settle(this.#inflight, closed);
    const rest = this.#queue;
    this.#queue = [];
    this.#settle({ ops: rest, settled: false }, closed);
    this.#doneSeq = this.#seq;
    this.#waiters.wake(this.#doneSeq);
  }

  #enqueue(op: Op): void {
    this.#seq++;
    this.#queue.push(op);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled || this.#inflight !== null || this.#gaveUp) return;
    this.#scheduled = true;
    setImmediate(() => void this.#pump());
  }

  /** The next batch off the queue, now in flight. */
  #take(): { flight: InFlight; batch: Batch; lastSeq: number } {
    const ops = this.#queue.length <= MAX_BATCH ? this.#queue : this.#queue.slice(0, MAX_BATCH);
    this.#queue = ops === this.#queue ? [] : this.#queue.slice(MAX_BATCH);
    const flight: InFlight = { ops, settled: false };
    this.#inflight = flight;
    return {
      flight,
      batch: makeBatch(ops, this.#clock(), this.#retentionDays),
      lastSeq: this.#seq - this.#queue.length,
    };
  }

  /**
   * A synchronous store, open and healthy: everything queued is committed now, callbacks included.
   * A commit that throws goes on in the asynchronous path (retries with backoff).
   */
  #drainSync(): void {
    while (
      this.#store.synchronous &&
      this.#opened &&
      !this.#failing &&
      !this.#gaveUp &&
      this.#inflight === null &&
      this.#queue.length > 0
    ) {
      const { flight, batch, lastSeq } = this.#take();
      let result: CommitResult;
      try {
        result = this.#store.commit(batch) as CommitResult;
      } catch (e) {
        this.#fail(asLedgerError(e, "share ledger commit failed", { target: this.target }));
        this.#c.retries++;
        void this.#commit(flight, batch, lastSeq, 50);
        return;
      }
      this.#committed(flight, batch, result, lastSeq);
    }
  }

  async #pump(): Promise<void> {
    this.#scheduled = false;
    this.#drainSync();
    if (this.#inflight !== null || this.#queue.length === 0 || this.#gaveUp) return;
    const { flight, batch, lastSeq } = this.#take();
    await this.#commit(flight, batch, lastSeq, 0);
  }

  /** Commits one batch, retrying with backoff until it succeeds or close gives up on it. */
  async #commit(flight: InFlight, batch: Batch, lastSeq: number, firstDelay: number): Promise<void> {
    if (firstDelay > 0) {
      await Bun.sleep(firstDelay);
      if (flight.settled) return;
    }
    let result: CommitResult;
    for (let delay = Math.max(50, 2 * firstDelay); ; delay = Math.min(2 * delay, 2_000)) {
      try {
        await this.#ensureOpen();
        result = await withTimeout(this.#store.commit(batch), this.#commitTimeoutMs, () =>
          this.#store.reset(),
        );
        if (flight.settled) return; // close gave up on it meanwhile
        break;
      } catch (e) {
        if (flight.settled) return;
        this.#fail(asLedgerError(e, "share ledger commit failed", { target: this.target }));
        this.#c.retries++;
        await Bun.sleep(delay);
        if (flight.settled) return;
      }
    }
    this.#committed(flight, batch, result, lastSeq);
  }

  /** A batch is in: count it, run its callbacks, and go on with what queued meanwhile. */
  #committed(flight: InFlight, batch: Batch, result: CommitResult, lastSeq: number): void {
    this.#c.commits++;
    this.#c.committed += result.replayed ? batch.credits.length : result.inserted;
    this.#c.duplicates += result.duplicates;
    if (this.#failing) {
      this.#log.info("share ledger commits succeed again", {
        target: this.target,
        downMs: this.#clock() - this.#failingSince,
        queued: this.#queuedCredits,
      });
      this.#failing = false;
    }
    this.#settle(flight, null);
    this.#inflight = null;
    this.#doneSeq = Math.max(this.#doneSeq, lastSeq);
    this.#waiters.wake(this.#doneSeq);
    if (this.#queue.length > 0) this.#schedule();
  }

  #fail(e: LedgerError): void {
    if (!this.#failing) {
      this.#failing = true;
      this.#failingSince = this.#clock();
      this.#log.warn("share ledger commit failed; credits wait and are retried", {
        target: this.target,
        code: e.code,
        error: e.message,
      });
    }
    this.#lastError = e.message;
  }

  /** Runs the callbacks of a batch once, in order; a callback that throws is rethrown later. */
  #settle(flight: InFlight, error: LedgerError | null): void {
    if (flight.settled) return;
    flight.settled = true;
    for (const op of flight.ops) {
      if (op.kind !== "credit") {
        if (op.kind !== "block" && op.kind !== "prune") this.#queuedEvents--;
        continue;
      }
      this.#queuedCredits--;
      try {
        op.done(error);
      } catch (e) {
        setTimeout(() => {
          throw e;
        });
      }
    }
  }
}
