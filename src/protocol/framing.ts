// framing.ts — newline framing for Stratum over TCP: bytes (or strings) in, complete lines out.
//
// A pure state machine (no socket, no timer): the transport feeds whatever each read returned,
// split anywhere (even inside a UTF-8 sequence), and iterates the complete lines. "\r\n" and "\n"
// both end a line; blank lines are skipped (node-stratum-pool ignores them too).
//
// Caps (STYLE.md principle 10): a line longer than `maxLineBytes` is E_LINE_TOO_LONG as soon as it
// is known to be too long, without waiting for its "\n" — v-nomp's flood guard does the same at
// 10 240 bytes; real lines are ≈ 2.8 KB (a v7 submit) and ≈ 0.6 KB (a v7 notify). More than
// `maxBufferedBytes` held at once is E_BUFFER_OVERFLOW: with `bufferCap: "read"` (the default,
// v-nomp's flood guard) a read's complete lines count too, so 4 pipelined submits in one read
// overflow 10 KiB; with `bufferCap: "partial"` only what stays held between reads counts (unread
// lines and the partial last line), so a read of many complete valid lines is fine — each line is
// still capped, and a read's size is the transport's. Either error is sticky: the connection is
// beyond repair, and every later feed throws it again. Nothing is ever truncated silently.

import { ProtocolError } from "./errors.ts";

export interface LineDecoderOptions {
  /** Longest accepted line in bytes, excluding "\r\n". Default 16 KiB. */
  maxLineBytes?: number;
  /** Most bytes held between feeds (unread lines plus one partial line). Default 1 MiB. */
  maxBufferedBytes?: number;
  /**
   * What maxBufferedBytes counts: "read" (default) what was held plus the whole new read, complete
   * lines included (v-nomp's flood guard); "partial" only what was held before the read (unread
   * lines and a partial line), so one read may hold any number of complete lines.
   */
  bufferCap?: "read" | "partial";
}

export const DEFAULT_MAX_LINE_BYTES = 16 * 1024;
export const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024;

const LF = 0x0a;
const CR = 0x0d;
const utf8 = new TextDecoder("utf-8"); // invalid sequences become U+FFFD, as Node's toString() does
const utf8Encoder = new TextEncoder();

export class LineDecoder {
  readonly maxLineBytes: number;
  readonly maxBufferedBytes: number;
  readonly bufferCap: "read" | "partial";
  #buf = new Uint8Array(4096);
  #start = 0; // first unread byte
  #end = 0; // one past the last buffered byte
  #scanned = 0; // bytes from #start known to hold no "\n"
  #failure: ProtocolError | null = null;

  constructor(options: LineDecoderOptions = {}) {
    this.maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    this.bufferCap = options.bufferCap ?? "read";
    if (!Number.isInteger(this.maxLineBytes) || this.maxLineBytes < 1)
      throw new RangeError("maxLineBytes must be a positive integer");
    if (!Number.isInteger(this.maxBufferedBytes) || this.maxBufferedBytes < this.maxLineBytes + 2) {
      throw new RangeError("maxBufferedBytes must be at least maxLineBytes + 2");
    }
  }

  /** Bytes held (unread lines and the partial last line). */
  get bufferedBytes(): number {
    return this.#end - this.#start;
  }

  /** The sticky error, if the stream already failed. */
  get failure(): ProtocolError | null {
    return this.#failure;
  }

  /**
   * Buffer `chunk` (now) and iterate the complete lines (lazily). Lines not consumed stay buffered
   * for the next feed. Throws E_BUFFER_OVERFLOW here, or E_LINE_TOO_LONG from the iteration, after
   * the lines before the offending one were yielded.
   */
  feed(chunk: Uint8Array | string): IterableIterator<string> {
    if (this.#failure) throw this.#failure;
    const bytes = typeof chunk === "string" ? utf8Encoder.encode(chunk) : chunk;
    const counted = this.bufferedBytes + (this.bufferCap === "read" ? bytes.length : 0);
    if (counted > this.maxBufferedBytes) {
      throw this.#fail(
        new ProtocolError("E_BUFFER_OVERFLOW", `more than ${this.maxBufferedBytes} bytes buffered`, {
          limit: this.maxBufferedBytes,
          buffered: counted,
        }),
      );
    }
    this.#append(bytes);
    return this.#lines();
  }

  /** Drop everything buffered and any failure (e.g. when a transport reuses the decoder on reconnect). */
  reset(): void {
    this.#start = this.#end = this.#scanned = 0;
    this.#failure = null;
  }

  *#lines(): IterableIterator<string> {
    for (;;) {
      if (this.#failure) throw this.#failure;
      const line = this.#next();
      if (line === null) return;
      if (line.trim() !== "") yield line;
    }
  }

  /** The next complete line, or null when none is buffered. State is updated before returning. */
  #next(): string | null {
    const from = this.#start + this.#scanned;
    const nl = this.#buf.subarray(0, this.#end).indexOf(LF, from);
    if (nl < 0) {
      const held = (this.#scanned = this.#end - this.#start);
      // One byte over may still be the "\r" of a "\r\n" whose "\n" has not arrived.
      const over =
        held > this.maxLineBytes + 1 || (held === this.maxLineBytes + 1 && this.#buf[this.#end - 1] !== CR);
      if (over) throw this.#tooLong(held);
      return null;
    }
    let stop = nl;
    if (stop > this.#start && this.#buf[stop - 1] === CR) stop--;
    const length = stop - this.#start;
    if (length > this.maxLineBytes) throw this.#tooLong(length);
    const line = utf8.decode(this.#buf.subarray(this.#start, stop));
    this.#start = nl + 1;
    this.#scanned = 0;
    if (this.#start === this.#end) this.#start = this.#end = 0;
    return line;
  }

  #append(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    const held = this.#end - this.#start;
    if (this.#end + bytes.length > this.#buf.length) {
      if (held + bytes.length <= this.#buf.length && this.#start > 0) {
        this.#buf.copyWithin(0, this.#start, this.#end);
      } else {
        let size = this.#buf.length;
        while (size < held + bytes.length) size *= 2;
        const next = new Uint8Array(size);
        next.set(this.#buf.subarray(this.#start, this.#end));
        this.#buf = next;
      }
      this.#start = 0;
      this.#end = held;
    }
    this.#buf.set(bytes, this.#end);
    this.#end += bytes.length;
  }

  #tooLong(length: number): ProtocolError {
    return this.#fail(
      new ProtocolError("E_LINE_TOO_LONG", `line longer than ${this.maxLineBytes} bytes`, {
        limit: this.maxLineBytes,
        length,
      }),
    );
  }

  #fail(e: ProtocolError): ProtocolError {
    this.#failure = e;
    return e;
  }
}

/** A line ready to write: the canonical JSON text plus "\n". */
export function toLine(text: string): string {
  return text + "\n";
}
