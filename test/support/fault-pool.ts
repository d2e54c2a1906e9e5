// fault-pool.ts — a scriptable Stratum pool on 127.0.0.1 for fault injection (issue 10's tests and
// bench/outage.ts). It speaks just enough of v-nomp to be mined on — subscribe (3-element result),
// set_target or set_difficulty, a clean notify, authorize true, every submit true — and breaks on
// request: die and come back on the same port (same or new extranonce1, job ids restarting at the
// same value as v-nomp's do), a too-long extranonce1 (subscribe reply or mining.set_extranonce),
// never answering subscribe, closing after each reply, client.reconnect to a foreign host, extreme
// difficulties. It validates nothing (a submit is answered true) but records every line received,
// with the time it arrived. Lines are built with src/protocol/'s encoders.
//
// Times are performance.now() milliseconds, so a test can compare them with its own.

import type { Socket, TCPSocketListener } from "bun";
import { encodePoolMessage, type Notify, type PoolMessage } from "../../src/protocol/pool-messages.ts";
import { serializeRpc } from "../../src/protocol/jsonrpc.ts";
import { bytesToHex, hexToBytes, readU32LE } from "../../src/util/hex.ts";
import { NTIME, PREV_A, TEMPLATE } from "../upstream/helpers.ts";

/** How a connection is treated. */
export type FaultMode =
  /** v-nomp's happy path. */
  | "normal"
  /** Reads everything, answers nothing (a wedged pool: TCP up, no subscribe reply). */
  | "silent"
  /** Answers the one request, then closes the connection (a crash-looping pool behind a proxy). */
  | "close-after-reply"
  /** Subscribes normally, answers authorize with false. */
  | "refuse-authorize";

export interface FaultPoolOptions {
  /** 0: ephemeral (kept across restarts). */
  port?: number;
  /** The subscribe reply's extranonce1 (hex). Default "1ffffff0" (4 bytes, v-nomp's size). */
  extranonce1?: string;
  /** Sent before the first notify: "target" (set_target, default), a difficulty, or null (none). */
  difficulty?: number | "target" | null;
  /** set_target's 64 hex digits when difficulty is "target" (default 0004…: difficulty ≈ 16). */
  target?: string;
  mode?: FaultMode;
  /** First job id (hex, as v-nomp counts); restarts begin here again. Default 1. */
  firstJobId?: number;
  /** Bound on recorded lines (oldest dropped); default 100,000. */
  maxRecorded?: number;
}

export interface Received {
  at: number;
  conn: number;
  generation: number;
  line: string;
  method: string | null;
  params: unknown[];
}

type Msg = { id?: unknown; method?: string; params?: unknown[] };
type Data = { conn: FaultConn; buf: string };

export interface FaultConn {
  readonly index: number;
  readonly generation: number;
  readonly openedAt: number;
  subscribed: boolean;
  authorized: boolean;
  closed: boolean;
}

const MAX_LINE = 64 * 1024;

export class FaultPool {
  /** Every line received (capped), in order. */
  readonly received: Received[] = [];
  readonly conns: FaultConn[] = [];
  /** Times (performance.now) the pool went down and came back. */
  readonly downAt: number[] = [];
  readonly upAt: number[] = [];
  /** Incremented at every restart; lines and connections carry it. */
  generation = 0;
  extranonce1: string;
  mode: FaultMode;
  difficulty: number | "target" | null;
  target: string;
  readonly firstJobId: number;
  #jobSeq: number;
  #jobId = "";
  #port: number;
  #server: TCPSocketListener<Data> | null = null;
  readonly #sockets = new Set<Socket<Data>>();
  readonly #maxRecorded: number;
  #restartTimer: ReturnType<typeof setTimeout> | null = null;
  #stopped = false;

  constructor(o: FaultPoolOptions = {}) {
    this.extranonce1 = o.extranonce1 ?? "1ffffff0";
    this.mode = o.mode ?? "normal";
    this.difficulty = o.difficulty === undefined ? "target" : o.difficulty;
    this.target = o.target ?? "0004" + "0".repeat(60);
    this.firstJobId = o.firstJobId ?? 1;
    this.#jobSeq = this.firstJobId;
    this.#maxRecorded = o.maxRecorded ?? 100_000;
    this.#port = o.port ?? 0;
    this.#listen();
    this.#makeJob();
  }

