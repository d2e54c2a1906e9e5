// ws-miner.ts — a WebSocket miner for the end-to-end test, speaking either of the bridge's
// protocols as a browser would: it builds the 1487-byte hash input from nothing but the frames it
// received (docs/protocol.md §2–4), finds shares with the native scan, sends them, and counts
// every verdict it is given. The test reads its counts and the prefixes it was handed.
//
// msgpack: subprotocol vbridge.msgpack.v1, hello, job frames, share {i, j, n}, result {i, …}.
// JSON: the seed's protocol — connects to the bare address and sends nothing until work arrives —
// then the opt-in hello, so that every share gets a result the test can count.

import { TAIL_COUNTER_OFFSET, type Hasher } from "../../src/hash/index.ts";
import { bytesToHex, difficultyToTarget, targetToLE } from "../../src/protocol/index.ts";
import { HASH_INPUT_BYTES, NONCE_TAIL_OFFSET, SOLUTION_OFFSET } from "../../src/protocol/layout.ts";
import {
  decodeJsonServerMessage,
  encodeJsonClientMessage,
  wordsToBytes,
} from "../../src/protocol/ws-json.ts";
import {
  decodeServerFrame,
  encodeClientFrame,
  MSGPACK_SUBPROTOCOL,
  type MsgpackJob,
} from "../../src/protocol/ws-msgpack.ts";

export type WsKind = "msgpack" | "json";

/** Hashes one scan may try (a share at difficulty d takes ≈ 8192·d on average). */
const SCAN_LIMIT = 50_000_000;

/** A job as the miner holds it: the hash input with its prefix in place. */
export interface HeldJob {
  /** The job id exactly as received (the bridge's name for it on this connection). */
  jobId: string;
  clean: boolean;
  prefix: Uint8Array;
  /** 32 bytes LE: the share target the frame carried. */
  target: Uint8Array;
  difficulty: number;
  input: Uint8Array;
}

/** A share found but not necessarily sent. */
export interface Found {
  job: HeldJob;
  counter: number;
  tail: Uint8Array;
}

export type Verdict = { accepted: true; forwarded: boolean } | { accepted: false; code: number };

export interface Closed {
  code: number;
  reason: string;
}

export class WsMiner {
  readonly kind: WsKind;
  readonly worker: string;
  /** Every job received, in order (prefix as hex). */
  readonly jobs: { jobId: string; clean: boolean; prefix: string }[] = [];
  readonly verdicts: Verdict[] = [];
  readonly closed: Promise<Closed>;
  accepted = 0;
  rejected = 0;
  forwarded = 0;
  readonly #ws: WebSocket;
  readonly #hasher: Hasher;
  readonly #pending = new Map<number, (v: Verdict) => void>();
  #current: HeldJob | null = null;
  #welcomed = false;
  #seq = 1;
  #counter = 0;
  #loop: ReturnType<typeof setInterval> | null = null;
  #isClosed = false;

  private constructor(kind: WsKind, worker: string, ws: WebSocket, hasher: Hasher) {
    this.kind = kind;
    this.worker = worker;
    this.#ws = ws;
    this.#hasher = hasher;
    ws.binaryType = "arraybuffer";
    ws.onmessage = (e) =>
      this.#onMessage(typeof e.data === "string" ? e.data : new Uint8Array(e.data as ArrayBuffer));
    this.closed = new Promise((resolve) => {
      ws.onclose = (e) => {
        this.#isClosed = true;
        this.stopMining();
        resolve({ code: e.code, reason: e.reason });
      };
    });
  }

