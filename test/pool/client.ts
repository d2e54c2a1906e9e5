// client.ts — a raw Stratum test client over loopback TCP (Bun.connect): writes exactly the bytes
// a test asks for, keeps every message received in order, and waits for messages or the close
// with bounded timeouts (tests assert behaviour, never timing).

import type { Socket } from "bun";
import { LineDecoder } from "../../src/protocol/framing.ts";
import { Outbox } from "../../src/net/outbox.ts";

export type Message = Record<string, unknown> & {
  id?: unknown;
  method?: string;
  params?: unknown[];
  result?: unknown;
  error?: unknown;
};

const WAIT_MS = 5000;
const encoder = new TextEncoder();

export class TestClient {
  /** Everything received, in order. */
  readonly received: Message[] = [];
  /** performance.now() when each of `received` was read off the socket (for latency tests). */
  readonly arrivals: number[] = [];
  readonly #unread: Message[] = [];
  readonly #decoder = new LineDecoder({ maxLineBytes: 1 << 20, maxBufferedBytes: 1 << 21 });
  readonly #outbox = new Outbox(1 << 24);
  #socket!: Socket<undefined>;
  #closed = false;
  #wake: (() => void) | null = null;
  #nextId = 1000;

  static async connect(port: number): Promise<TestClient> {
    const c = new TestClient();
    c.#socket = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        binaryType: "uint8array",
        data: (_s, chunk) => c.#onData(chunk),
        drain: (s) => void c.#outbox.flush(s),
        close: () => c.#onClose(),
        error: () => c.#onClose(),
      },
    });
    return c;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Raw bytes, as one write (the socket may still split them). */
  write(data: string | Uint8Array): void {
    const bytes = typeof data === "string" ? encoder.encode(data) : data;
    this.#outbox.send(bytes, this.#socket);
  }

  /** One JSON line. */
  send(message: unknown): void {
    this.write(JSON.stringify(message) + "\n");
  }

  /** A request with a fresh id; resolves with its response. */
  async request(method: string, params: unknown[]): Promise<Message> {
    const id = this.#nextId++;
    this.send({ id, method, params });
    return this.next((m) => m.id === id && !("method" in m));
  }

  /** The first unread message matching `match` (default: any); earlier unread ones stay unread. */
  async next(match: (m: Message) => boolean = () => true, timeoutMs = WAIT_MS): Promise<Message> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.#unread.findIndex(match);
      if (i >= 0) return this.#unread.splice(i, 1)[0]!;
      if (this.#closed) throw new Error(`connection closed; received: ${this.#summary()}`);
      if (!(await this.#waitForInput(deadline - Date.now())))
        throw new Error(`timed out; received: ${this.#summary()}`);
    }
  }

  /** The next unread notification of `method`. */
  notification(method: string): Promise<Message> {
    return this.next((m) => m.method === method);
  }

  /** Resolves once the server closed the connection; throws if it is still open after the wait. */
  async waitClosed(timeoutMs = WAIT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#closed) {
      if (!(await this.#waitForInput(deadline - Date.now())))
        throw new Error(`still open; received: ${this.#summary()}`);
    }
  }

  close(): void {
    if (!this.#closed) this.#socket.end();
  }

  #onData(chunk: Uint8Array): void {
    const at = performance.now();
    for (const line of this.#decoder.feed(chunk)) {
      const m = JSON.parse(line) as Message;
      this.received.push(m);
      this.arrivals.push(at);
      this.#unread.push(m);
    }
    this.#wake?.();
  }

  #onClose(): void {
    this.#closed = true;
    this.#wake?.();
  }

  /** False on timeout. */
  #waitForInput(ms: number): Promise<boolean> {
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

  #summary(): string {
    return this.received.map((m) => JSON.stringify(m).slice(0, 100)).join(" | ") || "nothing";
  }
}
