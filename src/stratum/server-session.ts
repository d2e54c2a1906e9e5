// server-session.ts — the server side of one Stratum connection, sans-IO: a miner's line in, the
// lines to send back out; work in, the set_extranonce / set_target / notify lines for it. Written
// once for both Stratum servers — the built-in pool (src/pool/) and the bridge's port for native
// miners (src/downstream/) — each of which fills a few hooks (who may connect and authorise, what
// a submit is worth), the way the Stratum V2 reference's protocols/v1 `IsServer` does. The socket,
// framing and caps are connection.ts's.
//
// What every miner sees (verus-stratum.md §11 "Downstream", node-stratum-pool's replies):
// - subscribe → [null, xn1] (the 2-element form every miner and verusProxy accept), set_target,
//   then the current job with clean=true (§3.5: a (re)subscribe starts over). When no work exists
//   yet the reply waits for the first work() (the connection's handshake timeout bounds the wait);
// - set_target again before a notify whenever the target changed; notifications carry id null;
// - authorize before or after subscribe; a refused one is answered [24, …] and may close;
// - extranonce.subscribe → true, and a new extranonce1 is then announced with mining.set_extranonce;
//   a miner that did not ask cannot be told: with the `reconnect` option (the bridge) it is sent
//   client.reconnect to the server itself, with a wait the option spreads at random (so thousands
//   of miners do not come back in the same instant), gets no more work, and is closed (E_RELEASED)
//   after that wait; without it (the pool) it is closed at once;
// - submit: not authorised → 24, not subscribed → 25 (in that order, §5 step 1), else the hook's
//   verdict, now or later (answer());
// - mining.ping → "pong"; get_transactions → []; suggest_target → false "Not supported."; unknown
//   methods → [20, "unknown method"] (verusProxy's text); responses from the miner are ignored;
// - a known method with unusable params is answered [20, "CODE: text"]; a line that is not
//   JSON-RPC at all either closes the connection (the pool: v-nomp destroys the socket) or is
//   answered with id null (the bridge: the connection's bad-line limit decides).

import type { CloseCode } from "../protocol/close-codes.ts";
import {
  booleanReply,
  decodeMinerCall,
  encodePoolMessage,
  isProtocolError,
  parseRpc,
  pongReply,
  rejectOf,
  rejectToRpcError,
  serializeRpc,
  subscribeReply,
  submitReply,
  type MinerMessage,
  type Notify,
  type RpcId,
  type RpcResponse,
  type ShareReject,
  type SubmitParams,
} from "../protocol/index.ts";

/** The verdict on one submit, as the reply carries it. */
export type SubmitAnswer = Parameters<typeof submitReply>[1];

/** What one miner works on next. */
export interface StratumWork {
  /** The job as announced; its jobId and cleanJobs are replaced by the two fields below. */
  notify: Notify;
  /** The id the miner submits against. */
  jobId: string;
  /** Older jobs are void (a new block); a connection's first job is always sent clean. */
  clean: boolean;
  /** This connection's extranonce1, lowercase hex, and the extranonce2 size that fills 32 bytes. */
  extranonce1: string;
  extranonce2Size: number;
  /** Share target (LE256(hash) ≤ target). */
  target: bigint;
}

/** A refused authorize is answered 24; with `close`, the connection is closed after the answer. */
export type AuthorizeAnswer = { ok: true } | { ok: false; close?: { code: CloseCode; detail: string } };

/** What the server using the session decides; called synchronously, inside the connection's boundary. */
export interface StratumServerHooks {
  /** A subscribe, with the miner's user agent: false when refused (the hook closed the connection). */
  hello(agent: string | null): boolean;
  authorize(user: string, password: string | null): AuthorizeAnswer;
  /** A submit of an authorised, subscribed miner: its verdict now, or "later" for answer(id, …). */
  submit(submit: SubmitParams, id: RpcId): SubmitAnswer | "later";
  /** A submit the session itself refused (24, 25), for the server's counters. */
  refused?(submit: SubmitParams, reject: ShareReject): void;
  subscribed?(): void;
  /** A method the session does not know: `true` when the hook took it (answered true), else 20. */
  unknownMethod?(name: string, params: unknown): boolean | void;
}

/** How the session writes and closes (the connection). */
export interface StratumOut {
  send(lines: readonly string[]): void;
  close(code: CloseCode, detail: string): void;
  /** Close after `ms` unless closed before (absent: at once). */
  closeLater?(ms: number, code: CloseCode, detail: string): void;
}

