// session.ts — the page's connection to the bridge: one WebSocket speaking the msgpack protocol
// of docs/protocol.md §3 (codec: src/protocol/ws-msgpack.ts), hello → welcome → jobs, shares with
// their results, a ping every 30 s, and reconnects with exponential backoff and jitter while the
// user has mining switched on. It reports what happens through events; it never mines.
// The bridge may say, between jobs, that the session's prefix changed (`lease`: work of the old
// prefix is worthless) or that no work can be had now (`idle`: stop hashing until the next job).

import {
  decodeServerFrame,
  encodeClientFrame,
  MSGPACK_SUBPROTOCOL,
  type MsgpackJob,
  type WireVerdict,
} from "../src/protocol/ws-msgpack.ts";

/** "idle": connected, but the bridge has no work for now (its pool is gone): nothing to hash. */
export type SessionState = "stopped" | "connecting" | "connected" | "waiting" | "idle";

export interface SessionEvents {
  state(state: SessionState, detail: string): void;
  welcome(session: number, worker: string): void;
  job(job: MsgpackJob): void;
  /** The session's prefix changed: drop the work of the old one (its clean job follows). */
  lease(prefix: Uint8Array): void;
  /** No work for now: stop hashing; the next job() resumes. */
  idle(reason: string): void;
  result(verdict: WireVerdict): void;
  /** A pool message or an error frame from the bridge, for the user. */
  message(text: string): void;
}

const AGENT = "vbridge-web/1";
/** The bridge closes a silent client after bridge.idle_timeout (300 s by default). */
const PING_MS = 30_000;
const BACKOFF_FIRST_MS = 1_000;
const BACKOFF_MAX_MS = 60_000;
/** Results still owed after Stop are awaited this long before the socket closes. */
const DRAIN_MS = 3_000;

export class BridgeSession {
  readonly #url: string;
  readonly #events: SessionEvents;
  #worker = "";
  #ws: WebSocket | null = null;
  #wanted = false;
  #attempt = 0;
  #retry: ReturnType<typeof setTimeout> | null = null;
  #ping: ReturnType<typeof setInterval> | null = null;
  #drain: ReturnType<typeof setTimeout> | null = null;
  #seq = 0;
  /** Shares sent and not yet answered, by sequence number. */
  readonly #pending = new Set<number>();
  #idle = false;

  constructor(url: string, events: SessionEvents) {
    this.#url = url;
    this.#events = events;
  }

  get pendingShares(): number {
    return this.#pending.size;
  }

  /** Connects (and keeps reconnecting) as `worker`. */
  start(worker: string): void {
    this.#worker = worker;
    this.#wanted = true;
    this.#attempt = 0;
    if (this.#drain !== null) clearTimeout(this.#drain); // still open from a Stop: keep it
    this.#drain = null;
    if (this.#ws === null && this.#retry === null) this.#connect();
  }

  /** No more reconnects; the socket closes once the pending results are in (or after 3 s). */
  stop(): void {
    this.#wanted = false;
    this.#clearRetry();
    const ws = this.#ws;
    if (ws === null) {
      this.#events.state("stopped", "");
      return;
    }
    if (this.#pending.size === 0 || ws.readyState !== WebSocket.OPEN) ws.close(1000, "stopped");
    else this.#drain = setTimeout(() => ws.close(1000, "stopped"), DRAIN_MS);
  }

  /** Sends a share; false if there is no open session to send it on. */
  sendShare(jobId: string, nonce: Uint8Array): boolean {
    const ws = this.#ws;
    if (ws === null || ws.readyState !== WebSocket.OPEN) return false;
    this.#seq = (this.#seq + 1) >>> 0;
    this.#pending.add(this.#seq);
    ws.send(encodeClientFrame({ type: "share", seq: this.#seq, jobId, nonce }));
    return true;
  }

  #connect(): void {
    this.#retry = null;
    this.#events.state("connecting", this.#url);
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.#url, MSGPACK_SUBPROTOCOL);
    } catch (e) {
      this.#scheduleRetry(e instanceof Error ? e.message : String(e));
      return;
    }
    this.#ws = ws;
    ws.binaryType = "arraybuffer";
    ws.onopen = () => {
      ws.send(encodeClientFrame({ type: "hello", worker: this.#worker, agent: AGENT }));
      this.#ping = setInterval(() => ws.send(encodeClientFrame({ type: "ping", seq: null })), PING_MS);
    };
    ws.onmessage = (e) => {
      if (typeof e.data === "string") return; // never sent on a msgpack session
      this.#onFrame(new Uint8Array(e.data as ArrayBuffer));
    };
    ws.onclose = (e) => {
      if (this.#ping !== null) clearInterval(this.#ping);
      this.#ping = null;
      this.#ws = null;
      this.#pending.clear();
      const why = e.reason !== "" ? e.reason : `closed (${e.code})`;
      if (this.#wanted) this.#scheduleRetry(why);
      else this.#events.state("stopped", "");
    };
  }

  #onFrame(bytes: Uint8Array): void {
    let f;
    try {
      f = decodeServerFrame(bytes);
    } catch (e) {
      this.#events.message(`unreadable frame from the bridge: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    switch (f.type) {
      case "welcome":
        this.#idle = false;
        this.#attempt = 0; // a session that got this far resets the backoff
        this.#events.state("connected", this.#url);
        this.#events.welcome(f.session, f.worker);
        break;
      case "job":
        if (this.#idle) this.#events.state("connected", this.#url);
        this.#idle = false;
        this.#events.job(f);
        break;
      case "lease":
        this.#events.lease(f.prefix);
        break;
      case "idle":
        this.#idle = true;
        this.#events.state("idle", f.reason);
        this.#events.idle(f.reason);
        break;
      case "result":
        this.#pending.delete(f.seq);
        this.#events.result(f.verdict);
        if (!this.#wanted && this.#pending.size === 0) this.#ws?.close(1000, "stopped");
        break;
      case "error":
        if (f.seq !== null) this.#pending.delete(f.seq);
        this.#events.message(`bridge: ${f.code} ${f.message}`);
        break;
      case "message":
        this.#events.message(`pool: ${f.text}`);
        break;
      case "pong":
        break;
    }
  }

  #scheduleRetry(why: string): void {
    if (!this.#wanted) return;
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.#attempt);
    const delay = Math.round(base * (0.8 + 0.4 * Math.random())); // jitter: miners of one bridge spread out
    this.#attempt++;
    this.#events.state("waiting", `${why}; reconnecting in ${Math.ceil(delay / 1000)} s`);
    this.#retry = setTimeout(() => this.#connect(), delay);
  }

  #clearRetry(): void {
    if (this.#retry !== null) clearTimeout(this.#retry);
    this.#retry = null;
  }
}
