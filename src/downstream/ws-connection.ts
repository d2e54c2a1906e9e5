// ws-connection.ts — one WebSocket miner: decodes its frames (msgpack or the seed's JSON), calls the
// core's MinerSession, and is the session's MinerSink, encoding work, results and messages back.
// No decisions of its own beyond the wire (STYLE.md §2): difficulty, leases and verdicts are the
// core's. The socket is a WsPeer, so this file knows nothing of Bun (ws-server.ts adapts it).
//
// onMessage is the one try/catch per inbound message (STYLE.md §9): a coded frame error becomes
// an error frame (and a close past BAD_FRAME_LIMIT); anything else is our bug, logged with its
// stack, and only this connection is closed.

import type {
  BridgeCore,
  MinerSession,
  MinerSink,
  MinerWork,
  SessionEnd,
  ShareResult,
} from "../bridge/contract.ts";
import { bytesEqual, rejectOf, type FixedRejectReason } from "../protocol/index.ts";
import { WS_CLOSE_CODES, type CloseCode } from "../protocol/close-codes.ts";
import { WsFrameError, isWsFrameError, type WsErrorCode } from "../protocol/ws-errors.ts";
import type { WireVerdict } from "../protocol/ws-msgpack.ts";
import type { Logger } from "../util/log.ts";
import { isCodedError } from "../util/errors.ts";
import { sessionEndCode, type CloseReason } from "./errors.ts";
import { InboundGuard, type GuardLimits } from "../net/guard.ts";
import type { ConnectionKind, DownstreamCounters } from "./metrics.ts";
import { AnnouncedJobs } from "./work.ts";
import {
  JSON_DIALECT,
  MSGPACK_DIALECT,
  wireVerdict,
  type Inbound,
  type Outbound,
  type ShareToken,
  type WsDialect,
  type WsMode,
} from "./ws-dialect.ts";

export type { WsMode } from "./ws-dialect.ts";

/** The socket as this file needs it (Bun's ServerWebSocket fits; see ws-server.ts). */
export interface WsPeer {
  /** Bun's status: bytes sent, −1 queued under backpressure, 0 dropped. */
  send(data: Uint8Array | string): number;
  bufferedAmount(): number;
  close(code: number, reason: string): void;
  terminate(): void;
}

export interface WsContext {
  core: BridgeCore;
  counters: DownstreamCounters;
  log: Logger;
  now(): number;
  limits: GuardLimits;
  /** msgpack messages; JSON ones may be larger (jsonFrameBytes): a seed share echoes its work. */
  maxFrameBytes: number;
  jsonFrameBytes: number;
  /** Bytes waiting in Bun's send buffer before a client counts as a slow reader. */
  maxBufferedBytes: number;
  /** How long a client that chose no protocol is waited for before it is taken for a seed miner. */
  detectMs: number;
  /** Worker name for clients that give none. */
  defaultWorker: string;
  /** Called once when the connection is over (the server frees its gate slot). */
  closed(c: WsConnection): void;
}

export interface WsInit {
  id: number;
  remote: string;
  /** null: chosen by the first frame (binary → msgpack, text → JSON) or, after detectMs, JSON. */
  mode: WsMode | null;
  worker: string | null;
  agent: string | null;
}

export class WsConnection implements MinerSink {
  readonly id: number;
  readonly remote: string;
  readonly #peer: WsPeer;
  readonly #ctx: WsContext;
  readonly #guard: InboundGuard;
  readonly #jobs = new AnnouncedJobs();
  readonly #agent: string | null;
  #dialect: WsDialect | null = null;
  #worker: string | null;
  #session: MinerSession | null = null;
  /** Work is held back while the session opens and, for msgpack, until the welcome is out. */
  #ready = false;
  #pendingWork: MinerWork | null = null;
  /** A pause that came before the session was ready: told once it is. */
  #pendingPause: string | null = null;
  #sentJob = false;
  /** The prefix of the last job sent: a job with another one follows a lease frame. */
  #sentPrefix: Uint8Array | null = null;
  /** Told to stop hashing (idle) and no work since: a repeated pause sends nothing. */
  #paused = false;
  #helloSeen = false;
  #detectTimer: ReturnType<typeof setTimeout> | null = null;
  #closed = false;

