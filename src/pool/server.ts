// server.ts — the built-in Stratum pool: a Bun TCP listener, the synthetic job source, the job
// table, one Session + Connection per socket, the timers, logs and stats. It owns all I/O and
// time; everything it drives is sans-IO (session.ts, jobs.ts, synthetic.ts, stats.ts, protocol/vardiff.ts).
//
// It is the opponent of the integration tests and the offline default of the product, so it is
// strict: shares are validated by validateShare with the pool rule and real VerusHash, exactly as
// v-nomp would (verus-stratum.md §5), and a share a real pool rejects gets the same code here.

import type { Socket, TCPSocketListener } from "bun";
import { Hasher } from "../hash/index.ts";
import { hashToDisplayHex, type Job, type ShareHashers, type SubmitParams, type Verdict } from "../protocol/index.ts";
import { Connection, type ConnectionHooks } from "./connection.ts";
import { PoolError, type CloseReason } from "./errors.ts";
import { Extranonce1Allocator } from "./extranonce.ts";
import { poolHashers } from "./hashers.ts";
import { JobTable } from "./jobs.ts";
import { resolvePoolOptions, type PoolOptions, type ResolvedPoolOptions } from "./options.ts";
import { randomU32, seededRandom, systemRandom } from "./random.ts";
import { Session, type SessionContext, type SessionListener } from "./session.ts";
import { formatSummary, PoolStats, type PoolStatsSnapshot } from "./stats.ts";
import { SyntheticJobSource, type SyntheticWork } from "./synthetic.ts";

/** setTimeout's longest delay. */
const MAX_TIMER_MS = 2 ** 31 - 1;

type PoolSocket = Socket<Connection | undefined>;

export class PoolServer {
  readonly options: ResolvedPoolOptions;
  readonly #listener: TCPSocketListener<Connection | undefined>;
  readonly #hasher: Hasher;
  readonly #hashers: ShareHashers;
  readonly #source: SyntheticJobSource;
  readonly #jobs: JobTable;
  readonly #xn1: Extranonce1Allocator;
  readonly #stats: PoolStats;
  readonly #connections = new Set<Connection>();
  readonly #context: SessionContext;
  readonly #sessionEvents: SessionListener;
  readonly #connectionHooks: ConnectionHooks;
  #nextConnectionId = 1;
  #jobTimer: ReturnType<typeof setTimeout> | null = null;
  #summaryTimer: ReturnType<typeof setInterval> | null = null;
  #rotating = false;
  #stopped = false;

  /** Opens the hasher and the listening socket; throws E_POOL_OPTIONS, E_POOL_LISTEN or a hash error. */
  static start(options: PoolOptions = {}): PoolServer {
    return new PoolServer(resolvePoolOptions(options));
  }

