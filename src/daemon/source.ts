// source.ts — the built-in pool's jobs from the operator's own verusd (verus-stratum.md §9), as a
// real pool takes them: at start getinfo, then the batch [getdifficulty, getinfo, getmininginfo,
// submitblock []] (submitblock with no argument must fail with −1: the method exists), then
// getblocktemplate until the daemon has one (−9/−10: syncing, no peers: one log line, wait, retry).
//
// Jobs: getblocktemplate with longpoll as the main trigger (the daemon holds the request until the
// template changes), a poll every `pollIntervalMs` as the fallback, and poke() (blocknotify) for an
// immediate fetch. A new previous block is a clean job to every miner at once; a new template on the
// same tip a non-clean one. nTime = curtime; the daemon's coinbase as it is (solution version > 6).
// Daemon trouble: calls time out and back off; miners keep the last job until it is older than
// `maxJobAgeMs`, then the pool is told to idle them (`onIdle`) rather than let them waste work.
//
// Blocks: submit() assembles header ‖ fd4005 ‖ solution ‖ count ‖ coinbase ‖ transactions,
// sends it with submitmergedblock (solution version > 6) or submitblock, reads the answer (null:
// accepted; a string: the daemon's reason), confirms with getblock, and fetches a template at once.

import { bytesToHex, type Job } from "../protocol/index.ts";
import { JOBS_KEPT, JobWindow } from "../protocol/job-window.ts";
import { silentLogger, type Logger } from "../util/log.ts";
import { DaemonError } from "./errors.ts";
import type { DaemonRpc } from "./rpc.ts";
import {
  assembleBlock,
  blockHashDisplay,
  parseTemplate,
  templateJob,
  type BlockTemplate,
} from "./template.ts";

/** What the pool gets: the job, its height, whether it starts a new block (clean). */
export interface DaemonWork {
  job: Job;
  height: number;
  newBlock: boolean;
}

export interface DaemonSourceOptions {
  rpc: DaemonRpc;
  /** Fallback template poll; default 5000. */
  pollIntervalMs?: number;
  /** A longpoll is given up (and re-sent) after this long; default 90 000. */
  longpollTimeoutMs?: number;
  /** A job older than this (no template from the daemon) is dead work: onIdle. Default 120 000. */
  maxJobAgeMs?: number;
  /** Ordinary calls' timeout; default 10 000. */
  timeoutMs?: number;
  log?: Logger;
  clock?: () => number;
}

export interface DaemonSourceEvents {
  work(w: DaemonWork): void;
  /** No usable work (daemon gone too long): miners should stop hashing. */
  idle(reason: string): void;
}

/** The daemon's verdict on a submitted block. */
export interface BlockResult {
  hash: string;
  height: number;
  /** "accepted", or the daemon's reason ("duplicate", "inconclusive", "rejected", …, or an error). */
  result: string;
  /** The daemon took it: null ("accepted"), "accepted" or "pbaas" (merge-mined) from the submit. */
  accepted: boolean;
  /** getblock found it (confirmations ≥ 0) after the submit. */
  confirmed: boolean;
  /** Milliseconds from the call to submit() until the submit was sent. */
  sendMs: number;
}

const SYNCING_RETRY_MS = 5_000;
const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 10_000;
const CAPABILITIES = ["coinbasetxn", "workid", "coinbase/append"];

export class DaemonJobSource {
  /** Resolves once the daemon answered with a first template; rejects on E_DAEMON_AUTH / E_DAEMON_NO_ADDRESS. */
  readonly ready: Promise<void>;
  readonly #rpc: DaemonRpc;
  readonly #o: Required<Omit<DaemonSourceOptions, "rpc" | "log" | "clock">>;
  readonly #log: Logger;
  readonly #clock: () => number;
  readonly #templates = new JobWindow<BlockTemplate>(JOBS_KEPT);
  #events: DaemonSourceEvents | null = null;
  #current: DaemonWork | null = null;
  #template: BlockTemplate | null = null;
  #workAt = 0;
  #jobCounter = 0;
  #stopped = false;
  #fetching: Promise<void> | null = null;
  #pollTimer: ReturnType<typeof setInterval> | null = null;
  #ageTimer: ReturnType<typeof setInterval> | null = null;
  #idle = false;
  #failing: string | null = null;
  readonly #longpollAbort = new AbortController();

