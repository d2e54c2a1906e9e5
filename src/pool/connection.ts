// connection.ts — the transport adapter for one miner socket: bytes in → framing → the session →
// lines out, with v-nomp's defences (verus-stratum.md §1, §7) and the one try/catch per inbound
// chunk that turns failures into a close (STYLE.md principle 9). No protocol decisions here.
//
// - Flood guard (on by default): more than `floodGuardBytes` held at once, the complete lines of
//   the same read included, closes the socket — as v-nomp's `dataBuffer.length > 10240` check,
//   which runs before the lines are split off; that is why 4 pipelined ≈ 2.8 KB submits kill a
//   connection. Off, the framing still has caps (the LineDecoder defaults).
// - A line that is not JSON-RPC closes the socket (v-nomp: "malformed message" → destroy).
// - Replies and jobs are written through an Outbox (partial writes, drain, a cap).
// - Any other exception is our bug: reported with its stack, and only this connection is closed,
//   so a peer can never crash the process.

import { LineDecoder, isProtocolError, type LineDecoderOptions } from "../protocol/index.ts";
import type { CloseReason } from "./errors.ts";
import { Outbox, type WriteFn } from "../net/outbox.ts";
import type { Session } from "./session.ts";

/** What a connection needs from a socket (Bun's Socket fits; tests use fakes). */
export interface PeerSocket {
  write(data: Uint8Array): number;
  end(): void;
  terminate(): void;
}

export interface ConnectionOptions {
  /** v-nomp's 10 240; null turns the guard off (the framing keeps its own caps). */
  floodGuardBytes: number | null;
  maxOutboundBytes: number;
}

export interface ConnectionHooks {
  /** Called once, when the connection is closed by either side. */
  closed(c: Connection, reason: CloseReason, detail: string): void;
  /** A programmer error while handling this peer's input (the connection is closed after). */
  internalError(c: Connection, error: unknown): void;
}

const encoder = new TextEncoder();

export function decoderOptions(floodGuardBytes: number | null): LineDecoderOptions {
  // The decoder needs room for one maximal line plus "\r\n" inside its buffer cap, so a lone
  // partial line is cut 2 bytes earlier than at v-nomp; real lines are under 3 KB either way.
  return floodGuardBytes === null ? {} : { maxLineBytes: floodGuardBytes - 2, maxBufferedBytes: floodGuardBytes };
}

export class Connection {
  readonly session: Session;
  readonly remote: string;
  readonly #socket: PeerSocket;
  readonly #decoder: LineDecoder;
  readonly #outbox: Outbox;
  readonly #hooks: ConnectionHooks;
  readonly #write: WriteFn;
  #closed = false;

  constructor(socket: PeerSocket, remote: string, session: Session, options: ConnectionOptions, hooks: ConnectionHooks) {
    this.#socket = socket;
    this.remote = remote;
    this.session = session;
    this.#decoder = new LineDecoder(decoderOptions(options.floodGuardBytes));
    this.#outbox = new Outbox(options.maxOutboundBytes);
    this.#hooks = hooks;
    this.#write = (data) => socket.write(data);
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
    try {
      for (const line of this.#decoder.feed(chunk)) {
        this.send(this.session.receive(line));
        if (this.#closed) return;
      }
    } catch (e) {
      if (isProtocolError(e)) {
        const flood = e.code === "E_BUFFER_OVERFLOW" || e.code === "E_LINE_TOO_LONG";
        this.close(flood ? "flood" : "malformed", `${e.code}: ${e.message}`);
      } else {
        this.#hooks.internalError(this, e);
        this.close("internal", e instanceof Error ? e.message : String(e));
      }
    }
  }

  /** The socket can take more bytes. */
  onDrain(): void {
    if (!this.#closed && this.#outbox.flush(this.#write) === "closed") this.onPeerClosed();
  }

  /** The socket closed (the peer, or the OS). */
  onPeerClosed(): void {
    this.#finish("peer", "connection closed");
  }

  /** Write lines (each gets its "\n"), in one write. */
  send(lines: readonly string[]): void {
    if (this.#closed || lines.length === 0) return;
    const bytes = encoder.encode(lines.join("\n") + "\n");
    const r = this.#outbox.send(bytes, this.#write);
    if (r === "overflow") this.close("slow-reader", `more than ${this.#outbox.maxBytes} bytes waiting to be read`);
    else if (r === "closed") this.onPeerClosed();
  }

  /** Close from our side: a slow reader is cut off at once, anyone else gets a FIN. Unsent bytes are dropped. */
  close(reason: CloseReason, detail: string): void {
    if (this.#closed) return;
    this.#finish(reason, detail);
    if (reason === "slow-reader") this.#socket.terminate();
    else this.#socket.end();
  }

  #finish(reason: CloseReason, detail: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#outbox.clear();
    this.#hooks.closed(this, reason, detail);
  }
}
