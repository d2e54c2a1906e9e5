// websocket.ts — the server side of RFC 6455 framing, sans-IO: the opening handshake's key check and
// Sec-WebSocket-Accept, the protocol errors, and the encoders for what a server sends (the reader of
// a client's frames is ws-frame-reader.ts). It exists because Bun.serve has no accept hook (issue
// 11): the HTTP port runs on Bun.listen, and this is the WebSocket half of it. No socket, no timer.
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

export const OP_CONTINUATION = 0;
export const OP_TEXT = 1;
export const OP_BINARY = 2;
export const OP_CLOSE = 8;
export const OP_PING = 9;
export const OP_PONG = 10;

const utf8Encoder = new TextEncoder();

// Below this many bytes the mask is applied a byte at a time: viewing a small typed array as 32-bit
// words makes JavaScriptCore move it out of its fast storage, which costs more than the XORs it
// saves (measured in Bun 1.4.5: 180 bytes 0.25 µs by bytes, 1.2 µs by words; 64 KiB 56 µs vs 19 µs).
const WORD_UNMASK_MIN = 1024;
const maskBytes = new Uint8Array(4);
const maskWord = new Uint32Array(maskBytes.buffer); // the 4 mask bytes in this machine's byte order

/** XORs the mask over buf in place (RFC 6455 §5.3); buf starts at a mask boundary. */
export function unmask(buf: Uint8Array, m0: number, m1: number, m2: number, m3: number): void {
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
