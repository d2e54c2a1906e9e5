// helpers.ts — pool lines and recorders shared by the pool-client tests. The notify is the real
// v7 job of transcripts/vnomp-rawclient.jsonl; job id, prevhash and clean flag are varied.

import { StratumSession, type SessionEvent, type SessionOptions } from "../../src/upstream/session.ts";
import type { UpstreamEvent, UpstreamShare } from "../../src/upstream/events.ts";
import { silentLogger } from "../../src/util/log.ts";

export const PREV_A = "3eb3dbb547f6a8a3fac72b12d76048bbd5262280064e61b388e8ed0000000000";
export const PREV_B = "4f55cdc794f63950aedb238d07b7a1f9d20f29e0eaa14473c0dea70000000000";
export const NTIME = "c82b016b";
export const TEMPLATE =
  "0700000001010000dd299776b01101c7809712cc9d116247cf9996342649966785effc190095428f4d44359800e1ff4f8fc5c6ab9d04eebf199901ac1c8c8cdf618ed6960f440f841af5b8015c64d39ab44c60ead8317f9f5a9b6c4c5c7d7108fe9994ed3ad080fbacec624b5b70bbfd904e88dd99fc1d97681192a0";

export function notifyLine(jobId: string, clean = true, prevHash = PREV_A): string {
  return JSON.stringify({
    id: null,
    method: "mining.notify",
    params: [
      jobId,
      "04000100",
      prevHash,
      "d3ebc41e45a65637bac6d76c52938aa601ee536d7fa6bb8fd055055d81ef05e3",
      "ce011889bdff3bbf86f6ad90f668ffba32fc432261dca49d95c5208606e251de",
      NTIME,
      "0562021b",
      clean,
      TEMPLATE,
    ],
  });
}

export const setTargetLine = (hex: string) =>
  JSON.stringify({ id: null, method: "mining.set_target", params: [hex] });
export const resultLine = (id: unknown, result: unknown, error: unknown = null) =>
  JSON.stringify({ id, result, error });
/** v-nomp's 3-element subscribe result (transcripts/vnomp-rawclient.jsonl). */
export const vnompSubscribe = (id: number, xn1 = "1ffffffe") =>
  resultLine(id, [
    [
      ["mining.set_difficulty", "deadbeefcafebabe0400000000000000"],
      ["mining.notify", "deadbeefcafebabe0400000000000000"],
    ],
    xn1,
    8,
  ]);

export const SOLUTION = "fd4005" + TEMPLATE + "00".repeat(1344 - TEMPLATE.length / 2);

export function share(epoch: number, jobId: string, n = 0): UpstreamShare {
  return { epoch, jobId, nTime: NTIME, extranonce2: n.toString(16).padStart(56, "0"), solution: SOLUTION };
}

export interface Wire {
  id: number | string | null;
  method?: string;
  params?: unknown[];
  result?: unknown;
  error?: unknown;
}

/** A session driven by hand: every line it sends and every event it emits, in order. */
export class SessionRig {
  readonly sent: Wire[] = [];
  readonly raw: string[] = [];
  readonly events: SessionEvent<number>[] = [];
  readonly session: StratumSession<number>;
  #epoch = 0;

  constructor(o: Partial<SessionOptions> = {}) {
    this.session = new StratumSession<number>(
      {
        user: "RAddr.rig",
        password: "hunter2",
        userAgent: "vbridge/test",
        sessionId: null,
        extranonceSubscribe: false,
        subscribeTimeoutMs: 30_000,
        authorizeTimeoutMs: 30_000,
        submitTimeoutMs: 30_000,
        noJobTimeoutMs: 30_000,
        allowRedirect: () => true,
        maxInFlightSubmits: 3,
        maxQueuedSubmits: 100,
        maxJobs: 8,
        nextEpoch: () => ++this.#epoch,
        log: silentLogger,
        ...o,
      },
      (e) => this.events.push(e),
      (line) => {
        this.raw.push(line);
        this.sent.push(JSON.parse(line) as Wire);
      },
    );
  }

  feed(line: string, now = 0): this {
    this.session.receive(line, now);
    return this;
  }

  /** start → subscribe result → authorize true; returns the epoch. */
  handshake(xn1 = "1ffffffe"): number {
    this.session.start(0);
    this.feed(vnompSubscribe(1, xn1));
    this.feed(resultLine(2, true));
    return this.session.epoch!;
  }

  of<K extends SessionEvent<number>["type"]>(type: K): Extract<SessionEvent<number>, { type: K }>[] {
    return this.events.filter((e): e is Extract<SessionEvent<number>, { type: K }> => e.type === type);
  }

  submits(): Wire[] {
    return this.sent.filter((w) => w.method === "mining.submit");
  }

  outcomes(): [number, string][] {
    return this.of("result").map((r) => [r.token, r.outcome.status]);
  }
}

/** Records client events; `until` waits (bounded) for a predicate over them. */
export class EventLog<T = number> {
  readonly events: UpstreamEvent<T>[] = [];
  readonly listener = (e: UpstreamEvent<T>): void => {
    this.events.push(e);
    for (const w of [...this.#waiters]) if (w.test()) w.done();
  };
  #waiters = new Set<{ test: () => boolean; done: () => void }>();

  of<K extends UpstreamEvent<T>["type"]>(type: K): Extract<UpstreamEvent<T>, { type: K }>[] {
    return this.events.filter((e): e is Extract<UpstreamEvent<T>, { type: K }> => e.type === type);
  }

  states(): string[] {
    return this.of("state").map((s) => s.state);
  }

  /** Resolves once `test()` holds: checked on every event and every 5 ms (for state outside the log). */
  until(test: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const w = {
        test,
        done: () => {
          clearTimeout(timer);
          clearInterval(poll);
          this.#waiters.delete(w);
          resolve();
        },
      };
      const poll = setInterval(() => w.test() && w.done(), 5);
      const timer = setTimeout(() => {
        clearInterval(poll);
        this.#waiters.delete(w);
        reject(
          new Error(
            `timed out waiting for ${what}; events: ${this.events
              .map((e) =>
                e.type === "state"
                  ? `state:${e.state}${e.state === "disconnected" ? `(${e.error.code})` : ""}`
                  : e.type,
              )
              .slice(0, 40)
              .join(", ")}`,
          ),
        );
      }, timeoutMs);
      this.#waiters.add(w);
    });
  }
}
