// server.ts — the built-in Stratum pool: a Stratum listener (src/stratum/), the job source
// (synthetic, or the operator's verusd: src/daemon/source.ts), the job table, one PoolMiner (miner.ts) per connection, the timers, logs and stats. It
// owns all I/O and time; everything it drives is sans-IO (miner.ts, jobs.ts, synthetic.ts,
// stats.ts, the shared Stratum server session).
//
// It is the opponent of the integration tests and the offline default of the product, so it is
// strict: shares are validated by validateShare with the pool rule and real VerusHash, exactly as
// v-nomp would (verus-stratum.md §5), and a share a real pool rejects gets the same code here.

import { Hasher } from "../hash/index.ts";
import type { CloseReason } from "../protocol/close-codes.ts";
import {
  type Job,
  type LineDecoderOptions,
  type ShareHashers,
  type SubmitParams,
  type Verdict,
} from "../protocol/index.ts";
import { StratumConnection } from "../stratum/connection.ts";
import { Listener, type NetSocket, type TlsPair } from "../net/listener.ts";
import { printable } from "../util/text.ts";
import { PoolError } from "./errors.ts";
import { Extranonce1Allocator } from "./extranonce.ts";
import { poolHashers } from "./hashers.ts";
import { JobTable } from "./jobs.ts";
import { resolvePoolOptions, type PoolOptions, type ResolvedPoolOptions } from "./options.ts";
import { randomU32, seededRandom, systemRandom } from "./random.ts";
import { PoolMiner, type PoolMinerContext, type PoolMinerListener } from "./miner.ts";
import { formatPoolSummary, PoolStats, type PoolStatsSnapshot } from "./stats.ts";
import { SyntheticJobSource, type SyntheticWork } from "./synthetic.ts";
import type { DaemonJobSource } from "../daemon/source.ts";
import { blockCandidate, blockFoundMessage, takesBlocknotify } from "./blocks.ts";

/** setTimeout's longest delay. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** One miner connection: the socket side and the pool's view of the miner. */
interface Member {
  conn: StratumConnection;
  miner: PoolMiner;
  remote: string;
}

export class PoolServer {
  readonly options: ResolvedPoolOptions;
  readonly #listener: Listener;
  readonly #tlsListener: Listener | null = null;
  readonly #hasher: Hasher;
  readonly #hashers: ShareHashers;
  /** Synthetic jobs (no daemon), or null when the daemon gives them. */
  readonly #source: SyntheticJobSource | null;
  readonly #daemon: DaemonJobSource | null;
  readonly #jobs: JobTable;
  readonly #xn1: Extranonce1Allocator;
  readonly #stats: PoolStats;
  readonly #members = new Set<Member>();
  readonly #context: PoolMinerContext;
  readonly #minerEvents: PoolMinerListener;
  #nextConnectionId = 1;
  #jobTimer: ReturnType<typeof setTimeout> | null = null;
  #summaryTimer: ReturnType<typeof setInterval> | null = null;
  #rotating = false;
  /** The daemon's last template is too old (idle): no job is handed out until the next. */
  #noWork = false;
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
    this.#daemon = o.daemon;
    this.#source =
      o.daemon !== null
        ? null
        : new SyntheticJobSource(
            {
              random,
              jobIntervalMs: o.jobIntervalSeconds * 1000,
              blockIntervalMs: o.blockIntervalSeconds * 1000,
              nBits: o.nBits,
            },
            now,
          );
    this.#jobs = new JobTable({ maxJobs: o.maxJobs, maxSharesPerJob: o.maxSharesPerJob });
    const first = this.#work();
    if (first !== null) this.#jobs.push(first.job, true);
    this.#xn1 = new Extranonce1Allocator(randomU32(random), randomU32(random));
    this.#stats = new PoolStats(now);
    this.#context = { jobs: this.#jobs, hashers: this.#hashers, now: o.clock };
    this.#minerEvents = this.#makeMinerEvents();
    try {
      let plain: Listener | null = null;
      try {
        plain = new Listener({ host: o.host, port: o.port, tls: null }, (s) => this.#onOpen(s));
        if (o.tls !== null) {
          const tls = { cert: o.tls.cert, key: o.tls.key };
          this.#tlsListener = new Listener({ host: o.host, port: o.tls.port, tls }, (s) => this.#onOpen(s));
        }
      } catch (e) {
        plain?.stop();
        throw e;
      }
      this.#listener = plain;
    } catch (e) {
      this.#hasher.close();
      throw new PoolError(
        "E_POOL_LISTEN",
        `cannot listen on ${o.host}:${o.port}: ${e instanceof Error ? e.message : String(e)}`,
        { cause: e },
      );
    }
    o.log.info(
      `pool listening on ${o.host}:${this.port}${this.tlsPort === null ? "" : ` (stratum+ssl on ${this.tlsPort})`}, difficulty ${o.difficulty}${o.vardiff ? " (vardiff)" : ""}, hasher ${this.#hasher.impl}${o.daemon === null ? "" : `, jobs from verusd at ${o.daemon.daemon}`}`,
    );
    if (first !== null && this.#source !== null) o.log.info(`block ${first.height}, job ${first.job.id}`);
    this.#armJobTimer();
    o.daemon?.listen({
      work: (w) => {
        if (!this.#stopped) this.#publish(w);
      },
      idle: (reason) => this.#idleAll(reason),
    });
    // Work the daemon gave before the pool listened to it.
    if (o.daemon !== null && first !== null) this.#publish(first);
    if (o.summaryIntervalSeconds !== null) {
      this.#summaryTimer = setInterval(
        () => o.log.info(`summary: ${formatPoolSummary(this.stats())}`),
        o.summaryIntervalSeconds * 1000,
      );
    }
  }

  /** The bound port (the real one when started with port 0). */
  get port(): number {
    return this.#listener.port;
  }

  /** The operator's verusd the jobs come from, or null (synthetic jobs). */
  get daemon(): DaemonJobSource | null {
    return this.#daemon;
  }

  /** The stratum+ssl port, or null. */
  get tlsPort(): number | null {
    return this.#tlsListener?.port ?? null;
  }

  /** A new certificate for new stratum+ssl connections (open ones keep theirs). */
  setCertificate(tls: TlsPair): void {
    this.#tlsListener?.setCertificate(tls);
  }

  get host(): string {
    return this.options.host;
  }

  /** The job miners are working on now (E_POOL_NO_WORK before the daemon's first template). */
  get currentJob(): Job {
    const w = this.#work();
    if (w === null)
      throw new PoolError("E_POOL_NO_WORK", "no work yet: waiting for the daemon's first template");
    return w.job;
  }

  stats(): PoolStatsSnapshot {
    const w = this.#work();
    return this.#stats.snapshot(this.options.clock(), { height: w?.height ?? 0, jobId: w?.job.id ?? "" });
  }

  /** Issue a new job of the current block now (clean=false), as the job timer does (synthetic jobs). */
  newJob(): Job {
    return this.#publish(this.#synthetic().newJob(this.options.clock()));
  }

  /** Start a new block now (clean=true: every older job becomes "21 job not found"; synthetic jobs). */
  newBlock(): Job {
    return this.#publish(this.#synthetic().newBlock(this.options.clock()));
  }

  #synthetic(): SyntheticJobSource {
    if (this.#source === null)
      throw new PoolError("E_POOL_NO_WORK", "jobs come from the daemon: they cannot be made here");
    return this.#source;
  }

  /** The latest work of either source, or null (a daemon with no template yet). */
  #work(): SyntheticWork | null {
    return this.#source?.current ?? this.#daemon?.current ?? null;
  }

