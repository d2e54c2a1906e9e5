/**
 * The fake miners of the share-path benchmark (share-path.ts): real WsConnection / Stratum
 * connection objects whose sockets are stand-ins — what they write is counted, not sent — and which
 * feed each connection the bytes a miner would: hello or subscribe + authorize, then unique valid
 * shares of the job they were given (the tail: extranonce1 ‖ zeros ‖ a u32 LE counter).
 */
import type { BridgeCore } from "../bridge/index.ts";
import { InboundGuard } from "../net/guard.ts";
import { DownstreamCounters } from "../downstream/metrics.ts";
import { StratumMiner } from "../downstream/stratum-miner.ts";
import { WsConnection, type WsContext, type WsPeer } from "../downstream/ws-connection.ts";
import { NONCE_BYTES, NONCE_TAIL_BYTES, SOLUTION_BYTES, TAIL_COUNTER_OFFSET } from "../protocol/index.ts";
import { decodeServerFrame, encodeClientFrame } from "../protocol/ws-msgpack.ts";
import { StratumConnection } from "../stratum/connection.ts";
import { silentLogger } from "../util/log.ts";

export interface BenchPeer {
  /** The connection has its first job. */
  ready(): boolean;
  /** Makes what `count` shares need, before the clock starts. */
  prepare(count: number): void;
  /** One share into the connection. */
  send(): void;
  /** Frames or lines written after the first job: the verdicts. */
  readonly replies: number;
}

const ADDRESS = "RLn1WTymL5G9LHpiEZW29S3otu6bTHKob6";
/** No per-connection message limit or deadline gets in the way of a benchmark. */
const LIMITS = { handshakeMs: 1e9, idleMs: 1e9, messageRate: 1e9 };

export function makePeers(transport: "ws-msgpack" | "stratum", core: BridgeCore, n: number): BenchPeer[] {
  const counters = new DownstreamCounters();
  const peers: BenchPeer[] = [];
  if (transport === "ws-msgpack") {
    const ctx: WsContext = {
      core,
      counters,
      log: silentLogger,
      now: Date.now,
      limits: LIMITS,
      maxFrameBytes: 4096,
      jsonFrameBytes: 16384,
      maxBufferedBytes: 1 << 30,
      detectMs: 1000,
      defaultWorker: "anonymous",
      closed() {},
    };
    for (let i = 0; i < n; i++) peers.push(wsPeer(ctx, i));
  } else {
    for (let i = 0; i < n; i++) peers.push(stratumPeer(core, i));
  }
  return peers;
}

function wsPeer(ctx: WsContext, i: number): BenchPeer {
  let job: { jobId: string; prefix: Uint8Array } | null = null;
  let frames: Uint8Array[] = [];
  let next = 0;
  const peer = {
    replies: 0,
    ready: () => job !== null,
    prepare(count: number) {
      const { jobId, prefix } = job!;
      // Views into one buffer, as a socket's reads arrive (not each a typed array of its own).
      const encoded: Uint8Array[] = [];
      for (let c = 0; c < count; c++) {
        const nonce = new Uint8Array(NONCE_TAIL_BYTES - prefix.length);
        new DataView(nonce.buffer).setUint32(TAIL_COUNTER_OFFSET - prefix.length, c, true);
        encoded.push(encodeClientFrame({ type: "share", seq: c, jobId, nonce }));
      }
      const all = new Uint8Array(encoded.reduce((n, f) => n + f.length, 0));
      let at = 0;
      frames = encoded.map((f) => {
        all.set(f, at);
        at += f.length;
        return all.subarray(at - f.length, at);
      });
    },
    send: () => conn.onMessage(frames[next++]!),
  };
  const socket: WsPeer = {
    send(data) {
      if (job !== null) peer.replies++;
      else {
        const f = decodeServerFrame(data as Uint8Array);
        if (f.type === "job") job = { jobId: f.jobId, prefix: f.prefix };
      }
      return data.length;
    },
    bufferedAmount: () => 0,
    close() {},
    terminate() {},
  };
  const conn = new WsConnection(socket, ctx, {
    id: i + 1,
    remote: "127.0.0.1",
    mode: "msgpack",
    worker: null,
    agent: null,
  });
  conn.start();
  conn.onMessage(encodeClientFrame({ type: "hello", worker: `${ADDRESS}.w${i}`, agent: null }));
  return peer;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** Fixed-width placeholders in the submit line, overwritten per share: the request id and the counter. */
const ID = "1000000000";
const COUNTER = "CCCCCCCC";

function stratumPeer(core: BridgeCore, i: number): BenchPeer {
  const worker = `${ADDRESS}.w${i}`;
  let xn1: string | null = null;
  let notify: string[] | null = null;
  let line = new Uint8Array(0);
  let idAt = 0;
  let counterAt = 0;
  let next = 0;
  const peer = {
    replies: 0,
    ready: () => xn1 !== null && notify !== null,
    prepare() {
      const n = notify!;
      // The template (notify param 8) zero-padded, its last 15 bytes the tail: xn1 ‖ zeros ‖ counter.
      const template = n[8]!
        .padEnd(2 * SOLUTION_BYTES, "0")
        .slice(0, 2 * (SOLUTION_BYTES - NONCE_TAIL_BYTES));
      const tail = xn1! + "00".repeat(TAIL_COUNTER_OFFSET - xn1!.length / 2) + COUNTER;
      const xn2 = "00".repeat(NONCE_BYTES - xn1!.length / 2);
      const text = `{"id":${ID},"method":"mining.submit","params":["${worker}","${n[0]}","${n[5]}","${xn2}","fd4005${template}${tail}"]}\n`;
      line = encoder.encode(text);
      idAt = text.indexOf(ID);
      counterAt = text.indexOf(COUNTER);
    },
    send() {
      // Patched in place: the connection has read the last line whole before the next one comes.
      const out = line;
      const id = String(Number(ID) + next);
      for (let j = 0; j < ID.length; j++) out[idAt + j] = id.charCodeAt(j);
      // The counter as 8 hex digits: unique per share is all that matters.
      const hex = next.toString(16).padStart(8, "0");
      for (let j = 0; j < 8; j++) out[counterAt + j] = hex.charCodeAt(j);
      next++;
      conn.onData(out);
    },
  };
  const socket = {
    write(data: Uint8Array) {
      if (notify !== null) peer.replies++;
      else
        for (const l of decoder.decode(data).split("\n")) {
          if (l === "") continue;
          const m = JSON.parse(l) as { id: unknown; result?: unknown; method?: string; params?: string[] };
          if (m.id === 1) xn1 = (m.result as string[])[1]!;
          if (m.method === "mining.notify") notify = m.params!;
        }
      return data.length;
    },
    end() {},
    terminate() {},
  };
  const miner = new StratumMiner(i + 1, "127.0.0.1", { core, token: "", log: silentLogger });
  const conn = new StratumConnection(
    socket,
    "127.0.0.1",
    miner,
    {
      garbage: "answer",
      decoder: { maxLineBytes: 16384, maxBufferedBytes: 65536 },
      maxOutboundBytes: 1 << 30,
      guard: new InboundGuard(LIMITS, Date.now()),
      now: Date.now,
    },
    { closed: () => miner.closed(), internalError: (e) => console.error(e) },
  );
  miner.conn = conn;
  conn.onData(
    encoder.encode(
      `{"id":1,"method":"mining.subscribe","params":["bench/1"]}\n{"id":2,"method":"mining.authorize","params":["${worker}","x"]}\n`,
    ),
  );
  return peer;
}