  constructor(peer: WsPeer, ctx: WsContext, init: WsInit) {
    this.#peer = peer;
    this.#ctx = ctx;
    this.id = init.id;
    this.remote = init.remote;
    if (init.mode !== null) this.#dialect = init.mode === "json" ? JSON_DIALECT : MSGPACK_DIALECT;
    this.#worker = init.worker;
    this.#agent = init.agent;
    this.#guard = new InboundGuard(ctx.limits, ctx.now());
  }

  get kind(): ConnectionKind {
    return this.#dialect === null ? "ws-pending" : `ws-${this.#dialect.mode}`;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The socket is open: count it, and start JSON at once or wait for the protocol. */
  start(): void {
    this.#ctx.counters.accepted.ws++;
    this.#ctx.counters.move(null, this.kind);
    this.#boundary(() => {
      if (this.#dialect?.mode === "json") this.#startJson();
      else if (this.#dialect === null)
        this.#detectTimer = setTimeout(() => this.#boundary(() => this.#choose("json")), this.#ctx.detectMs);
    });
  }

  /** One WebSocket message: the boundary of STYLE.md §9. */
  onMessage(message: string | Uint8Array): void {
    if (this.#closed) return;
    this.#boundary(() => {
      if (!this.#guard.message(this.#ctx.now()))
        return this.close("E_RATE_LIMITED", "too many messages per second");
      const text = typeof message === "string";
      // The size first: an oversize first frame must not open a session (and take a lease) at all.
      const mode = this.#dialect?.mode ?? (text ? "json" : "msgpack");
      const size = text ? Buffer.byteLength(message) : message.length;
      const cap = mode === "json" ? this.#ctx.jsonFrameBytes : this.#ctx.maxFrameBytes;
      if (size > cap) return this.close("E_FRAME_TOO_LARGE", `a message of ${size} bytes; at most ${cap}`);
      const dialect = this.#dialect ?? this.#choose(mode);
      if (this.#closed) return;
      if (text !== (dialect.mode === "json"))
        throw new WsFrameError(
          "E_FRAME_KIND",
          text
            ? "this connection speaks msgpack: binary frames only"
            : "this connection speaks JSON: text frames only",
        );
      this.#handle(dialect.decode(message));
    });
  }

  /** Bun's close handler: the peer (or the network) ended it, or our own close() echoing back. */
  onPeerClose(): void {
    if (!this.#closed) this.#finish("peer");
  }

  /** The sweep timer: handshake and idle deadlines. */
  tick(now: number): void {
    if (this.#closed) return;
    const t = this.#guard.timeout(now);
    if (t !== null)
      this.close(
        t,
        t === "E_IDLE_TIMEOUT"
          ? "no message within the idle timeout"
          : "no hello within the handshake timeout",
      );
  }

  /** Close from our side with a coded reason (an error frame first when the peer can still read). */
  close(code: CloseCode, detail: string): void {
    if (this.#closed) return;
    if (code === "E_SLOW_READER") {
      this.#finish(code, detail);
      this.#peer.terminate(); // nothing more gets through its full buffer: no close frame either
      return;
    }
    if (this.#dialect !== null) {
      this.#sendError(code, detail);
      if (this.#closed) return; // that send found a slow reader and cut it off
    }
    this.#finish(code, detail);
    this.#peer.close(WS_CLOSE_CODES[code], code);
  }

  // ---------------------------------------------------------------------------- MinerSink (core)

  work(w: MinerWork): void {
    if (this.#closed) return;
    if (!this.#ready) {
      this.#pendingWork = w;
      this.#pendingPause = null;
      return;
    }
    this.#boundary(() => this.#deliver(w));
  }

  /** No work can be had now: msgpack clients (and JSON ones that sent hello) are told to stop hashing. */
  pause(reason: string): void {
    if (this.#closed) return;
    if (!this.#ready) {
      this.#pendingWork = null; // work of a pool that is gone
      this.#pendingPause = reason;
      return;
    }
    this.#boundary(() => this.#sendIdle(reason));
  }

  result(r: ShareResult): void {
    if (this.#closed) return;
    this.#boundary(() => this.#sendResult(r.token, wireVerdict(r)));
  }

  message(text: string): void {
    if (this.#closed || !this.#extras()) return;
    this.#boundary(() => this.#send(this.#dialect!.message(text)));
  }

  end(e: SessionEnd): void {
    const { code, detail } = sessionEndCode(e);
    this.close(code, detail);
  }

  // ------------------------------------------------------------------------------------- inbound

  #choose(mode: WsMode): WsDialect {
    if (this.#dialect !== null) return this.#dialect;
    if (this.#detectTimer !== null) clearTimeout(this.#detectTimer);
    this.#detectTimer = null;
    const dialect = (this.#dialect = mode === "json" ? JSON_DIALECT : MSGPACK_DIALECT);
    this.#ctx.counters.move("ws-pending", `ws-${mode}`);
    if (mode === "json") this.#startJson();
    return dialect;
  }

  /** Seed miners send nothing before they get work: their session starts with the connection. */
  #startJson(): void {
    if (!this.#open(this.#agent) || !this.#authorize(this.#worker)) return;
    this.#guard.completeHandshake();
    this.#becomeReady();
  }

  #handle(m: Inbound): void {
    const dialect = this.#dialect!;
    switch (m.kind) {
      case "hello":
        if (this.#session === null && !this.#open(m.agent ?? this.#agent)) return;
        if (!this.#authorize(m.worker ?? this.#worker)) return;
        this.#helloSeen = true;
        this.#send(dialect.welcome(this.#session!.id, this.#worker!));
        this.#guard.completeHandshake();
        if (!this.#ready) this.#becomeReady();
        return;
      case "share": {
        if (this.#session === null) return this.#localReject(m.token, "not-subscribed");
        const share =
          typeof m.nonce === "number"
            ? this.#jobs.nonceShare(m.jobId, m.nonce)
            : this.#jobs.tailShare(m.jobId, m.nonce);
        if (share === "no-work") return this.#localReject(m.token, "job-not-found");
        if (share === "nonce-size") return this.#localReject(m.token, "nonce-size");
        return this.#session.submit(share, m.token);
      }
      case "ping":
        return this.#send(dialect.pong(m.seq));
    }
  }

  // ------------------------------------------------------------------------------------ sessions

  /** core.open; false (and closed) when the core has no room. */
  #open(agent: string | null): boolean {
    const transport = this.#dialect?.mode === "json" ? "ws-json" : "ws-msgpack";
    let session: MinerSession;
    try {
      session = this.#ctx.core.open(
        { transport, remote: this.remote, ...(agent === null ? {} : { agent }) },
        this,
      );
    } catch (e) {
      if (isCodedError(e) && (e.code === "E_BRIDGE_FULL" || e.code === "E_BRIDGE_CLOSED")) {
        this.close(e.code === "E_BRIDGE_FULL" ? "E_BRIDGE_FULL" : "E_BRIDGE_CLOSING", e.message);
        return false;
      }
      throw e;
    }
    this.#session = session;
    if (this.#closed) session.close(); // ended while opening
    return !this.#closed;
  }

  #authorize(worker: string | null): boolean {
    const name = worker ?? this.#ctx.defaultWorker;
    const r = this.#session!.authorize(name, "");
    if (!r.ok) {
      this.close("E_UNAUTHORIZED", r.reason);
      return false;
    }
    this.#worker = name;
    return true;
  }

  #becomeReady(): void {
    this.#ready = true;
    const w = this.#pendingWork;
    const pause = this.#pendingPause;
    this.#pendingWork = null;
    this.#pendingPause = null;
    if (w !== null) this.#deliver(w);
    else if (pause !== null) this.#sendIdle(pause);
  }

  // ------------------------------------------------------------------------------------ outbound

  /** JSON clients get welcome/result/message only after a hello: old seed miners never ask. */
  #extras(): boolean {
    return this.#dialect?.mode === "msgpack" || this.#helloSeen;
  }

  #deliver(w: MinerWork): void {
    const jobId = this.#jobs.announce(w); // the pool's id, or its own name after a new lease (work.ts)
    // A new prefix (the pool's extranonce1 changed): msgpack clients hear it first, so they drop
    // the work of the old one; the job after it is clean either way.
    const leased = this.#sentPrefix !== null && !bytesEqual(this.#sentPrefix, w.extranonce1);
    if (leased) {
      const lease = this.#dialect!.lease(w.extranonce1);
      if (lease !== null) this.#send(lease);
    }
    // every miner's first job is clean (verus-stratum.md §3.5), and so is the first of a new lease
    const clean = w.clean || !this.#sentJob || leased;
    this.#sentJob = true;
    this.#sentPrefix = w.extranonce1;
    this.#paused = false;
    this.#send(this.#dialect!.job(jobId === w.jobId ? w : { ...w, jobId }, clean));
  }

  #sendIdle(reason: string): void {
    if (this.#paused || !this.#extras()) return;
    this.#paused = true;
    this.#send(this.#dialect!.idle(reason));
  }

  #localReject(token: ShareToken, reason: FixedRejectReason): void {
    const r = rejectOf(reason);
    this.#sendResult(token, { accepted: false, code: r.code, message: r.message });
  }

  #sendResult(token: unknown, v: WireVerdict): void {
    if (!this.#extras()) return;
    const out = this.#dialect!.result(token, v);
    if (out !== null) this.#send(out);
  }

  #sendError(code: WsErrorCode, message: string, seq: number | null = null): void {
    this.#send(this.#dialect!.error(code, message, seq));
  }

  /** Every byte goes through here: a peer whose buffer passes the cap is cut off, never skipped. */
  #send(data: Outbound): void {
    if (this.#closed) return;
    const status = this.#peer.send(data);
    if (status > 0) return; // all of it reached the kernel: nothing waits in Bun's buffer
    const buffered = this.#peer.bufferedAmount();
    if (status === 0 || buffered > this.#ctx.maxBufferedBytes)
      this.close("E_SLOW_READER", `${buffered} bytes waiting to be read`);
  }

  // ------------------------------------------------------------------------------------- helpers

  /** Runs f; a bad frame is answered, anything else is our bug: logged, and this connection closed. */
  #boundary(f: () => void): void {
    try {
      f();
    } catch (e) {
      if (isWsFrameError(e)) {
        if (this.#closed) return;
        this.#ctx.counters.badFrames++;
        if (e.code === "E_VERSION") return this.close("E_VERSION", e.message);
        this.#sendError(e.code, e.message, e.seq);
        if (this.#guard.badFrame())
          this.close("E_TOO_MANY_BAD_FRAMES", `${this.#guard.badFrames} bad frames`);
        return;
      }
      this.#ctx.log.error(
        `ws ${this.id} internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
      );
      if (!this.#closed) this.close("E_INTERNAL", "internal error");
    }
  }

  #finish(reason: CloseReason, detail = ""): void {
    this.#closed = true;
    if (this.#detectTimer !== null) clearTimeout(this.#detectTimer);
    this.#session?.close();
    this.#ctx.counters.close(reason);
    this.#ctx.counters.move(this.kind, null);
    this.#ctx.log.debug(`ws ${this.id} closed: ${reason}${detail === "" ? "" : ` (${detail})`}`);
    this.#ctx.closed(this);
  }
}
