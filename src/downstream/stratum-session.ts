// stratum-session.ts — one native miner (ccminer 3.8.3, bloxminer, `vbridge mine`) speaking the pool
// dialect: its lines become MinerSession calls, and as the session's MinerSink it writes work and
// verdicts back as a pool would (verus-stratum.md §11 "Downstream"):
//
// - subscribe → [null, xn1] (the 2-element form), then set_target, then notify with clean=true; if
//   the core has no work yet the reply waits for it (the handshake timeout bounds the wait);
// - set_target again before a notify whenever the target changed; notifications carry id null;
// - extranonce.subscribe → true; a new lease is then announced with mining.set_extranonce. Miners
//   that did not subscribe cannot be told, so they are closed (E_RELEASED) and reconnect;
// - mining.ping → "pong"; unknown methods → [20, "unknown method"] (verusProxy's text);
// - submit before subscribe → 25, before authorize → 24, both error shapes as the pools send them;
// - with bridge.token set, the authorize password must be the token (else 24 and a close).
//
// Sans-IO: lines in, lines out through StratumOut; the connection owns the socket and framing.

import type { BridgeCore, MinerSession, MinerSink, MinerWork, SessionEnd, ShareResult } from "../bridge/contract.ts";
import {
  booleanReply,
  bytesToHex,
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
  type RpcId,
  type Submit,
} from "../protocol/index.ts";
import type { WsCloseCode } from "../protocol/ws-errors.ts";
import type { Logger } from "../upstream/index.ts";
import { isCodedError } from "../util/errors.ts";
import { printable, tokenMatches } from "./access.ts";
import { sessionEndCode } from "./errors.ts";

/** How the session writes and closes (the connection's socket, outbox and boundary). */
export interface StratumOut {
  send(lines: readonly string[]): void;
  close(reason: WsCloseCode, detail: string): void;
  /** Runs a sink call inside the connection's error boundary (sink calls must not throw). */
  run(f: () => void): void;
}

export interface StratumContext {
  core: BridgeCore;
  token: string;
  log: Logger;
}

export class StratumSession implements MinerSink {
  readonly id: number;
  readonly remote: string;
  readonly #ctx: StratumContext;
  readonly #out: StratumOut;
  #session: MinerSession | null = null;
  #work: MinerWork | null = null;
  /** A subscribe waiting for the first work (its reply needs the lease's extranonce1). */
  #pendingSubscribe: { id: RpcId } | null = null;
  #subscribed = false;
  #authorized = false;
  #extranonceSubscribed = false;
  /** The connection closed (possibly while core.open was still running). */
  #over = false;
  #sentExtranonce1: string | null = null;
  #sentTarget: bigint | null = null;

  constructor(id: number, remote: string, ctx: StratumContext, out: StratumOut) {
    this.id = id;
    this.remote = remote;
    this.#ctx = ctx;
    this.#out = out;
  }

  get handshakeDone(): boolean {
    return this.#subscribed && this.#authorized;
  }

  /** One line from the miner; "bad" when it was not a usable request (already answered if it could be). */
  receive(line: string): "ok" | "bad" {
    let m: MinerMessage;
    let id: RpcId = null;
    try {
      const rpc = parseRpc(line);
      if (rpc.kind === "response") return "ok"; // answers to show_message and the like: nothing to do
      id = rpc.id;
      m = decodeMinerCall(rpc.id, rpc.method, rpc.params);
    } catch (e) {
      if (!isProtocolError(e)) throw e;
      // A request with unusable params is answered by its id; garbage by id null.
      this.#out.send([errorLine(id, 20, `${e.code}: ${e.message}`)]);
      return "bad";
    }
    this.#handle(m);
    return "ok";
  }

  /** The connection is gone: free the lease. */
  closed(): void {
    this.#over = true;
    this.#session?.close();
  }

  #handle(m: MinerMessage): void {
    switch (m.method) {
      case "mining.subscribe":
        if (!this.#open(m.userAgent)) return;
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
        return this.#submit(m);
      case "mining.ping":
        return this.#reply(pongReply(m.id));
      case "mining.get_transactions":
        return this.#reply({ kind: "response", id: m.id, result: [], error: null });
      case "mining.suggest_target":
        // The core steers difficulty itself (node-stratum-pool's answer).
        return this.#reply(booleanReply(m.id, false, { code: 20, message: "Not supported.", data: null }));
      case "unknown":
        if (m.id !== null) this.#out.send([errorLine(m.id, 20, "unknown method")]);
        return;
    }
  }