  /** Connects and waits for the first job (msgpack: after hello; JSON: the seed's first work, then hello). */
  static async open(
    kind: WsKind,
    port: number,
    worker: string,
    hasher: Hasher,
    timeoutMs = 20_000,
  ): Promise<WsMiner> {
    const ws =
      kind === "msgpack"
        ? new WebSocket(`ws://127.0.0.1:${port}/ws`, [MSGPACK_SUBPROTOCOL])
        : new WebSocket(`ws://127.0.0.1:${port}/`);
    const m = new WsMiner(kind, worker, ws, hasher);
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      void m.closed.then((c) => reject(new Error(`${kind} miner closed before open: ${c.code} ${c.reason}`)));
    });
    if (kind === "msgpack") m.#ws.send(encodeClientFrame({ type: "hello", worker, agent: "e2e" }));
    await m.until(() => m.#current !== null, `${kind} miner's first job`, timeoutMs);
    if (kind === "json") {
      m.#ws.send(encodeJsonClientMessage({ type: "hello", worker }));
      await m.until(() => m.#welcomed, "JSON miner's welcome", timeoutMs);
    }
    return m;
  }

  get current(): HeldJob | null {
    return this.#current;
  }

  get isClosed(): boolean {
    return this.#isClosed;
  }

  /** Shares sent and not answered yet. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Every prefix this connection was given. */
  prefixes(): Set<string> {
    return new Set(this.jobs.map((j) => j.prefix));
  }

  /** Finds a share on the current job, at its target or at the pool difficulty given. */
  find(difficulty?: number): Found {
    const job = this.#current;
    if (job === null) throw new Error("no job yet");
    const target = difficulty === undefined ? job.target : targetToLE(difficultyToTarget(difficulty));
    this.#hasher.prepareJob(job.input);
    const tail = job.input.slice(NONCE_TAIL_OFFSET);
    const [counter] = this.#hasher.scan(tail, this.#counter, SCAN_LIMIT, target, 1);
    if (counter === undefined) throw new Error(`no share in ${SCAN_LIMIT} hashes`);
    this.#counter = counter + 1;
    new DataView(tail.buffer).setUint32(TAIL_COUNTER_OFFSET, counter, true);
    return { job, counter, tail };
  }

  /** Sends a share; the promise settles with its verdict. */
  submit(f: Found): Promise<Verdict> {
    const seq = this.#seq++;
    const done = new Promise<Verdict>((resolve) => this.#pending.set(seq, resolve));
    if (this.kind === "msgpack") {
      this.#ws.send(
        encodeClientFrame({
          type: "share",
          seq,
          jobId: f.job.jobId,
          nonce: f.tail.subarray(f.job.prefix.length),
        }),
      );
    } else {
      this.#ws.send(
        encodeJsonClientMessage({ type: "share", jobId: f.job.jobId, nonce: f.counter, id: seq }),
      );
    }
    return done;
  }

  /** Mine in the background: one share every `everyMs`, at most `inFlight` unanswered. */
  startMining(everyMs = 100, inFlight = 4): void {
    this.stopMining();
    this.#loop = setInterval(() => {
      if (this.#isClosed || this.#current === null || this.#pending.size >= inFlight) return;
      void this.submit(this.find());
    }, everyMs);
  }

  stopMining(): void {
    if (this.#loop !== null) clearInterval(this.#loop);
    this.#loop = null;
  }

  /** Polls `f` (bounded: the wait is only a limit, never what the test measures). */
  async until(f: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!f()) {
      if (this.#isClosed) throw new Error(`${this.kind} miner closed while waiting for ${what}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await Bun.sleep(10);
    }
  }

  close(): void {
    this.stopMining();
    if (!this.#isClosed) this.#ws.close();
  }

  #onMessage(m: Uint8Array | string): void {
    if (this.kind === "msgpack") {
      if (typeof m === "string") throw new Error(`text frame on a msgpack connection: ${m.slice(0, 80)}`);
      const f = decodeServerFrame(m);
      if (f.type === "job") this.#job(f.jobId, f.clean, f.prefix, f.target, f.difficulty, msgpackInput(f));
      else if (f.type === "result")
        this.#verdict(
          f.seq,
          f.verdict.accepted
            ? { accepted: true, forwarded: f.verdict.forwarded }
            : { accepted: false, code: f.verdict.code },
        );
      return;
    }
    if (typeof m !== "string") throw new Error("binary frame on a JSON connection");
    const j = decodeJsonServerMessage(m);
    if (j.type === "work") {
      const data = wordsToBytes(j.work.data);
      const input = new Uint8Array(HASH_INPUT_BYTES);
      input.set(data.subarray(0, 140), 0);
      input.set([0xfd, 0x40, 0x05], 140);
      input.set(j.work.solution, SOLUTION_OFFSET);
      // The prefix is the header nonce's start; JSON gives the whole nonce (prefix ‖ zeros), and
      // the tail carries the prefix too: its length is where the tail's zeros begin.
      const prefix = jsonPrefix(input);
      // The seed's work has no clean flag: every work replaces the previous one.
      this.#job(j.work.job_id, true, prefix, wordsToBytes(j.work.target), j.work.targetdiff, input);
    } else if (j.type === "welcome") this.#welcomed = true;
    else if (j.type === "result")
      this.#verdict(
        Number(j.id),
        j.accepted
          ? { accepted: true, forwarded: j.forwarded === true }
          : { accepted: false, code: j.code ?? -1 },
      );
  }

  #job(
    jobId: string,
    clean: boolean,
    prefix: Uint8Array,
    target: Uint8Array,
    difficulty: number,
    input: Uint8Array,
  ): void {
    this.#current = { jobId, clean, prefix, target, difficulty, input };
    this.jobs.push({ jobId, clean, prefix: bytesToHex(prefix) });
  }

  #verdict(seq: number, v: Verdict): void {
    const resolve = this.#pending.get(seq);
    if (resolve === undefined) throw new Error(`${this.kind} miner: a result for unknown share ${seq}`);
    this.#pending.delete(seq);
    this.verdicts.push(v);
    if (v.accepted) {
      this.accepted++;
      if (v.forwarded) this.forwarded++;
    } else this.rejected++;
    resolve(v);
  }
}

/** The hash input a browser builds from a msgpack job frame (docs/protocol.md §2). */
function msgpackInput(j: MsgpackJob): Uint8Array {
  const input = new Uint8Array(HASH_INPUT_BYTES);
  input.set(j.head, 0);
  input.set(j.prefix, 108); // nNonce = prefix ‖ zeros
  input.set([0xfd, 0x40, 0x05], 140);
  input.set(j.solution, SOLUTION_OFFSET);
  input.set(j.prefix, NONCE_TAIL_OFFSET);
  return input;
}

/**
 * A JSON work's prefix: the tail's leading bytes up to its zeros (tail = prefix ‖ zeros). The
 * bridge's prefixes are the pool's 4-byte extranonce1 (no zero byte: the built-in pool skips those)
 * and the lease bytes, which may end in zeros — so compare with the header nonce, which holds the
 * same prefix followed by zeros too, and take the known lease layout: 4 + lease bytes.
 */
function jsonPrefix(input: Uint8Array): Uint8Array {
  const tail = input.subarray(NONCE_TAIL_OFFSET, NONCE_TAIL_OFFSET + 11);
  const nonce = input.subarray(108, 108 + 11);
  if (bytesToHex(tail) !== bytesToHex(nonce))
    throw new Error("JSON work: the tail and the header nonce disagree");
  return tail.slice(0, PREFIX_BYTES);
}

/** The built-in pool's extranonce1 (4 bytes) and the bridge's default 2-byte lease. */
export const PREFIX_BYTES = 6;
