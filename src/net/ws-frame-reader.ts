// ws-frame-reader.ts — the reader half of RFC 6455 framing (websocket.ts has the handshake, the
// errors and the encoders): a client's byte stream → whole messages and control frames, sans-IO.
// It is on every browser miner's share path, so it copies each payload once: a frame that sits
// whole in one chunk is copied out of it and unmasked in the copy, which the sink then owns (or
// which is decoded, for text); only a frame split across chunks is held, in a buffer that grows
// with what arrived (a declared length costs nothing until its bytes come) and is unmasked in
// place. The caller's chunk is never kept past push(), nor written to.

import {
  CONTROL_PAYLOAD_MAX,
  OP_BINARY,
  OP_CLOSE,
  OP_CONTINUATION,
  OP_PING,
  OP_PONG,
  OP_TEXT,
  unmask,
  validCloseCode,
  WsProtocolError,
} from "./websocket.ts";

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

// ignoreBOM: a text message is the characters sent; a leading U+FEFF is one of them.
const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

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
