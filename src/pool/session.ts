// session.ts — one miner connection's Stratum state, sans-IO: a line in, the lines to send back
// out; a job in, the set_target/notify lines for it. The transport (connection.ts) owns the socket,
// the framing and closing; the server owns jobs, timers and logs.
//
// Behaviour follows the node-stratum-pool family, with verus-stratum.md §11's checklist for what
// we emit: subscribe → [null, xn1] (the 2-element form every miner and verusProxy accept), then
// set_target, then the current job with clean=true forced (§3.5 quirk); set_target again before a
// notify whenever the difficulty changed; authorize before or after subscribe; answers to
// extranonce.subscribe (true), mining.ping ("pong") and unknown methods ([20,"unknown method"],
// verusProxy's text). Shares go through validateShare with the pool rule (the job's daemon nonce).

import {
  booleanReply,
  decodeMinerCall,
  difficultyToTarget,
  encodePoolMessage,
  isProtocolError,
  parseRpc,
  pongReply,
  rejectOf,
  rejectToRpcError,
  serializeRpc,
  splitUser,
  subscribeReply,
  submitReply,
  validateShare,
  type Job,
  type MinerMessage,
  type RpcId,
  type ShareHashers,
  type SubmitParams,
  type Verdict,
} from "../protocol/index.ts";
import type { JobTable } from "./jobs.ts";
import { Vardiff, type VardiffOptions } from "../protocol/vardiff.ts";

/** What a session needs from its pool. */
export interface SessionContext {
  jobs: JobTable;
  hashers: ShareHashers;
  /** The latest job (sent right after subscribe). */
  currentJob(): Job;
  /** Milliseconds, the pool's clock. */
  now(): number;
}

/** What a session reports (logs, stats, tests). All optional. */
export interface SessionListener {
  subscribed?(s: Session): void;
  authorized?(s: Session, user: string, ok: boolean): void;
  share?(s: Session, submit: SubmitParams, verdict: Verdict): void;
  difficultyChanged?(s: Session, difficulty: number, previous: number): void;
  unknownMethod?(s: Session, method: string): void;
}

export interface SessionOptions {
  id: number;
  /** 8 lowercase hex digits, unique among live connections. */
  extranonce1: string;
  difficulty: number;
  vardiff: VardiffOptions | null;
}

export class Session {
  readonly id: number;
  readonly extranonce1: string;
  readonly #ctx: SessionContext;
  readonly #listener: SessionListener;
  readonly #vardiff: Vardiff | null;
  #subscribed = false;
  #authorized = false;
  #user: string | null = null;
  #difficulty: number;
  #previousDifficulty: number | null = null;
  #pendingDifficulty: number | null = null;
  #sentJob = false;
  #lastSubmitAt: number;

  constructor(options: SessionOptions, ctx: SessionContext, listener: SessionListener = {}) {
    this.id = options.id;
    this.extranonce1 = options.extranonce1;
    this.#ctx = ctx;
    this.#listener = listener;
    this.#difficulty = options.difficulty;
    difficultyToTarget(options.difficulty); // E_BAD_DIFFICULTY now, not at the first subscribe
    this.#vardiff = options.vardiff === null ? null : new Vardiff(options.vardiff, ctx.now());
    this.#lastSubmitAt = ctx.now();
  }

  get subscribed(): boolean {
    return this.#subscribed;
  }

  get authorized(): boolean {
    return this.#authorized;
  }

  /** The authorised ADDRESS[.WORKER], or null. */
  get user(): string | null {
    return this.#user;
  }

  /** The difficulty of the last set_target sent (or to be sent at subscribe). */
  get difficulty(): number {
    return this.#difficulty;
  }

  /** Last mining.submit (or the connection's start): v-nomp's idle clock counts submits only. */
  get lastSubmitAt(): number {
    return this.#lastSubmitAt;
  }

