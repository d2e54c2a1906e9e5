// proxy.ts — a recording TCP proxy between the miner and a pool, on 127.0.0.1 (ephemeral port).
//
// It forwards bytes unchanged and reads the Stratum lines going by, so a test sees exactly what
// reached the pool — every submit with the extranonce1 of its connection, and the pool's answer —
// without hooks inside the miner. dropAll() closes every connection (both sides), which forces the
// miner's pool client to reconnect and the pool to hand out a new extranonce1.

import type { Socket, TCPSocketListener } from "bun";

export interface SeenSubmit {
  /** performance.now() when the line reached the proxy. */
  at: number;
  conn: number;
  /** The extranonce1 the pool gave this connection. */
  xn1: string | null;
  jobId: string;
  xn2: string;
  solution: string;
  /** Last 15 bytes of the solution, hex. */
  tail: string;
  /** The pool's answer: true, or the error code; null until answered. */
  answer: true | number | null;
}

type Side = { buf: string; queue: Uint8Array[]; socket: Pick<Socket<unknown>, "write" | "terminate"> | null };
type Pair = { id: number; miner: Side; pool: Side; subscribeId: unknown; xn1: string | null; submits: Map<unknown, SeenSubmit> };

export class StratumProxy {
  readonly submits: SeenSubmit[] = [];
  readonly #listener: TCPSocketListener<Pair>;
  readonly #pairs = new Set<Pair>();
  #next = 0;

  constructor(readonly poolPort: number) {
    this.#listener = Bun.listen<Pair>({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        binaryType: "uint8array",
        open: (s) => this.#open(s),
        data: (s, bytes) => this.#pass(s.data, "miner", bytes),
        drain: (s) => flush(s.data.miner),
        close: (s) => this.#close(s.data),
        error: (s) => this.#close(s.data),
      },
    });
  }

  get port(): number {
    return this.#listener.port;
  }

  /** Connections accepted so far. */
  get connections(): number {
    return this.#next;
  }

  /** Close every connection on both sides. */
  dropAll(): void {
    for (const p of [...this.#pairs]) this.#close(p);
  }

  stop(): void {
    this.dropAll();
    this.#listener.stop(true);
  }

  #open(s: Socket<Pair>): void {
    const pair: Pair = {
      id: this.#next++,
      miner: { buf: "", queue: [], socket: s },
      pool: { buf: "", queue: [], socket: null },
      subscribeId: undefined,
      xn1: null,
      submits: new Map(),
    };
    s.data = pair;
    this.#pairs.add(pair);
    void Bun.connect({
      hostname: "127.0.0.1",
      port: this.poolPort,
      socket: {
        binaryType: "uint8array",
        open: (u) => {
          pair.pool.socket = u;
          flush(pair.pool);
        },
        data: (_u, bytes) => this.#pass(pair, "pool", bytes),
        drain: () => flush(pair.pool),
        close: () => this.#close(pair),
        error: () => this.#close(pair),
      },
    }).catch(() => this.#close(pair));
  }

  /** Bytes from `from`: read their lines, forward them to the other side. */
  #pass(pair: Pair, from: "miner" | "pool", bytes: Uint8Array): void {
    const side = pair[from];
    side.buf += new TextDecoder().decode(bytes);
    let nl: number;
    while ((nl = side.buf.indexOf("\n")) >= 0) {
      const line = side.buf.slice(0, nl);
      side.buf = side.buf.slice(nl + 1);
      if (line.trim() !== "") this.#read(pair, from, JSON.parse(line));
    }
    const to = from === "miner" ? pair.pool : pair.miner;
    to.queue.push(Uint8Array.from(bytes));
    flush(to);
  }

  #read(pair: Pair, from: "miner" | "pool", m: { id?: unknown; method?: string; params?: unknown[]; result?: unknown; error?: unknown }): void {
    if (from === "miner") {
      if (m.method === "mining.subscribe") pair.subscribeId = m.id;
      if (m.method === "mining.submit") {
        const [, jobId, , xn2, solution] = m.params as string[];
        const s: SeenSubmit = { at: performance.now(), conn: pair.id, xn1: pair.xn1, jobId: jobId!, xn2: xn2!, solution: solution!, tail: solution!.slice(-30), answer: null };
        this.submits.push(s);
        pair.submits.set(m.id, s);
      }
      return;
    }
    if (m.method === undefined && m.id === pair.subscribeId && Array.isArray(m.result)) pair.xn1 = String(m.result[1]);
    const s = m.method === undefined ? pair.submits.get(m.id) : undefined;
    if (s !== undefined) s.answer = m.result === true ? true : Number((m.error as unknown[] | null)?.[0] ?? -1);
  }

  #close(pair: Pair): void {
    if (!this.#pairs.delete(pair)) return;
    pair.miner.socket?.terminate();
    pair.pool.socket?.terminate();
  }
}

function flush(side: Side): void {
  const s = side.socket;
  if (s === null) return;
  while (side.queue.length > 0) {
    const chunk = side.queue[0]!;
    const n = s.write(chunk);
    if (n < 0) return;
    if (n < chunk.length) {
      side.queue[0] = chunk.subarray(n);
      return;
    }
    side.queue.shift();
  }
}
