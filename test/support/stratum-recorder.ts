// stratum-recorder.ts — a recording Stratum proxy on 127.0.0.1 (ephemeral port), for the miner
// and end-to-end tests: it sits between a miner and a pool or the bridge, or between the bridge and
// the pool, and passes every line through unchanged while noting what a test must check — the
// extranonce1 each connection holds (from the subscribe result and every mining.set_extranonce),
// the notifies and their clean flag, every submit with the extranonce1 it was sent under, and the
// answer to it — without hooks inside the programs under test.
//
// It forwards whole lines, so it can also hold back the miner's submits (holdSubmits: the test
// stops new shares reaching the far side, and then every share the far side saw has been answered)
// and drop every connection (dropAll: the far side sees its peer go, the miner reconnects).

import type { Socket, TCPSocketListener } from "bun";

export interface RecordedSubmit {
  /** performance.now() when the line reached the proxy. */
  at: number;
  conn: number;
  /** The extranonce1 of the connection when the submit went by (after any set_extranonce). */
  xn1: string | null;
  jobId: string;
  xn2: string;
  solution: string;
  /** Last 15 bytes of the solution, hex. */
  tail: string;
  /** true, the error code, or null while unanswered. */
  answer: true | number | null;
}

export interface RecordedNotify {
  conn: number;
  jobId: string;
  clean: boolean;
  xn1: string | null;
}

type Line = { id?: unknown; method?: string; params?: unknown[]; result?: unknown; error?: unknown };
type Side = { buf: string; queue: string[]; socket: Socket<unknown> | null };
type Pair = {
  id: number;
  miner: Side;
  far: Side;
  subscribeId: unknown;
  xn1: string | null;
  pending: Map<unknown, RecordedSubmit>;
  closed: boolean;
};

export class StratumRecorder {
  readonly submits: RecordedSubmit[] = [];
  readonly notifies: RecordedNotify[] = [];
  /** Every extranonce1 any connection held, in order: [conn, xn1]. */
  readonly extranonces: [number, string][] = [];
  /** Submits not forwarded because of holdSubmits(). */
  held = 0;
  readonly #listener: TCPSocketListener<Pair>;
  readonly #pairs = new Set<Pair>();
  #next = 0;
  #hold = false;

  constructor(readonly farPort: number) {
    this.#listener = Bun.listen<Pair>({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        binaryType: "uint8array",
        open: (s) => this.#open(s),
        data: (s, bytes) => this.#feed(s.data, "miner", bytes),
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

  /** The extranonce1 the newest connection holds now. */
  get currentXn1(): string | null {
    let newest: Pair | null = null;
    for (const p of this.#pairs) if (newest === null || p.id > newest.id) newest = p;
    return newest?.xn1 ?? null;
  }

  /** Submits the far side has not answered yet (on connections still open). */
  get unanswered(): number {
    let n = 0;
    for (const p of this.#pairs) n += p.pending.size;
    return n;
  }

  /** From now on, mining.submit lines are swallowed (never forwarded, never answered). */
  holdSubmits(): void {
    this.#hold = true;
  }

  /** Forward submits again. */
  release(): void {
    this.#hold = false;
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
      miner: { buf: "", queue: [], socket: s as Socket<unknown> },
      far: { buf: "", queue: [], socket: null },
      subscribeId: undefined,
      xn1: null,
      pending: new Map(),
      closed: false,
    };
    s.data = pair;
    this.#pairs.add(pair);
    void Bun.connect({
      hostname: "127.0.0.1",
      port: this.farPort,
      socket: {
        binaryType: "uint8array",
        open: (u) => {
          if (pair.closed) return void u.terminate();
          pair.far.socket = u as Socket<unknown>;
          flush(pair.far);
        },
        data: (_u, bytes) => this.#feed(pair, "far", bytes),
        drain: () => flush(pair.far),
        close: () => this.#close(pair),
        error: () => this.#close(pair),
      },
    }).catch(() => this.#close(pair));
  }

  /** Bytes from one side: split into lines, note them, forward the ones that pass. */
  #feed(pair: Pair, from: "miner" | "far", bytes: Uint8Array): void {
    if (pair.closed) return;
    const side = pair[from];
    side.buf += new TextDecoder().decode(bytes);
    const to = from === "miner" ? pair.far : pair.miner;
    let nl: number;
    while ((nl = side.buf.indexOf("\n")) >= 0) {
      const line = side.buf.slice(0, nl + 1);
      side.buf = side.buf.slice(nl + 1);
      if (line.trim() === "") continue;
      if (this.#note(pair, from, JSON.parse(line) as Line)) to.queue.push(line);
    }
    flush(to);
  }

  /** Records one line; false when it must not be forwarded. */
  #note(pair: Pair, from: "miner" | "far", m: Line): boolean {
    if (from === "miner") {
      if (m.method === "mining.subscribe") pair.subscribeId = m.id;
      if (m.method === "mining.submit") {
        if (this.#hold) {
          this.held++;
          return false;
        }
        const [, jobId, , xn2, solution] = m.params as string[];
        const s: RecordedSubmit = {
          at: performance.now(),
          conn: pair.id,
          xn1: pair.xn1,
          jobId: jobId!,
          xn2: xn2!,
          solution: solution!,
          tail: solution!.slice(-30),
          answer: null,
        };
        this.submits.push(s);
        pair.pending.set(m.id, s);
      }
      return true;
    }
    if (m.method === undefined && m.id === pair.subscribeId && Array.isArray(m.result))
      this.#xn1(pair, String(m.result[1]));
    if (m.method === "mining.set_extranonce") this.#xn1(pair, String(m.params![0]));
    if (m.method === "mining.notify") {
      const p = m.params!;
      this.notifies.push({ conn: pair.id, jobId: String(p[0]), clean: p[7] === true, xn1: pair.xn1 });
    }
    const s = m.method === undefined ? pair.pending.get(m.id) : undefined;
    if (s !== undefined) {
      pair.pending.delete(m.id);
      s.answer = m.result === true ? true : Number((m.error as unknown[] | null)?.[0] ?? -1);
    }
    return true;
  }

  #xn1(pair: Pair, xn1: string): void {
    pair.xn1 = xn1;
    this.extranonces.push([pair.id, xn1]);
  }

  #close(pair: Pair): void {
    if (pair.closed) return;
    pair.closed = true;
    this.#pairs.delete(pair);
    pair.miner.socket?.terminate();
    pair.far.socket?.terminate();
  }
}

function flush(side: Side): void {
  const s = side.socket;
  if (s === null) return;
  while (side.queue.length > 0) {
    const line = side.queue[0]!;
    const n = s.write(line);
    if (n < 0) return;
    if (n < Buffer.byteLength(line)) {
      // A partial write: keep the rest (lines are ASCII JSON, so bytes = characters).
      side.queue[0] = line.slice(n);
      return;
    }
    side.queue.shift();
  }
}
