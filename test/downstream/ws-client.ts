// ws-client.ts — test clients for the bridge's WebSocket: Bun's WebSocket client with a message
// queue and the close it ended with, and a raw TCP client that performs the upgrade by hand (to
// read a refused handshake's status, or to stop reading and play a slow reader).

import type { Socket } from "bun";
import { decodeServerFrame, type MsgpackServerFrame } from "../../src/protocol/ws-msgpack.ts";
import { decodeJsonServerMessage, type JsonServerMessage } from "../../src/protocol/ws-json.ts";

const WAIT_MS = 5000;

export interface Closed {
  code: number;
  reason: string;
}

export class WsTestClient {
  readonly ws: WebSocket;
  readonly received: (Uint8Array | string)[] = [];
  readonly #unread: (Uint8Array | string)[] = [];
  readonly closed: Promise<Closed>;
  #wake: (() => void) | null = null;
  #isClosed = false;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.binaryType = "arraybuffer";
    ws.onmessage = (e) => {
      const m = typeof e.data === "string" ? e.data : new Uint8Array(e.data as ArrayBuffer);
      this.received.push(m);
      this.#unread.push(m);
      this.#wake?.();
    };
    this.closed = new Promise((resolve) => {
      ws.onclose = (e) => {
        this.#isClosed = true;
        this.#wake?.();
        resolve({ code: e.code, reason: e.reason });
      };
    });
  }

  /** Resolves once open; rejects with the close if the server refuses the handshake. */
  static open(
    url: string,
    options: { protocols?: string[]; headers?: Record<string, string> } = {},
  ): Promise<WsTestClient> {
    const c = new WsTestClient(
      new WebSocket(url, { protocols: options.protocols ?? [], headers: options.headers ?? {} }),
    );
    return new Promise((resolve, reject) => {
      c.ws.onopen = () => resolve(c);
      void c.closed.then((e) => reject(new Error(`closed before open: ${e.code} ${e.reason}`)));
    });
  }

  get isClosed(): boolean {
    return this.#isClosed;
  }

  send(data: Uint8Array | string): void {
    this.ws.send(data);
  }

  async next(
    match: (m: Uint8Array | string) => boolean = () => true,
    timeoutMs = WAIT_MS,
  ): Promise<Uint8Array | string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.#unread.findIndex(match);
      if (i >= 0) return this.#unread.splice(i, 1)[0]!;
      if (this.#isClosed) throw new Error(`closed; received ${this.received.length} messages`);
      if (!(await this.#wait(deadline - Date.now())))
        throw new Error(`timed out; received ${this.received.length} messages`);
    }
  }

  /** The next msgpack frame of a type. */
  async frame<T extends MsgpackServerFrame["type"]>(
    type: T,
    timeoutMs = WAIT_MS,
  ): Promise<Extract<MsgpackServerFrame, { type: T }>> {
    const m = await this.next(
      (x) => x instanceof Uint8Array && decodeServerFrame(x).type === type,
      timeoutMs,
    );
    return decodeServerFrame(m as Uint8Array) as Extract<MsgpackServerFrame, { type: T }>;
  }

  /** The next JSON message of a type. */
  async json<T extends JsonServerMessage["type"]>(
    type: T,
    timeoutMs = WAIT_MS,
  ): Promise<Extract<JsonServerMessage, { type: T }>> {
    const m = await this.next(
      (x) => typeof x === "string" && decodeJsonServerMessage(x).type === type,
      timeoutMs,
    );
    return decodeJsonServerMessage(m as string) as Extract<JsonServerMessage, { type: T }>;
  }

  close(): void {
    if (!this.#isClosed) this.ws.close();
  }

  #wait(ms: number): Promise<boolean> {
    if (ms <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = null;
        resolve(false);
      }, ms);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = null;
        resolve(true);
      };
    });
  }
}

/**
 * A hand-made upgrade over raw TCP. `received` collects everything; `pause()` stops reading from
 * the kernel, so the server's send buffer fills as with a client that stopped reading.
 */
export class RawWsClient {
  received = "";
  closed = false;
  #socket!: Socket<undefined>;

  static async connect(
    port: number,
    path: string,
    headers: Record<string, string> = {},
  ): Promise<RawWsClient> {
    const c = new RawWsClient();
    const head = {
      Host: `127.0.0.1:${port}`,
      Upgrade: "websocket",
      Connection: "Upgrade",
      "Sec-WebSocket-Key": btoa("vbridge-test-key"),
      "Sec-WebSocket-Version": "13",
      ...headers,
    };
    const request = `GET ${path} HTTP/1.1\r\n${Object.entries(head)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join("")}\r\n`;
    c.#socket = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open: (s) => void s.write(request),
        data: (_s, d) => {
          c.received += new TextDecoder("latin1").decode(d);
        },
        close: () => {
          c.closed = true;
        },
        error: () => {
          c.closed = true;
        },
      },
    });
    return c;
  }

  /** The HTTP status of the handshake answer, once it arrived. */
  async status(timeoutMs = WAIT_MS): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (!/^HTTP\/1\.1 (\d{3})/.test(this.received)) {
      if (Date.now() > deadline || this.closed)
        throw new Error(`no status line; got ${JSON.stringify(this.received.slice(0, 200))}`);
      await Bun.sleep(5);
    }
    return Number(/^HTTP\/1\.1 (\d{3})/.exec(this.received)![1]);
  }

  pause(): void {
    this.#socket.pause();
  }

  close(): void {
    this.#socket.end();
  }
}
