// websocket.ts — the server side of RFC 6455 framing, sans-IO: the opening handshake's key check and
// Sec-WebSocket-Accept, a reader that turns a client's byte stream into messages and control frames,
// and the encoders for what a server sends. It exists because Bun.serve has no accept hook (issue 11):
// the HTTP port runs on Bun.listen, and this is the WebSocket half of it. No socket, no timer.
//
// The reader is on every browser miner's share path, so it copies each payload once: a frame that
// sits whole in one chunk is copied out of it and unmasked in the copy, which the sink then owns
// (or which is decoded, for text); only a frame split across chunks is held, in a buffer that grows
// with what arrived (a declared length costs nothing until its bytes come) and is unmasked in
// place. The caller's chunk is never kept past push(), nor written to.
//
// No extension is ever negotiated (no permessage-deflate), so RSV bits are a protocol error.

import { createHash } from "node:crypto";
import { CodedError } from "../util/errors.ts";

/** RFC 6455 §1.3: appended to the client's key before hashing. */
export const WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/** RFC 6455 §5.5: the payload of a control frame. */
export const CONTROL_PAYLOAD_MAX = 125;

/** Sec-WebSocket-Accept for a client's Sec-WebSocket-Key (base64(SHA-1(key + GUID))). */
export function acceptKey(key: string): string {
  return createHash("sha1")
    .update(key + WS_GUID)
    .digest("base64");
}

// 16 bytes are 22 base64 digits and "==". Liberal in: the 4 padding bits of the last digit are not
// required to be zero (RFC 4648 §3.5 lets a decoder accept them; ws and browsers' servers do).
const CLIENT_KEY = /^[A-Za-z0-9+/]{22}==$/;

/** True when the key is base64 of exactly 16 bytes (RFC 6455 §4.2.1 item 5). */
export function validClientKey(key: string | null | undefined): boolean {
  return typeof key === "string" && CLIENT_KEY.test(key);
}

/** Close codes a peer may put on the wire (RFC 6455 §7.4, IANA registry; 3000–4999 are registrable/private). */
export function validCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

export type WsErrorCode = "E_WS_PROTOCOL" | "E_WS_TOO_LARGE" | "E_WS_UTF8";

/** RFC 6455 §7.4.1: protocol error, message too big, invalid payload data. */
const CLOSE_CODE_OF: Readonly<Record<WsErrorCode, number>> = {
  E_WS_PROTOCOL: 1002,
  E_WS_TOO_LARGE: 1009,
  E_WS_UTF8: 1007,
};

/** A peer broke the framing: closeCode is what to send back (1002, 1009, 1007). */
export class WsProtocolError extends CodedError<WsErrorCode> {
  readonly closeCode: number;
  constructor(code: WsErrorCode, message: string) {
    super(code, message);
    this.closeCode = CLOSE_CODE_OF[code];
  }
}

export function isWsProtocolError(e: unknown): e is WsProtocolError {
  return e instanceof WsProtocolError;
}

export interface WsFrameSink {
  /** A whole message (fragments joined): text as string (valid UTF-8 checked), binary as Uint8Array. */
  frameMessage(data: string | Uint8Array): void;
  framePing(payload: Uint8Array): void;
  framePong(payload: Uint8Array): void;
  /** The peer's close frame: code null when it sent none; reason decoded UTF-8. */
  frameClose(code: number | null, reason: string): void;
}

export interface WsReaderOptions {
  /** Largest message (after joining fragments) accepted; larger → E_WS_TOO_LARGE (1009) as soon as the header says so, before buffering it. */
  maxMessageBytes: number;
}

const OP_CONTINUATION = 0;
const OP_TEXT = 1;
const OP_BINARY = 2;
const OP_CLOSE = 8;
const OP_PING = 9;
const OP_PONG = 10;

// ignoreBOM: a text message is the characters sent; a leading U+FEFF is one of them.
const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

// Below this many bytes the mask is applied a byte at a time: viewing a small typed array as 32-bit
// words makes JavaScriptCore move it out of its fast storage, which costs more than the XORs it
// saves (measured in Bun 1.4.5: 180 bytes 0.25 µs by bytes, 1.2 µs by words; 64 KiB 56 µs vs 19 µs).
const WORD_UNMASK_MIN = 1024;
const maskBytes = new Uint8Array(4);
const maskWord = new Uint32Array(maskBytes.buffer); // the 4 mask bytes in this machine's byte order

