// core.ts — the bridge core (the contract's BridgeCore): the only part of vbridge that sees both
// sides (STYLE.md). It owns the upstream sessions (upstream.ts), the miner sessions (session.ts),
// the ledger, the hash contexts and the counters; transports call open() and nothing else.
//
// Placement: a new miner goes to the first upstream session with a free lease; when all are full
// another one is opened (up to tuning.maxUpstreams), so 256^k miners share one pool connection.
// An extra upstream session left without miners and without pending shares is closed again.

import { hostname } from "node:os";
import type { PoolClientOptions } from "../upstream/index.ts";
import { JOBS_KEPT } from "../protocol/job-window.ts";
import { quieter, silentLogger, type Logger } from "../util/log.ts";
import {
  NO_EVENTS,
  type BridgeCore,
  type BridgeHealth,
  type BridgeStats,
  type MinerHello,
  type MinerInfo,
  type MinerSession,
  type MinerSink,
  type MinerTransport,
  type UpstreamInfo,
} from "./contract.ts";
import { DEFAULT_MAX_SHARE_MEMORY } from "./duplicates.ts";
import { BridgeError } from "./errors.ts";
import { Heartbeat, type FleetView } from "./fleet.ts";
import { HasherCache } from "./hashers.ts";
import { Ledger, type LedgerCounters, type WorkerTotals } from "../ledger/index.ts";
import {
  resolveTuning,
  vardiffByTransport,
  type BridgeCoreOptions,
  type TransportVardiff,
  type Tuning,
} from "./options.ts";
import { DEFAULT_INVALID_WINDOW } from "./invalid-window.ts";
import { Session, type SessionContext } from "./session.ts";
import { BridgeCounters, formatBridgeSummary } from "./stats.ts";
import { UpstreamSlot, type UpstreamContext } from "./upstream.ts";

/** How long stop() waits for the pool's answers to forwarded shares. */
const DRAIN_TIMEOUT_MS = 5000;

export class Bridge implements BridgeCore {
  readonly tuning: Tuning;
  readonly #o: BridgeCoreOptions;
  readonly #log: Logger;
  readonly #clock: () => number;
  readonly #ledger: Ledger;
  readonly #hashers: HasherCache;
  readonly #counters: BridgeCounters;
  readonly #client: PoolClientOptions;
  readonly #slots: UpstreamSlot[] = [];
  readonly #sessions = new Set<Session>();
  /** The upstream session each miner session is leased from (for miners()). */
  readonly #placement = new WeakMap<Session, UpstreamSlot>();
  readonly #sessionCtx: SessionContext;
  readonly #upstreamCtx: UpstreamContext;
  readonly #vardiff: Record<MinerTransport, TransportVardiff>;
  #nextSession = 1;
  #nextSlot = 1;
  #closing = false;
  #stopped: Promise<void> | null = null;
  #summary: ReturnType<typeof setInterval> | null = null;
  #ticker: ReturnType<typeof setInterval> | null = null;
  readonly #heartbeat: Heartbeat;

  /**
   * Opens the ledger and hash contexts and connects the first upstream session. Throws
   * E_BRIDGE_OPTIONS, E_LEDGER*, E_POOL_* / E_TLS_* (bad pool settings) or a hash error, after
   * undoing whatever had started.
   */
  static start(options: BridgeCoreOptions): Bridge {
    return new Bridge(options);
  }