  /**
   * Handle one line from the miner; returns the lines to send (without "\n"). Throws the
   * ProtocolError of a line that is not a JSON-RPC message at all: the connection closes on it.
   */
  receive(line: string): string[] {
    const rpc = parseRpc(line);
    if (rpc.kind === "response") return []; // we send no requests; a stray answer is harmless
    let m: MinerMessage;
    try {
      m = decodeMinerCall(rpc.id, rpc.method, rpc.params);
    } catch (e) {
      // A known method with unusable params: the request is answered, the connection survives.
      if (!isProtocolError(e)) throw e;
      return rpc.id === null ? [] : [errorReply(rpc.id, 20, e.message)];
    }
    switch (m.method) {
      case "mining.subscribe":
        return this.#subscribe(m.id);
      case "mining.authorize":
        return [this.#authorize(m.id, m.user)];
      case "mining.extranonce.subscribe":
      case "mining.pbaas.subscribe":
        return [serializeRpc(booleanReply(m.id, true))];
      case "mining.submit":
        return [this.#submit(m.id, m)];
      case "mining.ping":
        return [serializeRpc(pongReply(m.id))];
      case "mining.get_transactions":
        return [serializeRpc({ kind: "response", id: m.id, result: [], error: null })];
      case "mining.suggest_target":
        // Miningcore only; a fixed or vardiff port decides itself (node-stratum-pool's answer).
        return [serializeRpc(booleanReply(m.id, false, { code: 20, message: "Not supported.", data: null }))];
      case "unknown":
        this.#listener.unknownMethod?.(this, m.name);
        return m.id === null ? [] : [errorReply(m.id, 20, "unknown method")];
    }
  }

  /**
   * The lines announcing `job` (nothing before subscribe): a set_target first if the difficulty
   * changed, then the notify — clean if the job starts a block or is this connection's first.
   */
  jobLines(job: Job): string[] {
    if (!this.#subscribed) return [];
    const lines: string[] = [];
    const eased = this.#vardiff?.onTick(this.#ctx.now(), this.#pendingDifficulty ?? this.#difficulty) ?? null;
    if (eased !== null) this.#pendingDifficulty = eased;
    if (this.#pendingDifficulty !== null) {
      const previous = this.#difficulty;
      this.#previousDifficulty = previous;
      this.#difficulty = this.#pendingDifficulty;
      this.#pendingDifficulty = null;
      lines.push(setTargetLine(this.#difficulty));
      this.#listener.difficultyChanged?.(this, this.#difficulty, previous);
    }
    const clean = job.notify.cleanJobs || !this.#sentJob;
    this.#sentJob = true;
    lines.push(encodePoolMessage({ ...job.notify, id: null, cleanJobs: clean }));
    return lines;
  }

  #subscribe(id: RpcId): string[] {
    const first = !this.#subscribed;
    this.#subscribed = true;
    this.#sentJob = false; // a (re)subscribe starts over: target, then a clean job
    if (first) this.#listener.subscribed?.(this);
    return [
      serializeRpc(subscribeReply(id, { subscriptionId: null, extranonce1: this.extranonce1, extranonce2Size: null })),
      setTargetLine(this.#difficulty),
      ...this.jobLines(this.#ctx.currentJob()),
    ];
  }

  #authorize(id: RpcId, user: string): string {
    // Any ADDRESS[.WORKER] with a non-empty address; the password is ignored (no daemon to ask).
    const ok = splitUser(user.trim()).address !== "";
    if (ok) {
      this.#authorized = true;
      this.#user = user.trim();
    }
    this.#listener.authorized?.(this, user, ok);
    return serializeRpc(booleanReply(id, ok, ok ? null : rejectToRpcError(rejectOf("unauthorized"))));
  }

  #submit(id: RpcId, submit: SubmitParams): string {
    const now = this.#ctx.now();
    this.#lastSubmitAt = now;
    const verdict = validateShare({
      jobs: this.#ctx.jobs,
      session: { authorized: this.#authorized, extranonce1: this.#subscribed ? this.extranonce1 : null, duplicates: this.#ctx.jobs },
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
    return serializeRpc(submitReply(id, verdict.ok ? { accepted: true } : { accepted: false, reject: verdict.reject }));
  }
}

function setTargetLine(difficulty: number): string {
  return encodePoolMessage({ method: "mining.set_target", id: null, target: difficultyToTarget(difficulty) });
}

function errorReply(id: RpcId, code: number, message: string): string {
  return serializeRpc({ kind: "response", id, result: null, error: { code, message } });
}
