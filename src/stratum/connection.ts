// connection.ts — the socket side of one Stratum connection, for both Stratum servers (the built-in
// pool and the bridge's port for native miners): bytes in → LineDecoder (capped) → the sans-IO
// server session (server-session.ts); lines out through an Outbox (partial writes, drain, a cap).
// No protocol decisions here.
//
// The one try/catch per read (STYLE.md §9): a line or buffer over its cap closes the connection
// (E_FRAME_TOO_LARGE — v-nomp's flood guard for the pool), a bad line counts against the guard's
// limit when there is one, anything else is our bug — reported with its stack, and only this
// connection is closed, so a peer can never crash the process.

import type { CloseCode, CloseReason } from "../protocol/close-codes.ts";
import { isProtocolError, LineDecoder, type LineDecoderOptions } from "../protocol/index.ts";
import type { InboundGuard } from "../net/guard.ts";
import { Outbox } from "../net/outbox.ts";
import {
  StratumServerSession,
  type StratumOut,
  type StratumServerHooks,
  type StratumSessionOptions,
} from "./server-session.ts";

/** What a connection needs from a socket (Bun's Socket fits; tests use fakes). */
export interface PeerSocket {
  /** Bytes the kernel took (possibly fewer than given), or −1 when closed. */
  write(data: Uint8Array): number;
  end(): void;
  terminate(): void;
}

export interface ConnectionOptions extends StratumSessionOptions {
  decoder: LineDecoderOptions;
  maxOutboundBytes: number;
  /** Rate, bad-line and deadline limits (the bridge); null: none (the pool, as v-nomp). */
  guard: InboundGuard | null;
  /** Milliseconds, the guard's clock. */
  now(): number;
}

export interface ConnectionEvents {
  /** Called once, when the connection is over, whichever side ended it. */
  closed(reason: CloseReason, detail: string): void;
  /** A programmer error while handling this peer (the connection is closed after it). */
  internalError(error: unknown): void;
  /** A line that was unusable or over its cap (counters). */
  badLine?(): void;
}

const encoder = new TextEncoder();

export class StratumConnection implements StratumOut {
  readonly remote: string;
  readonly session: StratumServerSession;
  readonly #socket: PeerSocket;
  readonly #decoder: LineDecoder;
  readonly #outbox: Outbox;
  readonly #guard: InboundGuard | null;
  readonly #events: ConnectionEvents;
  readonly #now: () => number;
  #closed = false;
  #closeTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    socket: PeerSocket,
    remote: string,
    hooks: StratumServerHooks,
    options: ConnectionOptions,
    events: ConnectionEvents,
  ) {
    this.#socket = socket;
    this.remote = remote;
    this.#decoder = new LineDecoder(options.decoder);
    this.#outbox = new Outbox(options.maxOutboundBytes);
    this.#guard = options.guard;
    this.#events = events;
    this.#now = options.now;
    this.session = new StratumServerSession(hooks, this, options);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Bytes written by us but not yet taken by the socket. */
  get pendingBytes(): number {
    return this.#outbox.pendingBytes;
  }

  /** A read from the socket. */
  onData(chunk: Uint8Array): void {
    if (this.#closed) return;
    this.run(() => {
      for (const line of this.#decoder.feed(chunk)) {
        if (this.#guard !== null && !this.#guard.message(this.#now()))
          return this.close("E_RATE_LIMITED", "too many lines per second");
        if (this.session.receive(line) === "bad") {
          this.#events.badLine?.();
          if (this.#guard?.badFrame())
            return this.close("E_TOO_MANY_BAD_FRAMES", `${this.#guard.badFrames} bad lines`);
        }
        if (this.#closed) return;
        if (this.session.handshakeDone) this.#guard?.completeHandshake();
      }
    });
  }

  /** The socket can take more bytes. */
  onDrain(): void {
    if (!this.#closed && this.#outbox.flush(this.#socket) === "closed") this.onPeerClosed();
  }

  /** The socket closed (net/listener.ts's name for it). */
  onClosed(): void {
    this.onPeerClosed();
  }

  /** The socket closed (the peer, or the OS). */
  onPeerClosed(): void {
    if (!this.#closed) this.#finish("peer", "connection closed");
  }

  /** The sweep timer: the guard's handshake and idle deadlines. */
  tick(now: number): void {
    if (this.#closed || this.#guard === null) return;
    // A subscribe can be answered later, by work arriving: the handshake may end between lines.
    if (this.session.handshakeDone) this.#guard.completeHandshake();
    const t = this.#guard.timeout(now);
    if (t !== null)
      this.close(
        t,
        t === "E_IDLE_TIMEOUT"
          ? "no line within the idle timeout"
          : "not subscribed and authorized within the handshake timeout",
      );
  }

  /** Write lines (each gets its "\n"), in one write. */
  send(lines: readonly string[]): void {
    if (this.#closed || lines.length === 0) return;
    const r = this.#outbox.send(encoder.encode(lines.join("\n") + "\n"), this.#socket);
    if (r === "overflow")
      this.close("E_SLOW_READER", `more than ${this.#outbox.maxBytes} bytes waiting to be read`);
    else if (r === "closed") this.onPeerClosed();
  }

  /** Close from our side: a slow reader is cut off at once, anyone else gets a FIN. Unsent bytes are dropped. */
  close(code: CloseCode, detail: string): void {
    if (this.#closed) return;
    this.#finish(code, detail);
    // A slow reader cannot take a FIN either; an evicted socket's descriptor is needed at once.
    if (code === "E_SLOW_READER" || code === "E_EVICTED" || code === "E_PROXY_UNTRUSTED")
      this.#socket.terminate();
    else this.#socket.end();
  }

  /** Close after `ms` (a re-leased miner told to reconnect); an earlier close cancels it. */
  closeLater(ms: number, code: CloseCode, detail: string): void {
    if (this.#closed || this.#closeTimer !== null) return;
    this.#closeTimer = setTimeout(() => {
      this.#closeTimer = null;
      this.close(code, detail);
    }, ms);
  }

  /** Runs f inside this connection's error boundary (reads, and the server's calls into the session). */
  run(f: () => void): void {
    try {
      f();
    } catch (e) {
      if (isProtocolError(e) && (e.code === "E_LINE_TOO_LONG" || e.code === "E_BUFFER_OVERFLOW")) {
        this.#events.badLine?.();
        return this.close("E_FRAME_TOO_LARGE", `${e.code}: ${e.message}`);
      }
      this.#events.internalError(e);
      this.close("E_INTERNAL", e instanceof Error ? e.message : String(e));
    }
  }

  #finish(reason: CloseReason, detail: string): void {
    this.#closed = true;
    if (this.#closeTimer !== null) clearTimeout(this.#closeTimer);
    this.#closeTimer = null;
    this.#outbox.clear();
    this.#events.closed(reason, detail);
  }
}
