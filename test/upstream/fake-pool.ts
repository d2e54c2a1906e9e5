// fake-pool.ts — a scripted Stratum pool on 127.0.0.1 (ephemeral port) for the fault tests.
//
// By default it behaves like v-nomp: subscribe → 3-element result with a fresh extranonce1 per
// connection, then set_target and a clean notify before authorize; authorize → true; submit →
// true. Each test overrides what it needs (`onLine`), and can write raw bytes, write in 1-byte
// chunks, or close mid-line. stop() closes every socket it accepted, so no test leaks one.

import type { Socket, TCPSocketListener } from "bun";
import { notifyLine, resultLine, setTargetLine } from "./helpers.ts";

export interface FakeConn {
  readonly index: number;
  readonly xn1: string;
  /** Every complete line received, in order. */
  readonly lines: string[];
  /** The number of complete submit lines in each read (the flood guard looks at this). */
  readonly submitsPerRead: number[];
  send(line: string): void;
  raw(text: string): void;
  close(): void;
  readonly closed: boolean;
}

export interface FakePoolOptions {
  /** Return true when the line was handled; otherwise the default v-nomp behaviour applies. */
  onLine?: (
    c: FakeConn,
    line: string,
    msg: { id?: unknown; method?: string; params?: unknown[] },
  ) => boolean | void;
  onOpen?: (c: FakeConn) => void;
  /** Set the target before the first notify (default "0004…", difficulty 2). null: never (v-nomp diff-1). */
  target?: string | null;
  tls?: { cert: string; key: string };
  port?: number;
  /** Write everything in chunks of this many bytes, one event-loop turn apart (in order). */
  chunkSize?: number;
}

type Conn = FakeConn & { closed: boolean };
type Data = { conn: Conn; buf: string };

export class FakePool {
  readonly conns: FakeConn[] = [];
  readonly #server: TCPSocketListener<Data>;
  readonly #sockets = new Set<Socket<Data>>();

  constructor(readonly o: FakePoolOptions = {}) {
    this.#server = Bun.listen<Data>({
      hostname: "127.0.0.1",
      port: o.port ?? 0,
      ...(o.tls ? { tls: o.tls } : {}),
      socket: {
        open: (s) => {
          this.#sockets.add(s);
          const conn = this.#conn(s);
          s.data = { conn, buf: "" };
          o.onOpen?.(conn);
        },
        data: (s, bytes) => this.#data(s, bytes.toString("utf8")),
        close: (s) => {
          this.#sockets.delete(s);
          if (s.data) s.data.conn.closed = true;
        },
        error: () => {},
      },
    });
  }

  get port(): number {
    return this.#server.port;
  }

  get url(): string {
    return `${this.o.tls ? "stratum+ssl" : "stratum+tcp"}://127.0.0.1:${this.port}`;
  }

  /** The v-nomp handshake replies for one request; exported for tests that script around it. */
  standard(c: FakeConn, msg: { id?: unknown; method?: string }): void {
    switch (msg.method) {
      case "mining.subscribe":
        c.send(
          resultLine(msg.id, [
            [
              ["mining.set_difficulty", `sub${c.index}`],
              ["mining.notify", `sub${c.index}`],
            ],
            c.xn1,
            8,
          ]),
        );
        if (this.o.target !== null) c.send(setTargetLine(this.o.target ?? "0004" + "0".repeat(60)));
        c.send(notifyLine(`j${c.index}`));
        return;
      case "mining.authorize":
      case "mining.extranonce.subscribe":
      case "mining.submit":
        c.send(resultLine(msg.id, true));
        return;
    }
  }

  stop(): void {
    for (const s of this.#sockets) s.terminate();
    this.#sockets.clear();
    this.#server.stop(true);
  }

  #conn(s: Socket<Data>): Conn {
    const index = this.conns.length;
    const size = this.o.chunkSize;
    let chain = Promise.resolve();
    const write =
      size === undefined
        ? (text: string) => void s.write(text)
        : (text: string) => {
            // Chained, so that chunks of consecutive writes never interleave.
            chain = chain.then(async () => {
              for (let i = 0; i < text.length && !conn.closed; i += size) {
                s.write(text.slice(i, i + size));
                await Bun.sleep(0);
              }
            });
          };
    const conn: Conn = {
      index,
      xn1: (0x1ffffff0 + index).toString(16),
      lines: [],
      submitsPerRead: [],
      closed: false,
      send: (line: string) => write(line + "\n"),
      raw: write,
      close: () => s.end(),
    };
    this.conns.push(conn);
    return conn;
  }

  #data(s: Socket<Data>, text: string): void {
    const d = s.data;
    d.buf += text;
    let submits = 0;
    let nl: number;
    const lines: string[] = [];
    while ((nl = d.buf.indexOf("\n")) >= 0) {
      const line = d.buf.slice(0, nl);
      d.buf = d.buf.slice(nl + 1);
      lines.push(line);
      if (line.includes('"mining.submit"')) submits++;
    }
    d.conn.submitsPerRead.push(submits);
    for (const line of lines) {
      d.conn.lines.push(line);
      const msg = JSON.parse(line) as { id?: unknown; method?: string; params?: unknown[] };
      if (this.o.onLine?.(d.conn, line, msg) === true) continue;
      this.standard(d.conn, msg);
    }
  }
}

/** A port on 127.0.0.1 that refuses connections (bound, then released). */
export function refusedPort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}
