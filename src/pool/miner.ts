// miner.ts — one miner as the built-in pool sees it: the pool's answers to the Stratum server
// session's hooks (src/stratum/server-session.ts). Its extranonce1, its difficulty (fixed, or
// vardiff retargeted at job broadcasts and after shares), any ADDRESS[.WORKER] authorised, and
// every share judged by validateShare with the pool rule (the job's daemon nonce), as v-nomp
// does (verus-stratum.md §5). Sans-IO: the server owns sockets, timers and logs.

import {
  difficultyToTarget,
  splitUser,
  validateShare,
  Vardiff,
  type Job,
  type ShareHashers,
  type ShareReject,
  type SubmitParams,
  type VardiffOptions,
  type Verdict,
} from "../protocol/index.ts";
import type {
  AuthorizeAnswer,
  StratumServerHooks,
  StratumWork,
  SubmitAnswer,
} from "../stratum/server-session.ts";
import { EXTRANONCE1_BYTES } from "./extranonce.ts";
import type { JobTable } from "./jobs.ts";

/** What a miner needs from its pool. */
export interface PoolMinerContext {
  jobs: JobTable;
  hashers: ShareHashers;
  /** Milliseconds, the pool's clock. */
  now(): number;
}

/** What a miner reports (logs, stats, tests). All optional. */
export interface PoolMinerListener {
  subscribed?(m: PoolMiner): void;
  authorized?(m: PoolMiner, user: string, ok: boolean): void;
  share?(m: PoolMiner, submit: SubmitParams, verdict: Verdict): void;
  difficultyChanged?(m: PoolMiner, difficulty: number, previous: number): void;
  /** A method it does not know; true when the server took it (vbridge.blocknotify). */
  unknownMethod?(m: PoolMiner, method: string, params: unknown): boolean | void;
}

export interface PoolMinerOptions {
  id: number;
  /** 8 lowercase hex digits, unique among live connections. */
  extranonce1: string;
  difficulty: number;
  vardiff: VardiffOptions | null;
}

/** extranonce2 fills the rest of the 32-byte nNonce. */
const EXTRANONCE2_BYTES = 32 - EXTRANONCE1_BYTES;

export class PoolMiner implements StratumServerHooks {
  readonly id: number;
  readonly extranonce1: string;
  readonly #ctx: PoolMinerContext;
  readonly #listener: PoolMinerListener;
  readonly #vardiff: Vardiff | null;
  #authorized = false;
  #user: string | null = null;
  #difficulty: number;
  #previousDifficulty: number | null = null;
  #pendingDifficulty: number | null = null;
  #lastSubmitAt: number;

  constructor(options: PoolMinerOptions, ctx: PoolMinerContext, listener: PoolMinerListener = {}) {
    this.id = options.id;
    this.extranonce1 = options.extranonce1;
    this.#ctx = ctx;
    this.#listener = listener;
    this.#difficulty = options.difficulty;
    difficultyToTarget(options.difficulty); // E_BAD_DIFFICULTY now, not at the first job
    this.#vardiff = options.vardiff === null ? null : new Vardiff(options.vardiff, ctx.now());
    this.#lastSubmitAt = ctx.now();
  }

  get authorized(): boolean {
    return this.#authorized;
  }

  /** The authorised ADDRESS[.WORKER], or null. */
  get user(): string | null {
    return this.#user;
  }

  /** The difficulty of the last work made (what its set_target says). */
  get difficulty(): number {
    return this.#difficulty;
  }

  /** Last mining.submit (or the connection's start): v-nomp's idle clock counts submits only. */
  get lastSubmitAt(): number {
    return this.#lastSubmitAt;
  }

  /**
   * This miner's work for `job`. A vardiff change decided since the last job takes effect here, so
   * its set_target goes out right before the job's notify.
   */
  workFor(job: Job, clean: boolean): StratumWork {
    const eased = this.#vardiff?.onTick(this.#ctx.now(), this.#pendingDifficulty ?? this.#difficulty) ?? null;
    if (eased !== null) this.#pendingDifficulty = eased;
    if (this.#pendingDifficulty !== null) {
      const previous = this.#difficulty;
      this.#previousDifficulty = previous;
      this.#difficulty = this.#pendingDifficulty;
      this.#pendingDifficulty = null;
      this.#listener.difficultyChanged?.(this, this.#difficulty, previous);
    }
    return {
      notify: job.notify,
      jobId: job.id,
      clean,
      extranonce1: this.extranonce1,
      extranonce2Size: EXTRANONCE2_BYTES,
      target: difficultyToTarget(this.#difficulty),
    };
  }

  // ---------------------------------------------------------------------- StratumServerHooks

  hello(): boolean {
    return true;
  }

  subscribed(): void {
    this.#listener.subscribed?.(this);
  }

  authorize(user: string): AuthorizeAnswer {
    // Any ADDRESS[.WORKER] with a non-empty address; the password is ignored (no daemon to ask).
    const ok = splitUser(user.trim()).address !== "";
    if (ok) {
      this.#authorized = true;
      this.#user = user.trim();
    }
    this.#listener.authorized?.(this, user, ok);
    return { ok };
  }

  submit(submit: SubmitParams): SubmitAnswer {
    const now = this.#ctx.now();
    this.#lastSubmitAt = now;
    const verdict = validateShare({
      jobs: this.#ctx.jobs,
      session: { authorized: true, extranonce1: this.extranonce1, duplicates: this.#ctx.jobs },
      submit,
      target: { difficulty: this.#difficulty, previousDifficulty: this.#previousDifficulty },
      hashers: this.#ctx.hashers,
      rule: "pool",
    });
    if (verdict.ok && this.#vardiff !== null) {
      const next = this.#vardiff.onShare(now, this.#pendingDifficulty ?? this.#difficulty);
      if (next !== null) this.#pendingDifficulty = next;
    }
    this.#listener.share?.(this, submit, verdict);
    return verdict.ok ? { accepted: true } : { accepted: false, reject: verdict.reject };
  }

  refused(submit: SubmitParams, reject: ShareReject): void {
    this.#lastSubmitAt = this.#ctx.now();
    this.#listener.share?.(this, submit, { ok: false, reject });
  }

  unknownMethod(name: string, params: unknown): boolean | void {
    return this.#listener.unknownMethod?.(this, name, params);
  }
}
