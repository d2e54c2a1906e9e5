// transport.ts — one pool connection over Bun.connect (TCP or TLS): bytes in, bytes out, one close.
//
// A thin adapter (STYLE.md principle 2). It owns exactly what Bun does not do for us:
// - writes: Bun sockets do not buffer; `write` returns how many bytes the kernel took (possibly
//   fewer, or -1 when closed). The rest waits here, in order, and is flushed on `drain`. The
//   backlog is capped: a pool that stops reading is E_WRITE_OVERFLOW, never unbounded memory.
// - the connect timeout (TCP connect plus TLS handshake), which Bun.connect does not have;
// - TLS: nothing is reported open until the handshake was judged by tls.ts;
// - one coded reason for the end, whatever mix of error/end/close callbacks Bun delivers.
// `onClose` is called exactly once and always from a microtask, so a write that overflows never
// re-enters the caller while it is still inside its own call.

import type { Socket } from "bun";
import { UpstreamError } from "./errors.ts";
import { bunTlsOptions, judgeHandshake, type TlsPolicy } from "./tls.ts";
import type { PoolEndpoint } from "./url.ts";

export interface TransportHandlers {
  /** Connected (and, for TLS, verified): from now on writes go to the pool. */
  onOpen(): void;
  onData(bytes: Uint8Array): void;
  /** Exactly once; nothing is called after it. */
  onClose(reason: UpstreamError): void;
}

export interface TransportOptions {
  endpoint: PoolEndpoint;
  tls: TlsPolicy;
  connectTimeoutMs: number;
  /** Most unsent bytes held before the connection is closed with E_WRITE_OVERFLOW. */
  maxWriteBufferBytes: number;
}

export interface Transport {
  /** Queue text (already a complete line) for the pool; dropped silently once closed. */
  write(text: string): void;
  /** Close now; `onClose(reason)` follows. */
  close(reason: UpstreamError): void;
  /** Bytes accepted by write() that the kernel has not taken yet. */
  readonly bufferedBytes: number;
}

/** The factory PoolClient uses; tests may substitute another. */
export type ConnectFn = (o: TransportOptions, h: TransportHandlers) => Transport;

const encoder = new TextEncoder();

export const connectTransport: ConnectFn = (o, h) => new BunTransport(o, h);

class BunTransport implements Transport {
  readonly #o: TransportOptions;
  readonly #h: TransportHandlers;
  readonly #where: Record<string, unknown>;
  #socket: Socket<undefined> | null = null;
  #open = false;
  #done = false;
  #timer: ReturnType<typeof setTimeout> | null;
  #queue: Uint8Array[] = [];
  #queued = 0;