  /**
   * No work to be had (the daemon gone too long): the job is dead work, so every miner is let go
   * (E_POOL_NO_WORK) rather than left hashing it; miners that reconnect wait for the next template.
   * The bridge on this pool pauses its miners the same way it does for any lost pool.
   */
  #idleAll(reason: string): void {
    this.#noWork = true;
    this.options.log.warn(`no work: ${reason}; miners let go until the daemon gives a template`);
    for (const { conn } of [...this.#members]) conn.close("E_POOL_NO_WORK", reason);
  }

  /** Close every connection and the listener; idempotent. Returns the final stats. */
  stop(): PoolStatsSnapshot {
    if (!this.#stopped) {
      this.#stopped = true;
      if (this.#jobTimer !== null) clearTimeout(this.#jobTimer);
      if (this.#summaryTimer !== null) clearInterval(this.#summaryTimer);
      for (const m of [...this.#members]) m.conn.close("E_POOL_CLOSING", "pool stopping");
      this.#listener.stop();
      this.#tlsListener?.stop();
      this.#daemon?.stop();
      this.#hasher.close();
      this.options.log.info(`pool stopped: ${formatPoolSummary(this.stats())}`);
    }
    return this.stats();
  }

  #onOpen(socket: NetSocket): StratumConnection | null {
    const id = this.#nextConnectionId++;
    const o = this.options;
    if (this.#stopped || this.#members.size >= o.maxConnections) {
      const why = this.#stopped ? "pool stopping" : `${o.maxConnections} connections open`;
      o.log.info(`conn ${id} from ${socket.remoteAddress} refused: ${why}`);
      socket.end();
      return null;
    }
    let xn1: string;
    try {
      xn1 = this.#xn1.allocate();
    } catch (e) {
      o.log.info(
        `conn ${id} from ${socket.remoteAddress} refused: ${e instanceof Error ? e.message : String(e)}`,
      );
      socket.end();
      return null;
    }
    const miner = new PoolMiner(
      { id, extranonce1: xn1, difficulty: o.difficulty, vardiff: o.vardiff },
      this.#context,
      this.#minerEvents,
    );
    const member: Member = { miner, conn: null!, remote: socket.remoteAddress };
    member.conn = new StratumConnection(
      socket,
      socket.remoteAddress,
      miner,
      // v-nomp: a line that is not JSON-RPC destroys the socket; no rate or deadline guard.
      {
        garbage: "close",
        decoder: decoderOptions(o.floodGuardBytes),
        maxOutboundBytes: o.maxOutboundBytes,
        guard: null,
        now: o.clock,
      },
      {
        closed: (reason, detail) => this.#onClosed(member, reason, detail),
        internalError: (e) =>
          o.log.error(
            `conn ${id} internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
          ),
      },
    );
    this.#members.add(member);
    this.#stats.opened();
    o.log.info(`conn ${id} from ${socket.remoteAddress} connected, extranonce1 ${xn1}`);
    const w = this.#noWork ? null : this.#work();
    if (w !== null) member.conn.run(() => member.conn.session.work(miner.workFor(w.job, true)));
    return member.conn;
  }

  #onClosed(m: Member, reason: CloseReason, detail: string): void {
    this.#members.delete(m);
    this.#xn1.release(m.miner.extranonce1);
    this.#stats.closed(reason);
    this.options.log.info(`conn ${m.miner.id} closed: ${reason}${reason === "peer" ? "" : ` (${detail})`}`);
  }

  #publish(work: SyntheticWork): Job {
    const { job } = work;
    this.#noWork = false;
    this.#jobs.push(job, work.newBlock);
    const log = this.options.log;
    log.info(work.newBlock ? `block ${work.height}, job ${job.id} (clean)` : `job ${job.id}`);
    const now = this.options.clock();
    const idleMs = this.options.idleTimeoutSeconds === null ? null : this.options.idleTimeoutSeconds * 1000;
    for (const { conn, miner } of [...this.#members]) {
      // v-nomp checks idleness when it broadcasts a job; only submits count as activity.
      if (idleMs !== null && now - miner.lastSubmitAt > idleMs)
        conn.close("E_IDLE_TIMEOUT", `no submit for ${this.options.idleTimeoutSeconds} s`);
      else conn.run(() => conn.session.work(miner.workFor(job, work.newBlock)));
    }
    this.#armJobTimer();
    return job;
  }

  #armJobTimer(): void {
    if (this.#stopped || this.#source === null) return;
    const source = this.#source;
    if (this.#jobTimer !== null) clearTimeout(this.#jobTimer);
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, source.dueAt - this.options.clock()));
    this.#jobTimer = setTimeout(() => {
      this.#jobTimer = null;
      const work = source.poll(this.options.clock());
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
      if (!this.#stopped && this.#jobs.newestRetired && this.#source !== null) this.newJob();
    });
  }

  #makeMinerEvents(): PoolMinerListener {
    const log = this.options.log;
    return {
      subscribed: (s) => log.info(`conn ${s.id} subscribed`),
      authorized: (s, user, ok) =>
        log.info(
          ok
            ? `conn ${s.id} authorized ${printable(user)}`
            : `conn ${s.id} authorization refused for ${printable(user)}`,
        ),
      difficultyChanged: (s, d, previous) => log.info(`conn ${s.id} difficulty ${previous} -> ${d}`),
      unknownMethod: (s, method, params) => {
        const member = [...this.#members].find((m) => m.miner === s);
        if (this.#daemon !== null && member !== undefined && takesBlocknotify(method, member.remote)) {
          const hash =
            Array.isArray(params) && typeof params[0] === "string" ? printable(params[0].slice(0, 64)) : "";
          this.#daemon.poke(`blocknotify ${hash}`);
          return true;
        }
        log.info(`conn ${s.id} unknown method ${printable(method)}`);
        return false;
      },
      share: (s, submit, verdict) => this.#onShare(s, submit, verdict),
    };
  }

  #onShare(s: PoolMiner, submit: SubmitParams, v: Verdict): void {
    const log = this.options.log;
    const job = printable(submit.jobId);
    if (v.ok) {
      this.#stats.accepted(this.options.clock(), v.creditedDifficulty, v.blockCandidate);
      log.info(
        `conn ${s.id} share accepted: job ${job}, difficulty ${v.shareDifficulty} (credited ${v.creditedDifficulty})`,
      );
      if (v.blockCandidate)
        blockCandidate(
          {
            daemon: this.#daemon,
            height: this.#work()?.height ?? 0,
            log: this.options.log,
            done: (r) => {
              this.#stats.block(r.accepted);
              this.options.onBlock?.(r, s.user ?? "");
              const member = [...this.#members].find((m) => m.miner === s);
              member?.conn.run(() => member.conn.session.showMessage(blockFoundMessage(r)));
            },
          },
          s.id,
          submit,
          v,
        );
      this.#rotateIfRetired();
    } else {
      this.#stats.rejected(v.reject.code);
      log.info(`conn ${s.id} share rejected: ${v.reject.code} ${v.reject.message} (job ${job})`);
    }
  }
}

/**
 * v-nomp's flood guard as decoder caps: room for one maximal line plus "\r\n" inside the buffer
 * cap, so a lone partial line is cut 2 bytes earlier than at v-nomp (real lines are under 3 KB).
 * Off (null), the decoder keeps its own default caps.
 */
export function decoderOptions(floodGuardBytes: number | null): LineDecoderOptions {
  return floodGuardBytes === null
    ? {}
    : { maxLineBytes: floodGuardBytes - 2, maxBufferedBytes: floodGuardBytes };
}
