/**
 * Miner: the main thread of `vbridge mine`. It turns the pool client's events into work for the
 * worker threads (one publish per job, target or extranonce1 change), hands their candidates to
 * the share desk (re-verify, submit, count), prints the report line, and shuts down in order:
 * workers first, then in-flight submits (bounded wait), then the connection.
 *
 * Data flows one way (STYLE.md): pool → PoolClient events → Work → shared memory → workers →
 * candidates → ShareDesk → PoolClient.submit → result events → stats and log.
 */
import { oneLine } from "../util/text.ts";
import { Hasher, resolveImpl, NONCE_TAIL_BYTES } from "../hash/index.ts";
import { hexToBytes, targetToLE, type Job } from "../protocol/index.ts";
import { connectTransport, PoolClient, type UpstreamEvent } from "../upstream/index.ts";
import { startStatsApi, type StatsApi } from "./api.ts";
import { formatCcminerDifficulty } from "./ccminer.ts";
import { MinerError } from "./errors.ts";
import { nonceLayout } from "./nonce-space.ts";
import type { MinerOptions } from "./options.ts";
import { formatDifficulty, formatReport, painter, type Paint } from "./report.ts";
import { ShareDesk, type ShareToken, type SubmitEvent } from "./shares.ts";
import { MinerStats, type MinerSummary } from "./stats.ts";
import type { Logger } from "../util/log.ts";
import { clientLogger, tracingConnect } from "./trace.ts";
import { WorkBook, type Work } from "./work.ts";
import { WorkerPool } from "./workers.ts";

export type MinerEvent =
  | SubmitEvent
  /** Work handed to the workers (a job, or the same job with a new target or extranonce1). */
  | {
      type: "work";
      seq: number;
      epoch: number;
      jobId: string;
      clean: boolean;
      extranonce1: string;
      at: number;
    }
  /** A worker took up work `seq`, `latencyMs` after it was published. */
  | { type: "switched"; seq: number; worker: number; latencyMs: number };

export interface MinerIO {
  /** The operator's log (the CLI's console Logger): state, share and report lines at info. */
  log: Logger;
  color: boolean;
  /** Tests and benchmarks: what the miner does, as it does it. */
  observe?(e: MinerEvent): void;
}

/** libverushash does VerusHash 2.2 only; solution versions 1–3 need 2.0/2.1 (verushash.md §2). */
const MIN_SOLUTION_VERSION = 4;
/** At shutdown, wait this long at most for the pool to answer submits in flight. */
const SUBMIT_DRAIN_MS = 5_000;

const epochMs = () => performance.timeOrigin + performance.now();

export class Miner {
  readonly #o: MinerOptions;
  readonly #io: MinerIO;
  readonly #paint: Paint;
  readonly #stats: MinerStats;
  readonly #hasher: Hasher;
  readonly #client: PoolClient<ShareToken>;
  readonly #desk: ShareDesk;
  readonly #book = new WorkBook();
  readonly #fatal: Promise<MinerError>;
  #raiseFatal: (e: MinerError) => void = () => {};
  #workers: WorkerPool | null = null;
  #api: StatsApi | null = null;
  #reportTimer: ReturnType<typeof setInterval> | null = null;
  #stopping: Promise<MinerSummary> | null = null;
  #pool: string | null = null;
  #job: { job: Job; epoch: number; extranonce1: string; clean: boolean } | null = null;
  #target: bigint | null = null;
  #difficulty: number | null = null;
  #current: Work | null = null;
  #idle: string | null = "connecting";
  /** Errors already logged (once per extranonce1 epoch or job), so a bad pool does not flood the log. */
  readonly #told = new Set<string>();