  private constructor(o: BridgeCoreOptions) {
    this.#o = o;
    this.#log = o.log ?? silentLogger;
    this.#clock = o.clock ?? Date.now;
    this.tuning = resolveTuning(o);
    this.#vardiff = vardiffByTransport(o);
    this.#counters = new BridgeCounters(this.#clock());
    this.#hashers = new HasherCache(o.impl);
    const undo: (() => void)[] = [() => this.#hashers.close()];
    try {
      this.#ledger = Ledger.open(o.ledgerPath, { ...o.ledger, log: this.#log, clock: this.#clock });
      undo.push(() => this.#ledger.close());
      this.#client = { maxJobs: JOBS_KEPT, log: quieter(this.#log), ...o.client };
      this.#sessionCtx = this.#makeSessionContext();
      this.#upstreamCtx = this.#makeUpstreamContext();
      this.#openSlot(); // also checks the pool settings before anything connects
    } catch (e) {
      for (const f of undo.reverse()) f();
      throw e;
    }
    const id = o.fleetId ?? `${hostname()}:${process.pid}`;
    this.#heartbeat = new Heartbeat(id, this.#ledger, this, this.#log, this.#clock, this.tuning.heartbeatMs);
    this.#ledger.ready.then(
      () => this.#heartbeat.beat(),
      () => {}, // the caller of ready reports it
    );
    this.#log.info(
      `bridge started: ${this.#client.pools.length} pool(s), ${o.leaseBytes}-byte leases, ledger ${o.ledgerPath === "" ? "in memory" : this.#ledger.target}, hasher ${this.#hashers.impl}`,
    );
    const every = this.tuning.summaryIntervalSeconds;
    if (every !== null) {
      this.#summary = setInterval(
        () => this.#log.info(`summary: ${formatBridgeSummary(this.stats())}`),
        every * 1000,
      );
      this.#summary.unref();
    }
    const tick = this.tuning.tickIntervalMs;
    if (tick !== null) {
      this.#ticker = setInterval(() => this.tick(), tick);
      this.#ticker.unref();
    }
  }

  /** Vardiff between jobs for every session, at the core's clock (a timer calls it; tests too). */
  tick(): void {
    const now = this.#clock();
    for (const s of this.#sessions) s.tick(now);
  }

  open(hello: MinerHello, sink: MinerSink): MinerSession {
    if (this.#closing) throw new BridgeError("E_BRIDGE_CLOSED", "the bridge is shutting down");
    const slot = this.#place();
    const d = this.#vardiff[hello.transport];
    const s = new Session(this.#nextSession++, hello, sink, this.#sessionCtx, slot, {
      startDifficulty: d.start,
      vardiff: d,
    });
    this.#sessions.add(s);
    this.#placement.set(s, slot);
    this.#counters.opened(hello.transport);
    this.#log.debug("miner session opened", {
      session: s.id,
      transport: hello.transport,
      remote: hello.remote,
      upstream: slot.index,
    });
    slot.join(s);
    return s;
  }

  /**
   * Resolves once the ledger can take shares (PostgreSQL: first connection and migration); rejects
   * with its coded error (E_LEDGER_CONNECT, E_LEDGER_AUTH, E_LEDGER_VERSION) when it cannot.
   */
  get ready(): Promise<void> {
    return this.#ledger.ready;
  }

  /** Every bridge sharing this ledger's database, as last read (fleet.ts). */
  fleet(): FleetView {
    return this.#heartbeat.view();
  }

  /** The ledger itself: history, blocks and the fleet's heartbeats are read from it. */
  get ledger(): Ledger {
    return this.#ledger;
  }

  health(): BridgeHealth {
    if (this.#closing) return { ok: false, reason: "the bridge is stopping" };
    if (this.#slots.some((s) => s.serving)) {
      const l = this.#ledger.health();
      return l.ok ? { ok: true } : { ok: true, degraded: l.reason };
    }
    const why = this.#slots.map((s) => s.trouble).filter((t) => t !== null);
    return { ok: false, reason: `no upstream pool session has work (${why.join("; ") || "none open"})` };
  }

  stats(): BridgeStats & { ledger: LedgerCounters & { kind: string } } {
    const events = this.#o.events?.counters?.();
    return {
      ...this.#counters.snapshot(
        this.#clock(),
        this.#slots.map((s) => s.stats()),
      ),
      ledger: { kind: this.#ledger.kind, ...this.#ledger.counters() },
      ...(events === undefined ? {} : { events }),
    };
  }

  /** Open miner sessions for the operator API (a walk over them: call it per request, not per share). */
  miners(): MinerInfo[] {
    const now = this.#clock();
    return [...this.#sessions].map((s) => s.info(now, this.#placement.get(s)?.index ?? 0));
  }

  /** Upstream sessions in detail for the operator API. */
  upstreamInfo(): UpstreamInfo[] {
    return this.#slots.map((s) => s.info());
  }

  /** Bridge-wide numbers /stats does not carry: invalid shares and the last minute's hashrate. */
  tallies(): { invalid: number; hashrate1m: number } {
    return { invalid: this.#counters.invalidCount, hashrate1m: this.#counters.hashrate1m(this.#clock()) };
  }

  /** Committed ledger totals of every worker (for /stats and tests). */
  workers(): Promise<WorkerTotals[]> {
    return this.#ledger.totals();
  }

  /** Committed ledger totals of one worker, or null. */
  worker(name: string): Promise<WorkerTotals | null> {
    return this.#ledger.worker(name);
  }

  /**
   * Stop taking shares (they are refused as "shutting down"), commit what the ledger holds (which
   * acknowledges and forwards those shares), wait up to DRAIN_TIMEOUT_MS for the pool's answers, end
   * every session, close the pool connections and the ledger. Idempotent.
   */
  stop(): Promise<void> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async #stop(): Promise<void> {
    this.#closing = true;
    if (this.#summary !== null) clearInterval(this.#summary);
    if (this.#ticker !== null) clearInterval(this.#ticker);
    this.#heartbeat.stop();
    // Bounded; not at all while the ledger's database fails (close() below waits, then gives up
    // on what still waits, unacknowledged).
    if (!this.#ledger.counters().failing) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        this.#ledger.flush(),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, DRAIN_TIMEOUT_MS))),
      ]);
      clearTimeout(timer);
    }
    const deadline = performance.now() + DRAIN_TIMEOUT_MS;
    while (this.#slots.some((s) => s.pending > 0) && performance.now() < deadline) await Bun.sleep(10);
    for (const s of [...this.#sessions]) s.end({ reason: "bridge-closing" });
    await Promise.all(this.#slots.map((s) => s.close()));
    await this.#ledger.close();
    this.#hashers.close();
    this.#log.info(`bridge stopped: ${formatBridgeSummary(this.stats())}`);
  }

  #place(): UpstreamSlot {
    const free = this.#slots.find((s) => s.canAdmit());
    if (free !== undefined) return free;
    if (this.#slots.length >= this.tuning.maxUpstreams) {
      throw new BridgeError(
        "E_BRIDGE_FULL",
        `every lease of ${this.#slots.length} upstream session(s) is taken`,
        { upstreams: this.#slots.length },
      );
    }
    return this.#openSlot();
  }

  #openSlot(): UpstreamSlot {
    const slot = new UpstreamSlot(this.#nextSlot++, this.#client, this.#upstreamCtx);
    this.#slots.push(slot);
    slot.start();
    return slot;
  }

  /** An extra upstream session nobody uses any more is closed; the first one always stays. */
  #retire(slot: UpstreamSlot): void {
    if (this.#closing || slot === this.#slots[0]) return;
    const i = this.#slots.indexOf(slot);
    if (i < 0) return;
    this.#slots.splice(i, 1);
    this.#log.info(`upstream #${slot.index} closed: no miners left on it`);
    void slot.close();
  }

  #makeSessionContext(): SessionContext {
    return {
      now: this.#clock,
      closing: () => this.#closing,
      ledger: this.#ledger,
      events: this.#o.events ?? NO_EVENTS,
      stats: this.#counters,
      hashers: this.#hashers,
      log: this.#log,
      maxSharesPerSecond: this.#o.maxSharesPerSecond,
      maxShareMemory: DEFAULT_MAX_SHARE_MEMORY,
      invalidWindow: DEFAULT_INVALID_WINDOW,
      closed: (s) => {
        if (!this.#sessions.delete(s)) return;
        this.#counters.closed(s.hello.transport);
        this.#log.debug("miner session closed", { session: s.id });
      },
    };
  }

  #makeUpstreamContext(): UpstreamContext {
    return {
      log: this.#log,
      ledger: this.#ledger,
      events: this.#o.events ?? NO_EVENTS,
      stats: this.#counters,
      now: this.#clock,
      leaseBytes: this.#o.leaseBytes,
      sessionCap: this.tuning.maxSessionsPerUpstream,
      maxJobs: JOBS_KEPT,
      idle: (slot) => this.#retire(slot),
    };
  }
}
