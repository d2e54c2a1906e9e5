// stratum-connection.ts — the socket side of one Stratum miner: bytes in → LineDecoder (capped at
// bridge.max_line_bytes) → StratumSession; lines out through an Outbox (partial writes, drain, a
// cap). The one try/catch per read (STYLE.md §9): an over-long line closes the connection, a bad
// line counts against BAD_FRAME_LIMIT, anything else is our bug — logged with its stack, and only
// this connection is closed.

import { isProtocolError, LineDecoder } from "../protocol/index.ts";
import type { WsCloseCode } from "../protocol/ws-errors.ts";
import { Outbox } from "../net/outbox.ts";
import type { CloseReason } from "./errors.ts";
import { InboundGuard, type GuardLimits } from "./guard.ts";
import type { DownstreamCounters } from "./metrics.ts";
import { StratumSession, type StratumContext, type StratumOut } from "./stratum-session.ts";

/** What a connection needs from a socket (Bun's Socket fits; tests may use fakes). */
export interface StratumSocket {
  /** Bytes the kernel took (possibly fewer than given), or −1 when closed. */
  write(data: Uint8Array): number;
  end(): void;
  terminate(): void;
}

export interface StratumConnectionContext extends StratumContext {
  counters: DownstreamCounters;
  now(): number;
  limits: GuardLimits;
  maxLineBytes: number;
  maxOutboundBytes: number;
  /** Called once when the connection is over (the server frees its gate slot). */
  closed(c: StratumConnection): void;
}

const encoder = new TextEncoder();

export class StratumConnection {
  readonly id: number;
  readonly remote: string;
  readonly #socket: StratumSocket;
  readonly #ctx: StratumConnectionContext;
  readonly #decoder: LineDecoder;
  readonly #outbox: Outbox;
  readonly #guard: InboundGuard;
  readonly #session: StratumSession;
  #closed = false;

  constructor(socket: StratumSocket, ctx: StratumConnectionContext, id: number, remote: string) {
    this.id = id;
    this.remote = remote;
    this.#socket = socket;
    this.#ctx = ctx;
    // Room for a few pipelined submits (≈ 2.8 KB each) besides one maximal line.
    this.#decoder = new LineDecoder({ maxLineBytes: ctx.maxLineBytes, maxBufferedBytes: 4 * ctx.maxLineBytes });
    this.#outbox = new Outbox(ctx.maxOutboundBytes);
    this.#guard = new InboundGuard(ctx.limits, ctx.now());
    const out: StratumOut = {
      send: (lines) => this.send(lines),
      close: (reason, detail) => this.close(reason, detail),
      run: (f) => this.#boundary(f),
    };
    this.#session = new StratumSession(id, remote, ctx, out);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** A read from the socket. */
  onData(chunk: Uint8Array): void {
    if (this.#closed) return;
    this.#boundary(() => {
      for (const line of this.#decoder.feed(chunk)) {
        if (!this.#guard.message(this.#ctx.now())) return this.close("E_RATE_LIMITED", "too many lines per second");
        if (this.#session.receive(line) === "bad") {
          this.#ctx.counters.badFrames++;
          if (this.#guard.badFrame()) return this.close("E_TOO_MANY_BAD_FRAMES", `${this.#guard.badFrames} bad lines`);
        }
        if (this.#closed) return;
        if (this.#session.handshakeDone) this.#guard.completeHandshake();
      }
    });
  }

  onDrain(): void {
    if (!this.#closed && this.#outbox.flush((d) => this.#socket.write(d)) === "closed") this.onPeerClosed();
  }

  onPeerClosed(): void {
    if (!this.#closed) this.#finish("peer", "");
  }

  tick(now: number): void {
    if (this.#closed) return;
    // A subscribe can be answered later, by work arriving: the handshake may end between lines.
    if (this.#session.handshakeDone) this.#guard.completeHandshake();
    const t = this.#guard.timeout(now);
    if (t !== null) this.close(t, t === "E_IDLE_TIMEOUT" ? "no line within the idle timeout" : "not subscribed and authorized within the handshake timeout");
  }

  /** Write lines (each gets its "\n") in one write. */
  send(lines: readonly string[]): void {
    if (this.#closed || lines.length === 0) return;
    const r = this.#outbox.send(encoder.encode(lines.join("\n") + "\n"), (d) => this.#socket.write(d));
    if (r === "overflow") this.close("E_SLOW_READER", `more than ${this.#outbox.maxBytes} bytes waiting to be read`);
    else if (r === "closed") this.onPeerClosed();
  }

  /** Close from our side: a slow reader is cut off at once, anyone else gets a FIN after what was written. */
  close(reason: WsCloseCode, detail: string): void {
    if (this.#closed) return;
    this.#finish(reason, detail);
    if (reason === "E_SLOW_READER") this.#socket.terminate();
    else this.#socket.end();
  }

  #boundary(f: () => void): void {
    try {
      f();
    } catch (e) {
      if (isProtocolError(e) && (e.code === "E_LINE_TOO_LONG" || e.code === "E_BUFFER_OVERFLOW")) {
        this.#ctx.counters.badFrames++;
        return this.close("E_FRAME_TOO_LARGE", `${e.code}: ${e.message}`);
      }
      this.#ctx.log.error(`stratum ${this.id} internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      this.close("E_INTERNAL", "internal error");
    }
  }

  #finish(reason: CloseReason, detail: string): void {
    this.#closed = true;
    this.#outbox.clear();
    this.#session.closed();
    this.#ctx.counters.close(reason);
    this.#ctx.counters.move("stratum", null);
    this.#ctx.log.debug(`stratum ${this.id} closed: ${reason}${detail === "" ? "" : ` (${detail})`}`);
    this.#ctx.closed(this);
  }
}