  /** Starts the workers (waiting until they are ready), the stats endpoint, then the connection. */
  static async start(options: MinerOptions, io: MinerIO): Promise<Miner> {
    const m = new Miner(options, io);
    try {
      m.#workers = await WorkerPool.start(resolveImpl(options.impl), options.lanes, options.threads, {
        found: (seq, worker, tails) => m.#desk.found(seq, worker, m.#book.get(seq), tails),
        switched: (seq, worker, _active, at) => m.#switched(seq, worker, at),
        failed: (e) => m.#raiseFatal(e),
      });
      if (options.apiPort !== null)
        m.#api = startStatsApi(
          options.apiPort,
          () => m.summary(),
          () => ({ user: options.user, pools: options.pools.length, jobId: m.#job?.job.id ?? null }),
        );
    } catch (e) {
      await m.#workers?.stop();
      m.#hasher.close();
      throw e;
    }
    const api = m.#api === null ? "" : `, stats on http://127.0.0.1:${m.#api.port}/`;
    const lanes = m.#hasher.lanes;
    m.#log(
      `${options.threads} thread${options.threads === 1 ? "" : "s"}, VerusHash ${m.#hasher.impl}, ${lanes} lane${lanes === 1 ? "" : "s"}${api}`,
    );
    m.#client.setUrgent(true); // always hashing: a lost pool is retried fast (issue 10)
    m.#client.start();
    m.#reportTimer = setInterval(() => m.#report(), options.reportIntervalSeconds * 1000);
    return m;
  }

  private constructor(o: MinerOptions, io: MinerIO) {
    this.#o = o;
    this.#io = io;
    this.#paint = painter(io.color);
    this.#stats = new MinerStats(o.threads, epochMs());
    this.#fatal = new Promise((resolve) => (this.#raiseFatal = resolve));
    // The workers' lanes too, so that `lanes` says what they run (share checks do not scan).
    this.#hasher = Hasher.open(o.impl, o.lanes);
    const log = io.log;
    this.#desk = new ShareDesk({
      hasher: this.#hasher,
      stats: this.#stats,
      submit: (share, token) => this.#client.submit(share, token),
      log,
      paint: this.#paint,
      now: epochMs,
      observe: (e) => io.observe?.(e),
    });
    this.#client = new PoolClient<ShareToken>(
      {
        pools: o.pools,
        user: o.user,
        password: o.pass,
        tls: o.tls,
        returnToPrimary: o.returnToPrimary,
        log: clientLogger(log, o.debug),
        connect: o.debug ? tracingConnect(connectTransport, (line) => log.debug(line)) : connectTransport,
      },
      (e) => this.#onUpstream(e),
    );
  }

  /** Resolves (never rejects) with the error if a worker thread dies: the run must end. */
  get fatal(): Promise<MinerError> {
    return this.#fatal;
  }

  get apiPort(): number | null {
    return this.#api?.port ?? null;
  }

  summary(): MinerSummary {
    const hashes = this.#workers?.hashes() ?? new Array<number>(this.#o.threads).fill(0);
    return this.#stats.summary(epochMs(), hashes, { difficulty: this.#difficulty, pool: this.#pool });
  }

  /** Stops hashing, lets submits in flight finish (bounded), closes the connection. Idempotent. */
  stop(reason: string): Promise<MinerSummary> {
    this.#stopping ??= this.#shutdown(reason);
    return this.#stopping;
  }

  async #shutdown(reason: string): Promise<MinerSummary> {
    this.#log(`stopping: ${reason}`);
    if (this.#reportTimer !== null) clearInterval(this.#reportTimer);
    await this.#workers?.stop(); // candidates they report before stopping are still submitted
    this.#stats.working(epochMs(), false);
    const deadline = epochMs() + SUBMIT_DRAIN_MS;
    while (this.#stats.pending > 0 && epochMs() < deadline) await Bun.sleep(10);
    await this.#client.close(); // whatever is still pending is reported lost or dropped
    this.#api?.stop();
    this.#hasher.close();
    return this.summary();
  }

  #onUpstream(e: UpstreamEvent<ShareToken>): void {
    switch (e.type) {
      case "state":
        this.#pool = e.pool ?? this.#pool;
        if (e.state === "connecting")
          this.#log(`connecting to ${e.pool}${e.attempt > 1 ? ` (attempt ${e.attempt})` : ""}`);
        else if (e.state === "authorized")
          this.#log(this.#paint.green(`authorized as ${this.#o.user} on ${e.pool}`));
        else if (e.state === "waiting")
          this.#log(`next attempt on ${e.pool} in ${(e.delayMs / 1000).toFixed(1)} s (${e.reason})`);
        else if (e.state === "disconnected") this.#pause(`disconnected (${e.error.code})`);
        return;
      case "extranonce":
        this.#debug(`extranonce1 ${e.extranonce1} (epoch ${e.epoch})`);
        return;
      case "target":
        if (e.target !== this.#target) {
          const shown = formatCcminerDifficulty(e.target);
          this.#log(`difficulty ${formatDifficulty(e.difficulty)} (ccminer ${shown}, from ${e.source})`);
          this.#target = e.target;
          this.#difficulty = e.difficulty;
          if (this.#current !== null) this.#publish();
        }
        return;
      case "job":
        this.#job = { job: e.job, epoch: e.epoch, extranonce1: e.extranonce1, clean: e.clean };
        if (e.clean) this.#log(`new job ${oneLine(e.job.id, 160)} (clean)`);
        else this.#debug(`new job ${oneLine(e.job.id, 160)}`);
        return this.#publish();
      case "invalidate":
        if (this.#job?.epoch === e.epoch) this.#job = null;
        if (this.#current?.epoch === e.epoch) this.#pause(`work of epoch ${e.epoch} dropped (${e.reason})`);
        return;
      case "result":
        return this.#desk.result(e);
      case "message":
        // The built-in pool on a daemon tells the finder (src/pool/server.ts): worth a line of its own.
        if (/^block found/i.test(e.text)) return this.#log(`*** ${oneLine(e.text, 200)} ***`);
        return this.#log(`message from the pool: ${oneLine(e.text, 160)}`);
    }
  }

  /** Hands the newest job, with the current extranonce1 and target, to every worker. */
  #publish(): void {
    const j = this.#job;
    const target = this.#target;
    if (this.#stopping !== null || this.#workers === null) return;
    if (j === null || target === null) return this.#pause("waiting for work");
    if (j.job.solutionVersion < MIN_SOLUTION_VERSION) {
      const e = new MinerError(
        "E_MINER_JOB_UNSUPPORTED",
        `job ${oneLine(j.job.id, 160)} has solution version ${j.job.solutionVersion}; ` +
          `only ${MIN_SOLUTION_VERSION} and later (VerusHash 2.2) can be mined`,
      );
      return this.#refuse(`job:${j.job.id}`, e);
    }
    let layout;
    try {
      layout = nonceLayout(hexToBytes(j.extranonce1));
    } catch (e) {
      if (!(e instanceof MinerError)) throw e;
      return this.#refuse(`xn1:${j.epoch}`, e); // rejectable work is worse than none
    }
    const at = epochMs();
    const header = j.job.hashInput(layout.extranonce1, layout.extranonce2, new Uint8Array(NONCE_TAIL_BYTES));
    const targetLE = targetToLE(target);
    const seq = this.#workers.publish({ header, targetLE, extranonce1: layout.extranonce1 });
    const work: Work = {
      seq,
      epoch: j.epoch,
      job: j.job,
      extranonce1: layout.extranonce1,
      extranonce1Hex: j.extranonce1,
      extranonce2: layout.extranonce2,
      target,
      targetLE,
      difficulty: this.#difficulty ?? 0,
      publishedAt: at,
    };
    this.#book.add(work);
    this.#current = work;
    this.#idle = null;
    this.#stats.working(at, true);
    const { epoch, extranonce1, clean: isClean } = j;
    this.#io.observe?.({ type: "work", seq, epoch, jobId: j.job.id, clean: isClean, extranonce1, at });
  }

  /** Work this miner must not do: logged once (with its code), workers idle until the next job. */
  #refuse(key: string, e: MinerError): void {
    if (!this.#told.has(key)) {
      this.#told.add(key);
      this.#io.log.error(this.#paint.red(`${e.code}: ${e.message}`));
    }
    this.#pause(e.code);
  }

  #pause(reason: string): void {
    this.#idle = reason;
    if (this.#current === null || this.#workers === null) return;
    this.#current = null;
    this.#workers.publish(null);
    this.#stats.working(epochMs(), false);
  }

  #switched(seq: number, worker: number, at: number): void {
    const work = this.#book.get(seq);
    if (work === undefined) return; // a pause
    const latencyMs = at - work.publishedAt;
    this.#stats.switched(latencyMs);
    this.#io.observe?.({ type: "switched", seq, worker, latencyMs });
  }

  #report(): void {
    if (this.#workers === null) return;
    const rates = this.#stats.sample(epochMs(), this.#workers.hashes());
    const s = this.#stats;
    this.#log(
      formatReport(
        {
          rates,
          accepted: s.count("accepted"),
          rejected: s.count("rejected"),
          stale: s.count("stale"),
          unsent: s.unsent,
          difficulty: this.#difficulty,
          target: this.#target,
          pool: this.#pool,
          idle: this.#idle,
        },
        this.#paint,
      ),
    );
  }

  #log(line: string): void {
    this.#io.log.info(line);
  }

  #debug(line: string): void {
    if (this.#o.debug) this.#io.log.debug(line);
  }
}