  /** core.open on the first subscribe or authorize; false (and closing) when the core is full. */
  #open(agent: string | null): boolean {
    if (this.#session !== null) return true;
    try {
      this.#session = this.#ctx.core.open({ transport: "stratum", remote: this.remote, ...(agent === null ? {} : { agent: agent.slice(0, 64) }) }, this);
      if (this.#over) this.#session.close(); // ended by the core while it opened
      return !this.#over;
    } catch (e) {
      if (isCodedError(e) && (e.code === "E_BRIDGE_FULL" || e.code === "E_BRIDGE_CLOSED")) {
        this.#out.close(e.code === "E_BRIDGE_FULL" ? "E_BRIDGE_FULL" : "E_BRIDGE_CLOSING", e.message);
        return false;
      }
      throw e;
    }
  }

  #completeSubscribe(): void {
    const w = this.#work!;
    const { id } = this.#pendingSubscribe!;
    this.#pendingSubscribe = null;
    this.#subscribed = true;
    this.#sentExtranonce1 = bytesToHex(w.extranonce1);
    this.#sentTarget = w.target;
    this.#out.send([
      serializeRpc(subscribeReply(id, { subscriptionId: null, extranonce1: this.#sentExtranonce1, extranonce2Size: null })),
      setTargetLine(w.target),
      notifyLine(w, true), // a (re)subscribe starts over with a clean job (verus-stratum.md §3.5)
    ]);
  }

  #authorize(id: RpcId, user: string, password: string | null): void {
    if (!tokenMatches(password, this.#ctx.token)) {
      this.#ctx.log.debug(`stratum ${this.id} wrong access token for ${printable(user)}`);
      this.#reply(booleanReply(id, false, rejectToRpcError(rejectOf("unauthorized"))));
      return this.#out.close("E_UNAUTHORIZED", "access token missing or wrong");
    }
    if (!this.#open(null)) return;
    const r = this.#session!.authorize(user, password ?? "");
    if (r.ok) this.#authorized = true;
    this.#ctx.log.debug(r.ok ? `stratum ${this.id} authorized ${printable(user)}` : `stratum ${this.id} refused ${printable(user)}: ${r.reason}`);
    this.#reply(booleanReply(id, r.ok, r.ok ? null : rejectToRpcError(rejectOf("unauthorized"))));
  }

  #submit(m: Submit): void {
    if (!this.#subscribed) return this.#reply(submitReply(m.id, { accepted: false, reject: rejectOf("not-subscribed") }));
    if (!this.#authorized) return this.#reply(submitReply(m.id, { accepted: false, reject: rejectOf("unauthorized") }));
    this.#session!.submit({ kind: "submit", jobId: m.jobId, nTime: m.nTime, extranonce2: m.extranonce2, solution: m.solution }, m.id);
  }

  #reply(r: Parameters<typeof serializeRpc>[0]): void {
    this.#out.send([serializeRpc(r)]);
  }

  // ---------------------------------------------------------------------------- MinerSink (core)

  work(w: MinerWork): void {
    this.#out.run(() => {
      this.#work = w;
      if (!this.#subscribed) {
        if (this.#pendingSubscribe !== null) this.#completeSubscribe();
        return;
      }
      const lines: string[] = [];
      let clean = w.clean;
      const xn1 = bytesToHex(w.extranonce1);
      if (xn1 !== this.#sentExtranonce1) {
        if (!this.#extranonceSubscribed) return this.#out.close("E_RELEASED", "the nonce lease changed; reconnect for a new one");
        lines.push(encodePoolMessage({ method: "mining.set_extranonce", id: null, extranonce1: xn1, extranonce2Size: w.extranonce2Size }));
        this.#sentExtranonce1 = xn1;
        clean = true; // work built on the old extranonce1 is void
      }
      if (w.target !== this.#sentTarget) {
        lines.push(setTargetLine(w.target));
        this.#sentTarget = w.target;
      }
      lines.push(notifyLine(w, clean));
      this.#out.send(lines);
    });
  }

  result(r: ShareResult): void {
    this.#out.run(() => {
      const o = r.outcome;
      const id = r.token as RpcId;
      this.#reply(submitReply(id, o.status === "accepted" ? { accepted: true } : { accepted: false, reject: o.reject }));
    });
  }

  message(text: string): void {
    this.#out.run(() => this.#out.send([encodePoolMessage({ method: "client.show_message", id: null, message: text })]));
  }

  end(e: SessionEnd): void {
    const { code, detail } = sessionEndCode(e);
    this.#out.close(code, detail);
  }
}

function setTargetLine(target: bigint): string {
  return encodePoolMessage({ method: "mining.set_target", id: null, target });
}

function notifyLine(w: MinerWork, clean: boolean): string {
  return encodePoolMessage({ ...w.job.notify, id: null, jobId: w.jobId, cleanJobs: clean });
}

function errorLine(id: RpcId, code: number, message: string): string {
  return serializeRpc({ kind: "response", id, result: null, error: { code, message } });
}