/** Where a re-leased miner that cannot be told its new extranonce1 is sent (client.reconnect). */
export interface ReconnectOption {
  /** This server as the miner reached it; the port goes out as a string (verus-stratum.md §6). */
  host: string;
  port: number;
  /** Whole seconds the miner should wait before reconnecting (the caller's spread). */
  waitSeconds(): number;
  /** Added to the wait before the connection is closed, for miners that ignore client.reconnect. */
  graceMs: number;
}

export interface StratumSessionOptions {
  /** A line that is not JSON-RPC: "close" (E_MALFORMED) or "answer" (id null; the caller counts it). */
  garbage: "close" | "answer";
  /** A new extranonce1 for a miner without extranonce.subscribe: client.reconnect here; null: close. */
  reconnect?: ReconnectOption | null;
}

export type LineVerdict = "ok" | "bad";

export class StratumServerSession {
  readonly #hooks: StratumServerHooks;
  readonly #out: StratumOut;
  readonly #garbage: "close" | "answer";
  readonly #reconnect: ReconnectOption | null;
  /** Sent client.reconnect (its lease changed): no more work, closed after the wait. */
  #released = false;
  #subscribed = false;
  #authorized = false;
  #extranonceSubscribed = false;
  /** A subscribe waiting for the first work (its reply needs the extranonce1). */
  #pendingSubscribe: { id: RpcId } | null = null;
  #work: StratumWork | null = null;
  #sentJob = false;
  #sentExtranonce1: string | null = null;
  #sentTarget: bigint | null = null;

  constructor(hooks: StratumServerHooks, out: StratumOut, options: StratumSessionOptions) {
    this.#hooks = hooks;
    this.#out = out;
    this.#garbage = options.garbage;
    this.#reconnect = options.reconnect ?? null;
  }

  /** client.reconnect was sent: the connection only waits for its close. */
  get released(): boolean {
    return this.#released;
  }

  get subscribed(): boolean {
    return this.#subscribed;
  }

  get authorized(): boolean {
    return this.#authorized;
  }

  get handshakeDone(): boolean {
    return this.#subscribed && this.#authorized;
  }

  /** One line from the miner: "bad" when it was not a usable request (answered if it could be). */
  receive(line: string): LineVerdict {
    let m: MinerMessage;
    let id: RpcId = null;
    try {
      const rpc = parseRpc(line);
      if (rpc.kind === "response") return "ok"; // we send no requests: a stray answer is harmless
      id = rpc.id;
      m = decodeMinerCall(rpc.id, rpc.method, rpc.params);
    } catch (e) {
      if (!isProtocolError(e)) throw e;
      const text = `${e.code}: ${e.message}`;
      if (id === null && this.#garbage === "close") {
        this.#out.close("E_MALFORMED", text);
        return "bad";
      }
      this.#out.send([errorLine(id, 20, text)]);
      return "bad";
    }
    this.#handle(m);
    return "ok";
  }