/** XORs the mask over buf in place (RFC 6455 §5.3); buf starts at a mask boundary. */
function unmask(buf: Uint8Array, m0: number, m1: number, m2: number, m3: number): void {
  const n = buf.length;
  let i = 0;
  if (n >= WORD_UNMASK_MIN && (buf.byteOffset & 3) === 0) {
    maskBytes[0] = m0;
    maskBytes[1] = m1;
    maskBytes[2] = m2;
    maskBytes[3] = m3;
    const words = new Uint32Array(buf.buffer, buf.byteOffset, n >>> 2);
    const m = maskWord[0]!;
    for (let w = 0; w < words.length; w++) words[w]! ^= m;
    i = words.length << 2;
  } else {
    for (const last = n - 3; i < last; i += 4) {
      buf[i]! ^= m0;
      buf[i + 1]! ^= m1;
      buf[i + 2]! ^= m2;
      buf[i + 3]! ^= m3;
    }
  }
  if (i < n) buf[i++]! ^= m0;
  if (i < n) buf[i++]! ^= m1;
  if (i < n) buf[i]! ^= m2;
}

function protocolError(message: string): WsProtocolError {
  return new WsProtocolError("E_WS_PROTOCOL", message);
}

function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    throw new WsProtocolError("E_WS_UTF8", `${what} is not valid UTF-8`);
  }
}

/** Decodes a client's byte stream into frames (client frames MUST be masked; unmasked → E_WS_PROTOCOL). Bytes may arrive split anywhere, several frames per chunk. */
export class WsFrameReader {
  readonly maxMessageBytes: number;
  // The frame being read, from its header.
  #fin = false;
  #opcode = 0;
  #len = 0;
  #m0 = 0;
  #m1 = 0;
  #m2 = 0;
  #m3 = 0;
  // A header split across chunks (at most 14 bytes), or a payload split across chunks.
  #head: Uint8Array | null = null;
  #headLen = 0;
  #payload: Uint8Array | null = null; // never larger than #len
  #payloadLen = 0;
  // An unfinished fragmented message: its opcode (0: none) and its unmasked fragments.
  #msgOpcode = 0;
  #fragments: Uint8Array[] | null = null;
  #fragmentBytes = 0;
  #stopped = false;

  constructor(options: WsReaderOptions) {
    const max = options.maxMessageBytes;
    if (!Number.isSafeInteger(max) || max < 0)
      throw new RangeError("maxMessageBytes must be a non-negative integer");
    this.maxMessageBytes = max;
  }

  /** Bytes held for an incomplete frame (for tests/caps). */
  get bufferedBytes(): number {
    return this.#headLen + this.#payloadLen;
  }

  /** Bytes of the fragments of an unfinished message (each within maxMessageBytes in total). */
  get pendingMessageBytes(): number {
    return this.#fragmentBytes;
  }

  /** True once a close frame was delivered or push() threw: later bytes are ignored. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /**
   * Feeds bytes; calls sink for each complete message/control frame, in order; throws WsProtocolError.
   * After frameClose() was delivered, further bytes are ignored. Whatever push() throws (a
   * WsProtocolError, or the sink's own error) stops the reader too: the rest of that chunk is
   * unread and the stream cannot be resynchronised, so the caller closes the connection.
   */
  push(chunk: Uint8Array, sink: WsFrameSink): void {
    if (this.#stopped) return;
    try {
      this.#read(chunk, sink);
    } catch (e) {
      this.#stop();
      throw e;
    }
  }

  /** Nothing more is read: what was held is let go. */
  #stop(): void {
    this.#stopped = true;
    this.#head = this.#payload = this.#fragments = null;
    this.#headLen = this.#payloadLen = this.#fragmentBytes = 0;
  }

