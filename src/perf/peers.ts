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

/**
 * One fake miner. `send` (one share into the connection) is set once the first job is in and the
 * `count` shares it may send are made; `replies` counts what is written after that: the verdicts.
 */
export type BenchPeer = { send: (() => void) | null; replies: number };

const ADDRESS = "RLn1WTymL5G9LHpiEZW29S3otu6bTHKob6";
/** No per-connection message limit or deadline gets in the way of a benchmark. */
const LIMITS = { handshakeMs: 1e9, idleMs: 1e9, messageRate: 1e9 };

export function makePeers(
  transport: "ws-msgpack" | "stratum",
  core: BridgeCore,
  n: number,
  count: number,
): BenchPeer[] {
  const make = transport === "ws-msgpack" ? wsPeer : stratumPeer;
  return Array.from({ length: n }, (_, i) => make(core, i, count));
}

function wsPeer(core: BridgeCore, i: number, count: number): BenchPeer {
  const peer: BenchPeer = { send: null, replies: 0 };
  const socket: WsPeer = {
    send(data) {
      if (peer.send !== null) peer.replies++;
      else {
        const f = decodeServerFrame(data as Uint8Array);
        if (f.type === "job") {
          const frames = Array.from({ length: count }, (_, c) => {
            const nonce = new Uint8Array(NONCE_TAIL_BYTES - f.prefix.length);
            new DataView(nonce.buffer).setUint32(TAIL_COUNTER_OFFSET - f.prefix.length, c, true);
            return encodeClientFrame({ type: "share", seq: c, jobId: f.jobId, nonce });
          });
          // Views into one buffer, as a socket's reads arrive (not each a typed array of its own).
          const all = Buffer.concat(frames);
          let at = 0;
          const views = frames.map((x) => all.subarray(at, (at += x.length)));
          let next = 0;
          peer.send = () => conn.onMessage(views[next++]!);
        }
      }
      return data.length;
    },
    bufferedAmount: () => 0,
    close() {},
    terminate() {},
  };
  const ctx: WsContext = {
    core,
    counters: new DownstreamCounters(),
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
  const init = { id: i + 1, remote: "127.0.0.1", mode: "msgpack", worker: null, agent: null } as const;
  const conn = new WsConnection(socket, ctx, init);
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
  const peer: BenchPeer = { send: null, replies: 0 };
  let xn1 = "";
  const socket = {
    write(data: Uint8Array) {
      if (peer.send !== null) peer.replies++;
      else
        for (const l of decoder.decode(data).split("\n")) {
          if (l === "") continue;
          const m = JSON.parse(l) as { id: unknown; result?: unknown; method?: string; params?: string[] };
          if (m.id === 1) xn1 = (m.result as string[])[1]!;
          if (m.method === "mining.notify") peer.send = submitter(worker, xn1, m.params!, conn);
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

/** Sends submits of the job in `notify` (its param 8 the template) with extranonce1 `xn1`. */
function submitter(worker: string, xn1: string, notify: string[], conn: StratumConnection): () => void {
  // The template zero-padded, its last 15 bytes the tail: xn1 ‖ zeros ‖ counter.
  const template = notify[8]!
    .padEnd(2 * SOLUTION_BYTES, "0")
    .slice(0, 2 * (SOLUTION_BYTES - NONCE_TAIL_BYTES));
  const tail = xn1 + "00".repeat(TAIL_COUNTER_OFFSET - xn1.length / 2) + COUNTER;
  const xn2 = "00".repeat(NONCE_BYTES - xn1.length / 2);
  const text = `{"id":${ID},"method":"mining.submit","params":["${worker}","${notify[0]}","${notify[5]}","${xn2}","fd4005${template}${tail}"]}\n`;
  const line = encoder.encode(text);
  const patch = (at: number, s: string) => {
    for (let j = 0; j < s.length; j++) line[at + j] = s.charCodeAt(j);
  };
  const [idAt, counterAt] = [text.indexOf(ID), text.indexOf(COUNTER)];
  let next = 0;
  return () => {
    // Patched in place: the connection has read the last line whole before the next one comes.
    patch(idAt, String(Number(ID) + next));
    // The counter as 8 hex digits: unique per share is all that matters.
    patch(counterAt, (next++).toString(16).padStart(8, "0"));
    conn.onData(line);
  };
}