  /**
   * New work for this miner: before subscribe it is kept for the subscribe's answer; after it, the
   * lines that announce it (set_extranonce if extranonce1 changed, set_target if the target did).
   */
  work(w: StratumWork): void {
    if (this.#released) return;
    this.#work = w;
    if (!this.#subscribed) {
      if (this.#pendingSubscribe !== null) this.#completeSubscribe();
      return;
    }
    const lines: string[] = [];
    let clean = w.clean || !this.#sentJob;
    if (w.extranonce1 !== this.#sentExtranonce1) {
      if (!this.#extranonceSubscribed) return this.#release();
      lines.push(
        encodePoolMessage({
          method: "mining.set_extranonce",
          id: null,
          extranonce1: w.extranonce1,
          extranonce2Size: w.extranonce2Size,
        }),
      );
      this.#sentExtranonce1 = w.extranonce1;
      clean = true; // work built on the old extranonce1 is void
    }
    if (w.target !== this.#sentTarget) lines.push(this.#setTarget(w.target));
    lines.push(this.#notify(w, clean));
    this.#out.send(lines);
  }

  /** The lease changed and the miner cannot be told: send it back here, or close at once. */
  #release(): void {
    const detail = "the nonce lease changed; reconnect for a new one";
    const r = this.#reconnect;
    if (r === null || this.#out.closeLater === undefined) return this.#out.close("E_RELEASED", detail);
    this.#released = true;
    const wait = Math.max(0, Math.floor(r.waitSeconds()));
    this.#out.send([
      encodePoolMessage({
        method: "client.reconnect",
        id: null,
        host: r.host,
        port: r.port,
        waitSeconds: wait,
      }),
    ]);
    this.#out.closeLater(wait * 1000 + r.graceMs, "E_RELEASED", detail);
  }

  /** The verdict on a submit the hook answered "later". */
  answer(id: RpcId, outcome: SubmitAnswer): void {
    this.#out.send([serializeRpc(submitReply(id, outcome))]);
  }

  /** client.show_message: text for the miner's log. */
  showMessage(text: string): void {
    this.#out.send([encodePoolMessage({ method: "client.show_message", id: null, message: text })]);
  }

  #handle(m: MinerMessage): void {
    switch (m.method) {
      case "mining.subscribe":
        if (!this.#hooks.hello(m.userAgent)) return;
        this.#pendingSubscribe = { id: m.id };
        if (this.#work !== null) this.#completeSubscribe();
        return;
      case "mining.authorize":
        return this.#authorize(m.id, m.user, m.password);
      case "mining.extranonce.subscribe":
        this.#extranonceSubscribed = true;
        return this.#reply(booleanReply(m.id, true));
      case "mining.pbaas.subscribe":
        return this.#reply(booleanReply(m.id, true));
      case "mining.submit":
        return this.#submit(m.id, m);
      case "mining.ping":
        return this.#reply(pongReply(m.id));
      case "mining.get_transactions":
        return this.#reply({ kind: "response", id: m.id, result: [], error: null });
      case "mining.suggest_target":
        // Miningcore only; the server steers difficulty itself (node-stratum-pool's answer).
        return this.#reply(booleanReply(m.id, false, { code: 20, message: "Not supported.", data: null }));
      case "unknown": {
        const taken = this.#hooks.unknownMethod?.(m.name, m.params) === true;
        if (m.id === null) return;
        if (taken) return this.#reply(booleanReply(m.id, true));
        this.#out.send([errorLine(m.id, 20, "unknown method")]);
        return;
      }
    }
  }

  #completeSubscribe(): void {
    const w = this.#work!;
    const { id } = this.#pendingSubscribe!;
    const first = !this.#subscribed;
    this.#pendingSubscribe = null;
    this.#subscribed = true;
    this.#sentJob = false; // a (re)subscribe starts over: target, then a clean job
    this.#sentExtranonce1 = w.extranonce1;
    if (first) this.#hooks.subscribed?.();
    this.#out.send([
      serializeRpc(
        subscribeReply(id, { subscriptionId: null, extranonce1: w.extranonce1, extranonce2Size: null }),
      ),
      this.#setTarget(w.target),
      this.#notify(w, true),
    ]);
  }

  #authorize(id: RpcId, user: string, password: string | null): void {
    const r = this.#hooks.authorize(user, password);
    if (r.ok) this.#authorized = true;
    this.#reply(booleanReply(id, r.ok, r.ok ? null : rejectToRpcError(rejectOf("unauthorized"))));
    if (!r.ok && r.close !== undefined) this.#out.close(r.close.code, r.close.detail);
  }

  #submit(id: RpcId, submit: SubmitParams): void {
    const refusal = !this.#authorized
      ? rejectOf("unauthorized")
      : !this.#subscribed
        ? rejectOf("not-subscribed")
        : null;
    if (refusal !== null) {
      this.#hooks.refused?.(submit, refusal);
      return this.answer(id, { accepted: false, reject: refusal });
    }
    const outcome = this.#hooks.submit(submit, id);
    if (outcome !== "later") this.answer(id, outcome);
  }

  #reply(r: RpcResponse): void {
    this.#out.send([serializeRpc(r)]);
  }

  #setTarget(target: bigint): string {
    this.#sentTarget = target;
    return encodePoolMessage({ method: "mining.set_target", id: null, target });
  }

  #notify(w: StratumWork, clean: boolean): string {
    this.#sentJob = true;
    return encodePoolMessage({ ...w.notify, id: null, jobId: w.jobId, cleanJobs: clean });
  }
}

function errorLine(id: RpcId, code: number, message: string): string {
  return serializeRpc({ kind: "response", id, result: null, error: { code, message } });
}