  get port(): number {
    return this.#port;
  }

  get url(): string {
    return `stratum+tcp://127.0.0.1:${this.#port}`;
  }

  get listening(): boolean {
    return this.#server !== null;
  }

  /** The current job id (what the next subscriber gets). */
  get jobId(): string {
    return this.#jobId;
  }

  /** Open connections that finished subscribe (and authorize, for `authorized`). */
  live(): FaultConn[] {
    return this.conns.filter((c) => !c.closed && c.subscribed);
  }

  submits(since = 0): Received[] {
    return this.received.filter((r) => r.method === "mining.submit" && r.at >= since);
  }

  /** Stops listening and drops every connection (RST), as a killed process would. */
  kill(): void {
    if (this.#restartTimer !== null) clearTimeout(this.#restartTimer);
    this.#restartTimer = null;
    for (const s of this.#sockets) s.terminate();
    this.#sockets.clear();
    if (this.#server !== null) {
      this.#server.stop(true);
      this.#server = null;
      this.downAt.push(performance.now());
    }
  }

  /**
   * Listens again on the same port: a new process — job ids restart at `firstJobId` (the first
   * job of the new generation has the id the old generation started with, different contents),
   * the extranonce1 is `extranonce1` if given, else unchanged.
   */
  restart(o: { extranonce1?: string; mode?: FaultMode } = {}): void {
    this.kill();
    if (this.#stopped) return;
    this.generation++;
    if (o.extranonce1 !== undefined) this.extranonce1 = o.extranonce1;
    if (o.mode !== undefined) this.mode = o.mode;
    this.#jobSeq = this.firstJobId;
    this.#makeJob();
    this.#listen();
    this.upAt.push(performance.now());
  }

  /** kill() now, restart() after `seconds`; resolves once listening again. */
  async dieFor(seconds: number, o: { extranonce1?: string; mode?: FaultMode } = {}): Promise<void> {
    this.kill();
    await new Promise<void>((resolve) => {
      this.#restartTimer = setTimeout(() => {
        this.#restartTimer = null;
        this.restart(o);
        resolve();
      }, seconds * 1000);
    });
  }

  /** A new job to every subscribed connection; returns its id. */
  newJob(clean = true): string {
    this.#makeJob();
    this.broadcast({ ...this.#notify(), cleanJobs: clean });
    return this.#jobId;
  }

  /** One message to every subscribed, open connection (encoded by src/protocol/). */
  broadcast(m: PoolMessage): void {
    const line = encodePoolMessage(m);
    for (const s of this.#sockets) if (s.data?.conn.subscribed) s.write(line + "\n");
  }

  /** A raw line to every subscribed connection (for what the encoders refuse to write). */
  broadcastRaw(line: string): void {
    for (const s of this.#sockets) if (s.data?.conn.subscribed) s.write(line + "\n");
  }

  setExtranonce(extranonce1: string, extranonce2Size: number | null = null): void {
    this.extranonce1 = extranonce1;
    this.broadcast({ method: "mining.set_extranonce", id: null, extranonce1, extranonce2Size });
  }

  /** set_difficulty as JSON carries it: NaN and ±Infinity become null on the wire. */
  setDifficulty(difficulty: number): void {
    this.broadcast({ method: "mining.set_difficulty", id: null, difficulty });
  }

  setTarget(target: bigint): void {
    this.broadcast({ method: "mining.set_target", id: null, target });
  }

  reconnect(host: string | null, port: number | null, waitSeconds: number | null = null): void {
    this.broadcast({ method: "client.reconnect", id: null, host, port, waitSeconds });
  }

  /** Closes everything for good (idempotent). */
  stop(): void {
    this.#stopped = true;
    this.kill();
  }

  #listen(): void {
    this.#server = Bun.listen<Data>({
      hostname: "127.0.0.1",
      port: this.#port,
      socket: {
        open: (s) => {
          if (this.#stopped) return void s.terminate();
          this.#sockets.add(s);
          const conn: FaultConn = {
            index: this.conns.length,
            generation: this.generation,
            openedAt: performance.now(),
            subscribed: false,
            authorized: false,
            closed: false,
          };
          this.conns.push(conn);
          s.data = { conn, buf: "" };
        },
        data: (s, bytes) => this.#data(s, bytes.toString("utf8")),
        close: (s) => {
          this.#sockets.delete(s);
          if (s.data) s.data.conn.closed = true;
        },
        error: () => {},
      },
    });
    this.#port = this.#server.port;
  }

  #makeJob(): void {
    this.#jobId = (this.#jobSeq++).toString(16);
  }

  /** The current job: the real v7 notify of the upstream tests, its prevhash marked by generation and id. */
  #notify(): Notify {
    const mark = ((this.generation & 0xffff) * 0x10000 + (this.#jobSeq & 0xffff))
      .toString(16)
      .padStart(8, "0");
    return {
      method: "mining.notify",
      id: null,
      jobId: this.#jobId,
      version: "04000100",
      prevHash: mark + PREV_A.slice(8),
      merkleRoot: "d3ebc41e45a65637bac6d76c52938aa601ee536d7fa6bb8fd055055d81ef05e3",
      finalSaplingRoot: "ce011889bdff3bbf86f6ad90f668ffba32fc432261dca49d95c5208606e251de",
      // A restarted pool builds its template seconds later: curtime (nTime) moves on with it.
      nTime: ntimeOfGeneration(this.generation),
      nBits: "0562021b",
      cleanJobs: true,
      solution: TEMPLATE,
    };
  }

  #record(conn: FaultConn, line: string, msg: Msg): void {
    if (this.received.length >= this.#maxRecorded) this.received.splice(0, this.received.length >> 1);
    this.received.push({
      at: performance.now(),
      conn: conn.index,
      generation: conn.generation,
      line,
      method: typeof msg.method === "string" ? msg.method : null,
      params: Array.isArray(msg.params) ? msg.params : [],
    });
  }

  #data(s: Socket<Data>, text: string): void {
    const d = s.data;
    if (!d) return;
    d.buf += text;
    if (d.buf.length > MAX_LINE && d.buf.indexOf("\n") < 0) return void s.terminate();
    let nl: number;
    while ((nl = d.buf.indexOf("\n")) >= 0) {
      const line = d.buf.slice(0, nl);
      d.buf = d.buf.slice(nl + 1);
      let msg: Msg;
      try {
        msg = JSON.parse(line) as Msg;
      } catch {
        continue;
      }
      this.#record(d.conn, line, msg);
      this.#answer(s, d.conn, msg);
      if (d.conn.closed) return;
    }
  }

  #reply(s: Socket<Data>, id: unknown, result: unknown): void {
    const rid = typeof id === "number" || typeof id === "string" ? id : null;
    s.write(serializeRpc({ kind: "response", id: rid, result, error: null }) + "\n");
  }

  #answer(s: Socket<Data>, c: FaultConn, msg: Msg): void {
    if (this.mode === "silent") return;
    switch (msg.method) {
      case "mining.subscribe": {
        const sub = `fault${this.generation}-${c.index}`;
        this.#reply(s, msg.id, [
          [
            ["mining.set_difficulty", sub],
            ["mining.notify", sub],
          ],
          this.extranonce1,
          8,
        ]);
        c.subscribed = true;
        if (this.difficulty === "target")
          s.write(
            encodePoolMessage({ method: "mining.set_target", id: null, target: BigInt(`0x${this.target}`) }) +
              "\n",
          );
        else if (this.difficulty !== null)
          s.write(
            encodePoolMessage({ method: "mining.set_difficulty", id: null, difficulty: this.difficulty }) +
              "\n",
          );
        s.write(encodePoolMessage(this.#notify()) + "\n");
        break;
      }
      case "mining.authorize":
        c.authorized = this.mode !== "refuse-authorize";
        this.#reply(s, msg.id, c.authorized);
        break;
      default:
        if (msg.id !== undefined && msg.id !== null) this.#reply(s, msg.id, true);
    }
    if (this.mode === "close-after-reply") {
      c.closed = true;
      s.end();
    }
  }
}

/** NTIME advanced by `generation` seconds, as notify hex (uint32 little-endian). */
function ntimeOfGeneration(generation: number): string {
  const t = hexToBytes(NTIME);
  new DataView(t.buffer).setUint32(0, readU32LE(t, 0) + generation, true);
  return bytesToHex(t);
}
