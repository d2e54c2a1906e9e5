/**
 * A minimal WebSocket client over a raw Bun TCP socket, for bench/ws-load-gen.ts: the handshake and
 * RFC 6455 framing (masked client frames, unmasked server frames) and nothing else — one small
 * object and one socket per session, so a generator can hold 10,000 of them, and a frame's receive
 * time is taken in the socket's data callback before any decoding. Subclasses get whole messages
 * through onMessage.
 */
import type { Socket } from "bun";

const MASK = Uint8Array.of(0x6d, 0x3c, 0xa1, 0x5e); // any key will do for a benchmark (RFC 6455 §5.3)
const decoder = new TextDecoder();

/** One masked client frame (opcode 2 binary, 1 text). */
export function clientFrame(payload: Uint8Array, opcode = 2): Uint8Array {
  const n = payload.length;
  const head = n < 126 ? 2 : 4;
  const out = new Uint8Array(head + 4 + n);
  out[0] = 0x80 | opcode;
  if (n < 126) out[1] = 0x80 | n;
  else {
    out[1] = 0x80 | 126;
    out[2] = n >> 8;
    out[3] = n & 0xff;
  }
  out.set(MASK, head);
  for (let i = 0; i < n; i++) out[head + 4 + i] = payload[i]! ^ MASK[i & 3]!;
  return out;
}

export abstract class RawWsSession {
  socket: Socket<RawWsSession> | null = null;
  open = false;
  #head: Uint8Array | null = null;
  #partial: Uint8Array | null = null;
  #out: Uint8Array[] = [];

  constructor(readonly clock: () => number) {}

  /** A whole text or binary message and when its last bytes arrived. */
  protected abstract onMessage(receivedAt: number, m: Uint8Array | string): void;
  /** The handshake was answered 101. */
  protected abstract onOpen(): void;
  /** The handshake was refused, or the socket failed or closed. */
  protected abstract onFail(e: Error): void;

  /** Connects and sends the upgrade request; the outcome arrives as onOpen or onFail. */
  connect(port: number, path: string, protocol: string | null): void {
    const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
    const request =
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${protocol === null ? "" : `Sec-WebSocket-Protocol: ${protocol}\r\n`}\r\n`;
    Bun.connect<RawWsSession>({
      hostname: "127.0.0.1",
      port,
      data: this,
      socket: {
        binaryType: "uint8array",
        open: (sock) => {
          this.socket = sock;
          sock.write(request);
        },
        data: (_sock, chunk) => this.#data(chunk),
        drain: () => this.#drain(),
        close: () => {
          this.open = false;
          this.onFail(new Error("closed"));
        },
        error: (_sock, e) => this.onFail(e),
      },
    }).catch((e: Error) => this.onFail(e));
  }

  write(frame: Uint8Array): void {
    if (this.#out.length > 0) return void this.#out.push(frame);
    const n = this.socket!.write(frame);
    if (n < frame.length) this.#out.push(frame.subarray(Math.max(0, n)));
  }

  terminate(): void {
    this.socket?.terminate();
  }

  #drain(): void {
    while (this.#out.length > 0) {
      const f = this.#out[0]!;
      const n = this.socket!.write(f);
      if (n < f.length) {
        this.#out[0] = f.subarray(Math.max(0, n));
        return;
      }
      this.#out.shift();
    }
  }

  #data(chunk: Uint8Array): void {
    const t = this.clock();
    if (!this.open) {
      // The answer's head, then (maybe in the same chunk) the first frames: split on bytes.
      this.#head = this.#head === null ? chunk : concat(this.#head, chunk);
      const end = headEnd(this.#head);
      if (end < 0) return;
      const head = decoder.decode(this.#head.subarray(0, end));
      const rest = this.#head.subarray(end + 4);
      this.#head = null;
      if (!head.startsWith("HTTP/1.1 101")) return this.onFail(new Error(head.split("\r\n")[0]));
      this.open = true;
      this.onOpen();
      if (rest.length === 0) return;
      chunk = rest;
    }
    let buf = this.#partial === null ? chunk : concat(this.#partial, chunk);
    this.#partial = null;
    for (;;) {
      if (buf.length < 2) break;
      const len7 = buf[1]! & 0x7f;
      const head = len7 === 126 ? 4 : len7 === 127 ? 10 : 2;
      if (buf.length < head) break;
      const len =
        len7 === 126
          ? (buf[2]! << 8) | buf[3]!
          : len7 === 127
            ? Number(new DataView(buf.buffer, buf.byteOffset + 2, 8).getBigUint64(0))
            : len7;
      if (buf.length < head + len) break;
      const opcode = buf[0]! & 0x0f;
      const payload = buf.subarray(head, head + len);
      buf = buf.subarray(head + len);
      if (opcode === 2 || opcode === 1)
        this.onMessage(t, opcode === 1 ? decoder.decode(payload) : payload.slice());
      else if (opcode === 8) this.socket?.end(); // close frame: the server is done with us
    }
    if (buf.length > 0) this.#partial = buf.slice();
  }
}

/** Index of the blank line ending an HTTP head (CR LF CR LF), or −1. */
function headEnd(b: Uint8Array): number {
  for (let i = 0; i + 3 < b.length; i++)
    if (b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10) return i;
  return -1;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