  constructor(o: TransportOptions, h: TransportHandlers) {
    this.#o = o;
    this.#h = h;
    this.#where = { host: o.endpoint.host, port: o.endpoint.port };
    this.#timer = setTimeout(() => {
      this.#finish(
        new UpstreamError(
          "E_CONNECT_TIMEOUT",
          `no connection to ${o.endpoint.url} within ${o.connectTimeoutMs} ms`,
          this.#where,
        ),
      );
    }, o.connectTimeoutMs);
    Bun.connect<undefined>({
      hostname: o.endpoint.host,
      port: o.endpoint.port,
      ...(o.endpoint.tls ? { tls: bunTlsOptions(o.tls) } : {}),
      socket: {
        open: (s) => {
          this.#socket = s;
          if (this.#done) s.terminate();
          else if (!o.endpoint.tls) this.#opened();
        },
        handshake: (s, success, error) => this.#handshake(s, success, error),
        data: (_s, data) => {
          if (this.#open && !this.#done) this.#guard(() => this.#h.onData(data));
        },
        drain: () => this.#flush(),
        end: () => this.#finish(this.#closedByPool()),
        close: (_s, error) => this.#finish(error ? this.#liveError(error) : this.#closedByPool()),
        error: (_s, error) => this.#finish(this.#liveError(error)),
      },
    }).catch((e: unknown) => this.#finish(connectError(e, this.#o.endpoint)));
  }

  get bufferedBytes(): number {
    return this.#queued;
  }

  write(text: string): void {
    if (this.#done) return;
    const bytes = encoder.encode(text);
    if (bytes.length === 0) return;
    this.#queue.push(bytes);
    this.#queued += bytes.length;
    if (this.#open) this.#flush();
    if (!this.#done && this.#queued > this.#o.maxWriteBufferBytes) {
      this.#finish(
        new UpstreamError(
          "E_WRITE_OVERFLOW",
          `more than ${this.#o.maxWriteBufferBytes} bytes unsent: the pool is not reading`,
          { ...this.#where, limit: this.#o.maxWriteBufferBytes, buffered: this.#queued },
        ),
      );
    }
  }

  close(reason: UpstreamError): void {
    this.#finish(reason);
  }

  #opened(): void {
    if (this.#done) return;
    this.#clearTimer();
    this.#open = true;
    this.#flush();
    this.#guard(() => this.#h.onOpen());
  }

  /**
   * Run a handler. Bun would hand an exception from it to our `error` callback, which would pass
   * a bug off as a network failure; instead the connection closes and the exception is rethrown
   * outside Bun's callback, uncaught (STYLE.md principle 9: programmer errors are never swallowed).
   */
  #guard(f: () => void): void {
    try {
      f();
    } catch (e) {
      this.#finish(
        new UpstreamError("E_CONNECTION_CLOSED", "closed after an internal error", this.#where, { cause: e }),
      );
      queueMicrotask(() => {
        throw e;
      });
    }
  }

  #handshake(s: Socket<undefined>, success: boolean, error: Error | null): void {
    this.#socket = s;
    if (this.#done) return;
    const cert = s.getPeerCertificate() as { raw?: Uint8Array } | null | undefined;
    const verdict = judgeHandshake(
      this.#o.tls,
      {
        success,
        authorized: s.authorized,
        error:
          error === null || error === undefined
            ? null
            : { code: (error as { code?: string }).code, message: error.message },
        leafDer: cert?.raw instanceof Uint8Array && cert.raw.length > 0 ? cert.raw : null,
      },
      this.#where,
    );
    if (verdict === null) this.#opened();
    else this.#finish(verdict);
  }

  #flush(): void {
    const s = this.#socket;
    if (s === null || !this.#open || this.#done) return;
    while (this.#queue.length > 0) {
      const chunk = this.#queue[0]!;
      const n = s.write(chunk);
      if (n < 0) return; // closing: the close callback reports why
      this.#queued -= n;
      if (n < chunk.length) {
        this.#queue[0] = chunk.subarray(n);
        return; // the kernel buffer is full: wait for drain
      }
      this.#queue.shift();
    }
  }

  #finish(reason: UpstreamError): void {
    if (this.#done) return;
    this.#done = true;
    this.#open = false;
    this.#clearTimer();
    this.#queue = [];
    this.#queued = 0;
    const s = this.#socket;
    if (s !== null) s.terminate();
    queueMicrotask(() => this.#h.onClose(reason));
  }

  #clearTimer(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  /** A FIN from the pool: before the TLS handshake completed it is that handshake failing. */
  #closedByPool(): UpstreamError {
    return !this.#open && this.#o.endpoint.tls
      ? new UpstreamError(
          "E_TLS_HANDSHAKE",
          `${this.#o.endpoint.url} closed the connection during the TLS handshake`,
          this.#where,
        )
      : new UpstreamError("E_CONNECTION_CLOSED", "the pool closed the connection", this.#where);
  }

  #liveError(e: Error): UpstreamError {
    if (!this.#open && this.#socket === null) return connectError(e, this.#o.endpoint);
    const code = (e as { code?: string }).code ?? "";
    const detail = { ...this.#where, sysCode: code };
    if (!this.#open && this.#o.endpoint.tls) {
      return new UpstreamError(
        "E_TLS_HANDSHAKE",
        `TLS handshake with ${this.#o.endpoint.url} failed: ${e.message}`,
        detail,
        { cause: e },
      );
    }
    if (code === "ECONNRESET" || code === "EPIPE")
      return new UpstreamError("E_CONNECTION_RESET", "the pool reset the connection", detail, { cause: e });
    return new UpstreamError("E_CONNECTION_CLOSED", `the connection failed: ${e.message}`, detail, {
      cause: e,
    });
  }
}

/** A failed Bun.connect as a coded error: refused, DNS, timeout, or anything else. Exported so
 * that the DNS case can be tested without sending a query off this machine. */
export function connectError(e: unknown, endpoint: PoolEndpoint): UpstreamError {
  const code = (e as { code?: string } | null)?.code ?? "";
  const message = e instanceof Error ? e.message : String(e);
  const detail = { host: endpoint.host, port: endpoint.port, sysCode: code };
  const url = endpoint.url;
  if (code === "ECONNREFUSED") {
    return new UpstreamError("E_CONNECT_REFUSED", `${url} refused the connection`, detail, { cause: e });
  }
  if (/^(ENOTFOUND|EAI_)/.test(code) || /getaddrinfo/.test(message)) {
    return new UpstreamError("E_CONNECT_DNS", `cannot resolve ${endpoint.host}: ${message}`, detail, {
      cause: e,
    });
  }
  if (code === "ETIMEDOUT") {
    return new UpstreamError("E_CONNECT_TIMEOUT", `connecting to ${url} timed out`, detail, { cause: e });
  }
  return new UpstreamError("E_CONNECT_FAILED", `cannot connect to ${url}: ${message}`, detail, { cause: e });
}