  #read(chunk: Uint8Array, sink: WsFrameSink): void {
    const end = chunk.length;
    let pos = 0;
    if (this.#headLen > 0) {
      const head = this.#head!;
      const held = this.#headLen;
      const take = Math.min(head.length - held, end);
      head.set(chunk.subarray(0, take), held);
      const size = this.#header(head, 0, held + take);
      if (size < 0) {
        this.#headLen = held + take; // take was all of chunk: a header is at most 14 bytes
        return;
      }
      this.#headLen = 0;
      pos = this.#payloadFrom(chunk, size - held, sink);
    } else if (this.#payload !== null) {
      pos = this.#morePayload(chunk, sink);
    }
    while (pos < end && !this.#stopped) {
      const size = this.#header(chunk, pos, end - pos);
      if (size < 0) {
        this.#head ??= new Uint8Array(14);
        this.#head.set(chunk.subarray(pos, end));
        this.#headLen = end - pos;
        return;
      }
      pos = this.#payloadFrom(chunk, pos + size, sink);
    }
  }

  /** Checks and records a frame header at buf[off..]; its size, or -1 when more bytes are needed. */
  #header(buf: Uint8Array, off: number, avail: number): number {
    if (avail < 2) return -1;
    const b0 = buf[off]!;
    const b1 = buf[off + 1]!;
    const fin = (b0 & 0x80) !== 0;
    const op = b0 & 0x0f;
    const len7 = b1 & 0x7f;
    if ((b0 & 0x70) !== 0) throw protocolError("RSV bits set, but no extension was negotiated");
    if (op >= OP_CLOSE) {
      if (op > OP_PONG) throw protocolError(`unknown opcode ${op}`);
      if (!fin) throw protocolError("fragmented control frame");
      if (len7 > CONTROL_PAYLOAD_MAX) throw protocolError("control frame payload over 125 bytes");
    } else if (op > OP_BINARY) {
      throw protocolError(`unknown opcode ${op}`);
    } else if (op === OP_CONTINUATION) {
      if (this.#msgOpcode === 0) throw protocolError("continuation frame without a message");
    } else if (this.#msgOpcode !== 0) {
      throw protocolError("new message inside a fragmented one");
    }
    if ((b1 & 0x80) === 0) throw protocolError("unmasked client frame");
    const size = len7 < 126 ? 6 : len7 === 126 ? 8 : 14;
    if (avail < size) return -1;
    let p = off + 2;
    let len = len7;
    if (len7 === 126) {
      len = (buf[p]! << 8) | buf[p + 1]!;
      p += 2;
    } else if (len7 === 127) {
      const hi = ((buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!) >>> 0;
      if (hi >= 0x80000000) throw protocolError("64-bit payload length with the top bit set");
      const lo = ((buf[p + 4]! << 24) | (buf[p + 5]! << 16) | (buf[p + 6]! << 8) | buf[p + 7]!) >>> 0;
      len = hi * 0x100000000 + lo; // exact below 2^53, and anything above is far over any cap
      p += 8;
    }
    // Non-minimal length encodings (126 for a 5-byte payload) are accepted: liberal in.
    if (op < OP_CLOSE && this.#fragmentBytes + len > this.maxMessageBytes)
      throw new WsProtocolError(
        "E_WS_TOO_LARGE",
        `message of ${this.#fragmentBytes + len} bytes over the ${this.maxMessageBytes}-byte cap`,
      );
    this.#fin = fin;
    this.#opcode = op;
    this.#len = len;
    this.#m0 = buf[p]!;
    this.#m1 = buf[p + 1]!;
    this.#m2 = buf[p + 2]!;
    this.#m3 = buf[p + 3]!;
    return size;
  }

  /** The payload of the frame just parsed starts at chunk[pos]: deliver it whole, or start holding it. */
  #payloadFrom(chunk: Uint8Array, pos: number, sink: WsFrameSink): number {
    const len = this.#len;
    const avail = chunk.length - pos;
    if (avail >= len) {
      this.#deliver(chunk.slice(pos, pos + len), sink);
      return pos + len;
    }
    const payload = new Uint8Array(Math.min(len, Math.max(4096, 2 * avail)));
    payload.set(chunk.subarray(pos));
    this.#payload = payload;
    this.#payloadLen = avail;
    return chunk.length;
  }

  /** More of a held payload; returns where the next frame starts in chunk. */
  #morePayload(chunk: Uint8Array, sink: WsFrameSink): number {
    const take = Math.min(this.#len - this.#payloadLen, chunk.length);
    const need = this.#payloadLen + take;
    let payload = this.#payload!;
    if (need > payload.length) {
      const bigger = new Uint8Array(Math.min(this.#len, Math.max(need, 2 * payload.length)));
      bigger.set(payload.subarray(0, this.#payloadLen));
      payload = this.#payload = bigger;
    }
    payload.set(chunk.subarray(0, take), this.#payloadLen);
    this.#payloadLen = need;
    if (need === this.#len) {
      this.#payload = null;
      this.#payloadLen = 0;
      this.#deliver(payload, sink); // its length is exactly #len by construction
    }
    return take;
  }

  /** A frame's whole payload, still masked, in a buffer of its own (unmasked in place). */
  #deliver(payload: Uint8Array, sink: WsFrameSink): void {
    const op = this.#opcode;
    unmask(payload, this.#m0, this.#m1, this.#m2, this.#m3);
    if (op === OP_PING || op === OP_PONG) {
      if (op === OP_PING) sink.framePing(payload);
      else sink.framePong(payload);
    } else if (op === OP_CLOSE) {
      if (payload.length === 1) throw protocolError("close frame with a 1-byte payload");
      let code: number | null = null;
      let reason = "";
      if (payload.length >= 2) {
        code = (payload[0]! << 8) | payload[1]!;
        if (!validCloseCode(code)) throw protocolError(`close code ${code} is not valid on the wire`);
        reason = decodeUtf8(payload.subarray(2), "close reason");
      }
      this.#stop();
      sink.frameClose(code, reason);
    } else if (this.#fin && op !== OP_CONTINUATION) {
      sink.frameMessage(op === OP_TEXT ? decodeUtf8(payload, "text message") : payload);
    } else {
      if (op !== OP_CONTINUATION) this.#msgOpcode = op;
      if (payload.length > 0) {
        (this.#fragments ??= []).push(payload);
        this.#fragmentBytes += payload.length;
      }
      if (this.#fin) this.#finishMessage(sink);
    }
  }

  #finishMessage(sink: WsFrameSink): void {
    const parts = this.#fragments ?? [];
    const text = this.#msgOpcode === OP_TEXT;
    let whole: Uint8Array;
    if (parts.length === 1) whole = parts[0]!;
    else {
      whole = new Uint8Array(this.#fragmentBytes);
      let at = 0;
      for (const part of parts) {
        whole.set(part, at);
        at += part.length;
      }
    }
    this.#msgOpcode = 0;
    this.#fragments = null;
    this.#fragmentBytes = 0;
    sink.frameMessage(text ? decodeUtf8(whole, "text message") : whole);
  }
}

function payloadBytes(payload: Uint8Array | string): Uint8Array {
  return typeof payload === "string" ? utf8Encoder.encode(payload) : payload;
}

/** Bytes of a frame header (RFC 6455 §5.2): minimal length encoding, plus the mask key if any. */
function headerSize(n: number, masked: boolean): number {
  return (n < 126 ? 2 : n < 65536 ? 4 : 10) + (masked ? 4 : 0);
}

/** A frame with its header written and room for the mask key and payload after it. */
function frameWithHeader(b0: number, masked: boolean, n: number): Uint8Array {
  const out = new Uint8Array(headerSize(n, masked) + n);
  const maskBit = masked ? 0x80 : 0;
  out[0] = b0;
  if (n < 126) {
    out[1] = maskBit | n;
  } else if (n < 65536) {
    out[1] = maskBit | 126;
    out[2] = n >>> 8;
    out[3] = n & 0xff;
  } else {
    out[1] = maskBit | 127;
    const hi = Math.floor(n / 0x100000000);
    for (let k = 0; k < 4; k++) {
      out[5 - k] = (hi >>> (8 * k)) & 0xff;
      out[9 - k] = (n >>> (8 * k)) & 0xff;
    }
  }
  return out;
}

/** A server frame (never masked), FIN set. opcode 1 text (string payload encoded UTF-8), 2 binary, 8 close, 9 ping, 10 pong. */
export function encodeFrame(opcode: 1 | 2 | 8 | 9 | 10, payload: Uint8Array | string): Uint8Array {
  const data = payloadBytes(payload);
  if (opcode >= OP_CLOSE && data.length > CONTROL_PAYLOAD_MAX)
    throw new RangeError(`control frame payload of ${data.length} bytes (at most 125)`);
  const out = frameWithHeader(0x80 | opcode, false, data.length);
  out.set(data, headerSize(data.length, false));
  return out;
}

/** A close frame with code and reason (reason truncated to fit the 125-byte control payload, on a UTF-8 boundary). */
export function encodeClose(code: number, reason: string): Uint8Array {
  if (!validCloseCode(code)) throw new RangeError(`close code ${code} may not be sent`);
  const text = utf8Encoder.encode(reason);
  let n = Math.min(text.length, CONTROL_PAYLOAD_MAX - 2);
  while (n < text.length && (text[n]! & 0xc0) === 0x80) n--; // never cut inside a character
  const payload = new Uint8Array(2 + n);
  payload[0] = code >>> 8;
  payload[1] = code & 0xff;
  payload.set(text.subarray(0, n), 2);
  return encodeFrame(OP_CLOSE, payload);
}

/** A masked client frame (for tests, benchmarks and test clients). fin default true; mask default random 4 bytes. */
export function encodeClientFrame(
  opcode: number,
  payload: Uint8Array | string,
  options: { fin?: boolean; mask?: Uint8Array; rsv?: number } = {},
): Uint8Array {
  const data = payloadBytes(payload);
  const mask = options.mask ?? crypto.getRandomValues(new Uint8Array(4));
  const b0 = (options.fin === false ? 0 : 0x80) | (((options.rsv ?? 0) & 7) << 4) | (opcode & 0x0f);
  const out = frameWithHeader(b0, true, data.length);
  const at = headerSize(data.length, false);
  out.set(mask.subarray(0, 4), at);
  const body = out.subarray(at + 4);
  body.set(data);
  unmask(body, mask[0]!, mask[1]!, mask[2]!, mask[3]!); // masking and unmasking are one XOR
  return out;
}
