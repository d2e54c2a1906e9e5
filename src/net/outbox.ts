// outbox.ts — bytes waiting to be written to one socket. Bun sockets do not buffer: write()
// returns how many bytes the kernel took, possibly fewer than given (backpressure), and the rest
// is ours to keep and flush on "drain". The queue has a cap (STYLE.md principle 10): a peer that
// stops reading while we keep sending jobs would otherwise grow it forever; past the cap the
// connection is closed instead ("slow-reader").

/** The socket as the outbox needs it (Bun's Socket fits): write() returns the bytes taken, or −1 when closed. */
export interface Writable {
  write(data: Uint8Array): number;
}

export type SendResult = "written" | "queued" | "overflow" | "closed";

export class Outbox {
  readonly maxBytes: number;
  /** Allocated when something must wait (most connections never queue). */
  #chunks: Uint8Array[] | null = null;
  #bytes = 0;

  constructor(maxBytes: number) {
    if (!Number.isInteger(maxBytes) || maxBytes < 1)
      throw new RangeError("maxBytes must be a positive integer");
    this.maxBytes = maxBytes;
  }

  /** Bytes queued, not yet taken by the socket. */
  get pendingBytes(): number {
    return this.#bytes;
  }

  /**
   * Write `data` behind anything already queued. "overflow": the queue would pass its cap (nothing
   * was queued; the caller closes the connection).
   */
  send(data: Uint8Array, socket: Writable): SendResult {
    let rest = data;
    if (this.#bytes === 0) {
      const n = socket.write(rest);
      if (n < 0) return "closed";
      if (n >= rest.length) return "written";
      rest = rest.subarray(n);
    }
    if (this.#bytes + rest.length > this.maxBytes) return "overflow";
    (this.#chunks ??= []).push(rest);
    this.#bytes += rest.length;
    return "queued";
  }

  /** On drain: write queued bytes until the socket pushes back again. */
  flush(socket: Writable): "flushed" | "pending" | "closed" {
    const chunks = this.#chunks;
    while (chunks !== null && chunks.length > 0) {
      const chunk = chunks[0]!;
      const n = socket.write(chunk);
      if (n < 0) {
        this.clear();
        return "closed";
      }
      this.#bytes -= Math.min(n, chunk.length);
      if (n < chunk.length) {
        chunks[0] = chunk.subarray(n);
        return "pending";
      }
      chunks.shift();
    }
    return "flushed";
  }

  clear(): void {
    this.#chunks = null;
    this.#bytes = 0;
  }
}