  constructor(o: DaemonSourceOptions) {
    this.#rpc = o.rpc;
    this.#log = o.log ?? silentLogger;
    this.#clock = o.clock ?? Date.now;
    this.#o = {
      pollIntervalMs: o.pollIntervalMs ?? 5_000,
      longpollTimeoutMs: o.longpollTimeoutMs ?? 90_000,
      maxJobAgeMs: o.maxJobAgeMs ?? 120_000,
      timeoutMs: o.timeoutMs ?? 10_000,
    };
    this.ready = this.#startup();
    this.ready.catch(() => {}); // the caller awaits it; no unhandled rejection meanwhile
  }

  /** The daemon, for logs (no password). */
  get daemon(): string {
    return this.#rpc.describe();
  }

  /** The latest work, or null before the first template. */
  get current(): DaemonWork | null {
    return this.#current;
  }

  /** Where new work and idleness go (the pool server). */
  listen(events: DaemonSourceEvents): void {
    this.#events = events;
  }

  /** blocknotify: fetch a template now. */
  poke(reason = "blocknotify"): void {
    this.#log.debug(`daemon: ${reason}: fetching a template`);
    void this.#fetch();
  }

  /**
   * Submit the block of a share that met the block target: `header` the 140 bytes (daemon nonce),
   * `solution` the 1344 bytes with the winning tail. Never throws: a failure is the result.
   */
  async submit(job: Job, header: Uint8Array, solution: Uint8Array, hash: Uint8Array): Promise<BlockResult> {
    const t0 = performance.now();
    const t = this.#templates.get(job.id);
    const display = blockHashDisplay(hash);
    if (t === undefined)
      return {
        hash: display,
        height: 0,
        result: "stale: the template is gone",
        accepted: false,
        confirmed: false,
        sendMs: 0,
      };
    const block = assembleBlock(t, header, solution);
    const method = job.solutionVersion > 6 ? "submitmergedblock" : "submitblock";
    let result: string;
    let sendMs = 0;
    try {
      const call = this.#rpc.call<unknown>(method, [bytesToHex(block)], { timeoutMs: this.#o.timeoutMs });
      sendMs = performance.now() - t0;
      const answer = await call;
      result = answer === null || answer === undefined ? "accepted" : String(answer);
    } catch (e) {
      result = e instanceof DaemonError ? `${e.code} ${e.message}` : String(e);
    }
    let confirmed = false;
    try {
      const b = await this.#rpc.call<{ confirmations?: number }>("getblock", [display], {
        timeoutMs: this.#o.timeoutMs,
      });
      confirmed = typeof b?.confirmations === "number" && b.confirmations >= 0;
    } catch {
      // Not found (or the daemon is gone): not confirmed.
    }
    void this.#fetch(); // the tip has (or may have) moved: a template at once
    const accepted = result === "accepted" || result === "pbaas";
    return { hash: display, height: t.height, result, accepted, confirmed, sendMs };
  }

  stop(): void {
    this.#stopped = true;
    this.#longpollAbort.abort();
    if (this.#pollTimer !== null) clearInterval(this.#pollTimer);
    if (this.#ageTimer !== null) clearInterval(this.#ageTimer);
  }

  // ---- start-up, polling, longpoll ---------------------------------------------------------

  async #startup(): Promise<void> {
    for (let delay = BACKOFF_FIRST_MS; !this.#stopped; delay = Math.min(2 * delay, BACKOFF_MAX_MS)) {
      try {
        const info = await this.#rpc.call<{ blocks?: number; VRSCversion?: string }>("getinfo", [], {
          timeoutMs: this.#o.timeoutMs,
        });
        this.#log.info(
          `daemon ${this.daemon}: ${info?.VRSCversion === undefined ? "" : `verusd ${info.VRSCversion}, `}height ${info?.blocks ?? "?"}`,
        );
        await this.#probe();
        break;
      } catch (e) {
        if (isFatal(e)) throw e;
        this.#trouble(e, delay);
        await Bun.sleep(isSyncing(e) ? SYNCING_RETRY_MS : delay);
      }
    }
    for (let delay = BACKOFF_FIRST_MS; !this.#stopped && this.#template === null;) {
      try {
        await this.#getTemplate(null);
      } catch (e) {
        if (isFatal(e)) throw e;
        this.#trouble(e, delay);
        await Bun.sleep(isSyncing(e) ? SYNCING_RETRY_MS : delay);
        delay = Math.min(2 * delay, BACKOFF_MAX_MS);
      }
    }
    if (this.#stopped) return;
    this.#pollTimer = setInterval(() => void this.#fetch(), this.#o.pollIntervalMs);
    this.#ageTimer = setInterval(() => this.#checkAge(), Math.min(this.#o.maxJobAgeMs, 5_000));
    void this.#longpollLoop();
  }

  /** §9's batch: submitblock with no argument must fail with −1 (the method exists). */
  async #probe(): Promise<void> {
    const answers = await this.#rpc.batch(
      [
        { method: "getdifficulty", params: [] },
        { method: "getinfo", params: [] },
        { method: "getmininginfo", params: [] },
        { method: "submitblock", params: [] },
      ],
      { timeoutMs: this.#o.timeoutMs },
    );
    const submit = answers[3];
    const ok = submit instanceof DaemonError && submit.code === "E_DAEMON_RPC" && submit.detail.code === -1;
    if (!ok) this.#log.warn(`daemon ${this.daemon}: submitblock probe did not answer −1 as verusd does`);
    const mining = answers[2];
    if (!(mining instanceof DaemonError) && typeof mining === "object" && mining !== null)
      this.#log.info(`daemon mining info: ${JSON.stringify(mining).slice(0, 200)}`);
  }

  async #longpollLoop(): Promise<void> {
    while (!this.#stopped) {
      const id = this.#template?.longpollId ?? null;
      if (id === null) {
        await Bun.sleep(this.#o.pollIntervalMs);
        continue;
      }
      try {
        await this.#getTemplate(id);
      } catch (e) {
        if (this.#stopped) return;
        if (!(e instanceof DaemonError && e.code === "E_DAEMON_TIMEOUT")) {
          this.#trouble(e, this.#o.pollIntervalMs);
          await Bun.sleep(this.#o.pollIntervalMs);
        }
      }
    }
  }

  /** One template now (poll or poke); concurrent calls share one request. */
  #fetch(): Promise<void> {
    if (this.#stopped || this.#template === null) return Promise.resolve();
    this.#fetching ??= this.#getTemplate(null)
      .catch((e) => this.#trouble(e, this.#o.pollIntervalMs))
      .finally(() => (this.#fetching = null));
    return this.#fetching;
  }

  async #getTemplate(longpollId: string | null): Promise<void> {
    const params = [
      longpollId === null
        ? { capabilities: CAPABILITIES }
        : { capabilities: CAPABILITIES, longpollid: longpollId },
    ];
    const raw = await this.#rpc.call<unknown>("getblocktemplate", params, {
      timeoutMs: longpollId === null ? this.#o.timeoutMs : this.#o.longpollTimeoutMs,
      ...(longpollId === null ? {} : { signal: this.#longpollAbort.signal }),
    });
    if (this.#stopped) return;
    let t: BlockTemplate;
    try {
      t = parseTemplate(raw);
    } catch (e) {
      // At start there is no job to keep: the start-up loop logs it and waits before asking again.
      if (this.#template === null) throw e;
      // A malformed template: coded, logged, the previous job kept.
      this.#log.error(`daemon template refused: ${(e as DaemonError).code} ${(e as Error).message}`);
      return;
    }
    this.#recovered();
    this.#accept(t);
  }

  #accept(t: BlockTemplate): void {
    const prev = this.#template;
    const newBlock = prev === null || prev.prevHashDisplay !== t.prevHashDisplay;
    if (!newBlock && prev !== null && sameTemplate(prev, t)) {
      this.#workAt = this.#clock(); // the daemon still says the same: the job is not stale
      return;
    }
    this.#template = t;
    this.#jobCounter = (this.#jobCounter % 0xfffe) + 1;
    const job = templateJob(t, this.#jobCounter.toString(16), newBlock);
    this.#templates.put(job.id, t, newBlock);
    this.#current = { job, height: t.height, newBlock };
    this.#workAt = this.#clock();
    this.#idle = false;
    if (newBlock)
      this.#log.info(
        `daemon: new block ${t.height} (prev ${t.prevHashDisplay.slice(0, 16)}…), ${t.transactions.length} transaction(s)`,
      );
    this.#events?.work(this.#current);
  }

  #checkAge(): void {
    if (this.#idle || this.#current === null) return;
    const age = this.#clock() - this.#workAt;
    if (age <= this.#o.maxJobAgeMs) return;
    this.#idle = true;
    const why = `no template from the daemon for ${Math.round(age / 1000)} s`;
    this.#log.warn(`daemon: ${why}: miners idle until it answers`);
    this.#events?.idle(why);
  }

  #trouble(e: unknown, retryMs: number): void {
    const what = e instanceof DaemonError ? `${e.code} ${e.message}` : String(e);
    if (this.#failing === what) return; // once per kind of trouble
    this.#failing = what;
    const hint = isSyncing(e) ? " (syncing: waiting)" : "";
    this.#log.warn(
      `daemon ${this.daemon}: ${what}${hint}; retrying every ${Math.round(retryMs / 1000) || 1} s`,
    );
  }

  #recovered(): void {
    if (this.#failing === null) return;
    this.#failing = null;
    this.#log.info(`daemon ${this.daemon}: answering again`);
  }
}

function isSyncing(e: unknown): boolean {
  return e instanceof DaemonError && e.code === "E_DAEMON_SYNCING";
}

/** The operator's to fix: retrying cannot help. */
function isFatal(e: unknown): boolean {
  return (
    e instanceof DaemonError &&
    (e.code === "E_DAEMON_AUTH" || e.code === "E_DAEMON_URL" || e.code === "E_DAEMON_NO_ADDRESS")
  );
}

/** Same tip, same work: nothing to send. */
function sameTemplate(a: BlockTemplate, b: BlockTemplate): boolean {
  return (
    a.longpollId === b.longpollId &&
    a.curtime === b.curtime &&
    a.coinbaseHash === b.coinbaseHash &&
    a.transactions.length === b.transactions.length
  );
}