  private constructor(o: ResolvedPoolOptions) {
    this.options = o;
    const now = o.clock();
    const random = o.seed === null ? systemRandom : seededRandom(o.seed);
    this.#hasher = Hasher.open(o.impl);
    this.#hashers = poolHashers(this.#hasher);
    this.#source = new SyntheticJobSource(
      { random, jobIntervalMs: o.jobIntervalSeconds * 1000, blockIntervalMs: o.blockIntervalSeconds * 1000, nBits: o.nBits },
      now,
    );
    this.#jobs = new JobTable({ maxJobs: o.maxJobs, maxSharesPerJob: o.maxSharesPerJob });
    this.#jobs.push(this.#source.current.job, true);
    this.#xn1 = new Extranonce1Allocator(randomU32(random), randomU32(random));
    this.#stats = new PoolStats(now);
    this.#context = { jobs: this.#jobs, hashers: this.#hashers, currentJob: () => this.#source.current.job, now: o.clock };
    this.#sessionEvents = this.#makeSessionEvents();
    this.#connectionHooks = {
      closed: (c, reason, detail) => this.#onClosed(c, reason, detail),
      internalError: (c, e) => o.log(`conn ${c.session.id} internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`),
    };
    try {
      this.#listener = Bun.listen<Connection | undefined>({
        hostname: o.host,
        port: o.port,
        socket: {
          binaryType: "uint8array",
          open: (socket) => this.#onOpen(socket),
          data: (socket, chunk) => socket.data?.onData(chunk),
          drain: (socket) => socket.data?.onDrain(),
          close: (socket) => socket.data?.onPeerClosed(),
          error: (socket) => socket.data?.onPeerClosed(),
        },
      });
    } catch (e) {
      this.#hasher.close();
      throw new PoolError("E_POOL_LISTEN", `cannot listen on ${o.host}:${o.port}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    const w = this.#source.current;
    o.log(`pool listening on ${o.host}:${this.port}, difficulty ${o.difficulty}${o.vardiff ? " (vardiff)" : ""}, hasher ${this.#hasher.impl}`);
    o.log(`block ${w.height}, job ${w.job.id}`);
    this.#armJobTimer();
    if (o.summaryIntervalSeconds !== null) {
      this.#summaryTimer = setInterval(() => o.log(`summary: ${formatSummary(this.stats())}`), o.summaryIntervalSeconds * 1000);
    }
  }

  /** The bound port (the real one when started with port 0). */
  get port(): number {
    return this.#listener.port;
  }

  get host(): string {
    return this.options.host;
  }

  /** The job miners are working on now. */
  get currentJob(): Job {
    return this.#source.current.job;
  }

  stats(): PoolStatsSnapshot {
    const w = this.#source.current;
    return this.#stats.snapshot(this.options.clock(), { height: w.height, jobId: w.job.id });
  }

  /** Issue a new job of the current block now (clean=false), as the job timer does. */
  newJob(): Job {
    return this.#publish(this.#source.newJob(this.options.clock()));
  }

  /** Start a new block now (clean=true: every older job becomes "21 job not found"). */
  newBlock(): Job {
    return this.#publish(this.#source.newBlock(this.options.clock()));
  }

  /** Close every connection and the listener; idempotent. Returns the final stats. */
  stop(): PoolStatsSnapshot {
    if (!this.#stopped) {
      this.#stopped = true;
      if (this.#jobTimer !== null) clearTimeout(this.#jobTimer);
      if (this.#summaryTimer !== null) clearInterval(this.#summaryTimer);
      for (const c of [...this.#connections]) c.close("stopped", "pool stopping");
      this.#listener.stop(true);
      this.#hasher.close();
      this.options.log(`pool stopped: ${formatSummary(this.stats())}`);
    }
    return this.stats();
  }

  #onOpen(socket: PoolSocket): void {
    const id = this.#nextConnectionId++;
    const log = this.options.log;
    if (this.#stopped || this.#connections.size >= this.options.maxConnections) {
      const why = this.#stopped ? "pool stopping" : `${this.options.maxConnections} connections open`;
      log(`conn ${id} from ${socket.remoteAddress} refused: ${why}`);
      socket.end();
      return;
    }
    let xn1: string;
    try {
      xn1 = this.#xn1.allocate();
    } catch (e) {
      log(`conn ${id} from ${socket.remoteAddress} refused: ${e instanceof Error ? e.message : String(e)}`);
      socket.end();
      return;
    }
    const session = new Session(
      { id, extranonce1: xn1, difficulty: this.options.difficulty, vardiff: this.options.vardiff },
      this.#context,
      this.#sessionEvents,
    );
    const conn = new Connection(socket, socket.remoteAddress, session, this.options, this.#connectionHooks);
    socket.data = conn;
    this.#connections.add(conn);
    this.#stats.opened();
    log(`conn ${id} from ${conn.remote} connected, extranonce1 ${xn1}`);
  }

  #onClosed(c: Connection, reason: CloseReason, detail: string): void {
    this.#connections.delete(c);
    this.#xn1.release(c.session.extranonce1);
    this.#stats.closed(reason);
    this.options.log(`conn ${c.session.id} closed: ${reason}${reason === "peer" ? "" : ` (${detail})`}`);
  }

  #publish(work: SyntheticWork): Job {
    const { job } = work;
    this.#jobs.push(job, work.newBlock);
    const log = this.options.log;
    log(work.newBlock ? `block ${work.height}, job ${job.id} (clean)` : `job ${job.id}`);
    const now = this.options.clock();
    const idleMs = this.options.idleTimeoutSeconds === null ? null : this.options.idleTimeoutSeconds * 1000;
    for (const c of [...this.#connections]) {
      // v-nomp checks idleness when it broadcasts a job; only submits count as activity.
      if (idleMs !== null && now - c.session.lastSubmitAt > idleMs) c.close("idle", `no submit for ${this.options.idleTimeoutSeconds} s`);
      else c.send(c.session.jobLines(job));
    }
    this.#armJobTimer();
    return job;
  }

  #armJobTimer(): void {
    if (this.#stopped) return;
    if (this.#jobTimer !== null) clearTimeout(this.#jobTimer);
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, this.#source.dueAt - this.options.clock()));
    this.#jobTimer = setTimeout(() => {
      this.#jobTimer = null;
      const work = this.#source.poll(this.options.clock());
      if (work !== null) this.#publish(work);
      else this.#armJobTimer();
    }, delay);
  }

  /** A job that reached its duplicate-set cap is retired (jobs.ts); give miners a fresh one. */
  #rotateIfRetired(): void {
    if (this.#rotating || !this.#jobs.newestRetired) return;
    this.#rotating = true;
    queueMicrotask(() => {
      this.#rotating = false;
      if (!this.#stopped && this.#jobs.newestRetired) this.newJob();
    });
  }

  #makeSessionEvents(): SessionListener {
    const log = this.options.log;
    return {
      subscribed: (s) => log(`conn ${s.id} subscribed`),
      authorized: (s, user, ok) => log(ok ? `conn ${s.id} authorized ${printable(user)}` : `conn ${s.id} authorization refused for ${printable(user)}`),
      difficultyChanged: (s, d, previous) => log(`conn ${s.id} difficulty ${previous} -> ${d}`),
      unknownMethod: (s, method) => log(`conn ${s.id} unknown method ${printable(method)}`),
      share: (s, submit, verdict) => this.#onShare(s, submit, verdict),
    };
  }

  #onShare(s: Session, submit: SubmitParams, v: Verdict): void {
    const log = this.options.log;
    const job = printable(submit.jobId);
    if (v.ok) {
      this.#stats.accepted(this.options.clock(), v.creditedDifficulty, v.blockCandidate);
      log(`conn ${s.id} share accepted: job ${job}, difficulty ${v.shareDifficulty} (credited ${v.creditedDifficulty})`);
      if (v.blockCandidate) {
        log(`conn ${s.id} BLOCK CANDIDATE at height ${this.#source.current.height}: hash ${hashToDisplayHex(v.hash)} (no daemon: not submitted)`);
      }
      this.#rotateIfRetired();
    } else {
      this.#stats.rejected(v.reject.code);
      log(`conn ${s.id} share rejected: ${v.reject.code} ${v.reject.message} (job ${job})`);
    }
  }
}

/** Peer-supplied text for a log line: no control characters (no forged lines), bounded length. */
function printable(s: string): string {
  const clean = s.replace(/[\u0000-\u001f\u007f-\u009f]/g, "?");
  return JSON.stringify(clean.length > 80 ? `${clean.slice(0, 80)}…` : clean);
}
