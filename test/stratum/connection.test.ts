// The Stratum socket adapter with a fake socket, behind the built-in pool's miner hooks: framing,
// closes and their codes, partial writes, the outgoing cap, the guard's limits, and bugs contained
// to one connection.

import { describe, expect, test } from "bun:test";
import { InboundGuard } from "../../src/net/guard.ts";
import { JobTable } from "../../src/pool/jobs.ts";
import { PoolMiner, type PoolMinerContext } from "../../src/pool/miner.ts";
import { seededRandom } from "../../src/pool/random.ts";
import { decoderOptions } from "../../src/pool/server.ts";
import { SyntheticJobSource } from "../../src/pool/synthetic.ts";
import type { CloseReason } from "../../src/protocol/close-codes.ts";
import { StratumConnection, type PeerSocket } from "../../src/stratum/connection.ts";
import type { LineDecoderOptions } from "../../src/protocol/framing.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

class FakeSocket implements PeerSocket {
  budget = Infinity;
  out = "";
  ended = false;
  terminated = false;
  write(d: Uint8Array): number {
    if (this.ended || this.terminated) return -1;
    const n = Math.min(d.length, this.budget);
    this.budget -= n;
    this.out += decoder.decode(d.subarray(0, n));
    return n;
  }
  end(): void {
    this.ended = true;
  }
  terminate(): void {
    this.terminated = true;
  }
}

function setup(
  options: {
    floodGuardBytes?: number | null;
    decoder?: LineDecoderOptions;
    maxOutboundBytes?: number;
    guard?: InboundGuard;
    hello?: () => boolean;
  } = {},
) {
  const source = new SyntheticJobSource(
    { random: seededRandom(1), jobIntervalMs: 5000, blockIntervalMs: 60000 },
    0,
  );
  const jobs = new JobTable();
  jobs.push(source.current.job, true);
  const ctx: PoolMinerContext = {
    jobs,
    hashers: { hash22: () => new Uint8Array(32).fill(0xff), preHeaderHash: () => new Uint8Array(32) },
    now: () => 0,
  };
  const miner = new PoolMiner({ id: 1, extranonce1: "1a2b3c4d", difficulty: 1, vardiff: null }, ctx);
  if (options.hello !== undefined) miner.hello = options.hello;
  const socket = new FakeSocket();
  const closes: [CloseReason, string][] = [];
  const bugs: unknown[] = [];
  let badLines = 0;
  const conn = new StratumConnection(
    socket,
    "test",
    miner,
    {
      garbage: options.guard === undefined ? "close" : "answer",
      decoder:
        options.decoder ??
        decoderOptions(options.floodGuardBytes === undefined ? 10_240 : options.floodGuardBytes),
      maxOutboundBytes: options.maxOutboundBytes ?? 1 << 20,
      guard: options.guard ?? null,
      now: () => 0,
    },
    {
      closed: (reason, detail) => closes.push([reason, detail]),
      internalError: (e) => bugs.push(e),
      badLine: () => badLines++,
    },
  );
  conn.session.work(miner.workFor(source.current.job, true));
  const feed = (s: string) => conn.onData(encoder.encode(s));
  return { conn, socket, closes, bugs, feed, source, miner, badLines: () => badLines };
}

const PING = '{"id":1,"method":"mining.ping","params":[]}\n';

describe("StratumConnection", () => {
  test("answers complete lines, holds partial ones", () => {
    const { socket, feed } = setup();
    feed(PING.slice(0, 10));
    expect(socket.out).toBe("");
    feed(PING.slice(10));
    expect(socket.out).toBe('{"id":1,"result":"pong","error":null}\n');
  });

  test("all lines of one read go out in one write", () => {
    const { socket, feed } = setup();
    feed('{"id":1,"method":"mining.subscribe","params":[]}\n');
    const lines = socket.out.trimEnd().split("\n");
    expect(lines.map((l) => JSON.parse(l).method ?? "reply")).toEqual([
      "reply",
      "mining.set_target",
      "mining.notify",
    ]);
  });

  test("a malformed line closes with E_MALFORMED and a FIN (the pool, as v-nomp)", () => {
    const { conn, socket, closes, feed } = setup();
    feed("nope\n" + PING);
    expect(closes).toEqual([["E_MALFORMED", expect.stringContaining("E_BAD_JSON")]]);
    expect(socket.ended).toBe(true);
    expect(socket.out).toBe(""); // the ping after it is never handled
    expect(conn.closed).toBe(true);
    feed(PING);
    expect(closes).toHaveLength(1);
  });

  test("the flood guard counts the whole read, complete lines included", () => {
    const { closes, feed } = setup({ floodGuardBytes: 4096 });
    feed(PING.repeat(Math.ceil(4097 / PING.length)));
    expect(closes).toEqual([["E_FRAME_TOO_LARGE", expect.stringContaining("E_BUFFER_OVERFLOW")]]);
  });

  test("without the flood guard the same read is answered", () => {
    const { closes, socket, feed } = setup({ floodGuardBytes: null });
    const n = Math.ceil(4097 / PING.length);
    feed(PING.repeat(n));
    expect(closes).toEqual([]);
    expect(socket.out.trimEnd().split("\n")).toHaveLength(n);
  });

  test('the bridge\'s caps (bufferCap "partial"): one read of > 64 KiB of complete lines is answered; a long partial line still closes', () => {
    const bridge = { maxLineBytes: 16_384, maxBufferedBytes: 65_536, bufferCap: "partial" } as const;
    const { closes, socket, feed } = setup({ decoder: bridge });
    const n = Math.ceil((70 * 1024) / PING.length);
    feed(PING.repeat(n));
    expect(closes).toEqual([]);
    expect(socket.out.trimEnd().split("\n")).toHaveLength(n);
    // The same read with the whole read counted (the pool's way) overflows.
    const counted = setup({ decoder: { ...bridge, bufferCap: "read" } });
    counted.feed(PING.repeat(n));
    expect(counted.closes).toEqual([["E_FRAME_TOO_LARGE", expect.stringContaining("E_BUFFER_OVERFLOW")]]);
    // Per line: a partial line over maxLineBytes closes, however it arrives.
    const long = setup({ decoder: bridge });
    long.feed(PING.repeat(3) + '{"id":1,"method":"mining.ping","params":["' + "x".repeat(16_400));
    expect(long.closes).toEqual([["E_FRAME_TOO_LARGE", expect.stringContaining("E_LINE_TOO_LONG")]]);
  });

  test("partial writes are completed on drain", () => {
    const { conn, socket, feed } = setup();
    socket.budget = 5;
    feed(PING);
    expect(socket.out).toHaveLength(5);
    expect(conn.pendingBytes).toBeGreaterThan(0);
    socket.budget = Infinity;
    conn.onDrain();
    expect(socket.out).toBe('{"id":1,"result":"pong","error":null}\n');
    expect(conn.pendingBytes).toBe(0);
  });

  test("a peer that does not read is cut off at the outgoing cap", () => {
    const { conn, socket, closes, source, miner } = setup({ maxOutboundBytes: 4096 });
    conn.onData(encoder.encode('{"id":1,"method":"mining.subscribe","params":[]}\n'));
    socket.budget = 0;
    for (let i = 0; i < 20 && !conn.closed; i++)
      conn.session.work(miner.workFor(source.newJob(i * 1000).job, false));
    expect(closes).toEqual([["E_SLOW_READER", expect.any(String)]]);
    expect(socket.terminated).toBe(true);
  });

  test("a bug while handling a line closes only this connection, reported, never thrown", () => {
    const boom = new TypeError("boom");
    const { closes, bugs, feed } = setup({
      hello: () => {
        throw boom;
      },
    });
    expect(() => feed('{"id":1,"method":"mining.subscribe","params":[]}\n')).not.toThrow();
    expect(bugs).toEqual([boom]);
    expect(closes).toEqual([["E_INTERNAL", "boom"]]);
  });

  test("the peer closing is reported once", () => {
    const { conn, closes } = setup();
    conn.onPeerClosed();
    conn.onPeerClosed();
    conn.close("E_POOL_CLOSING", "x");
    expect(closes).toEqual([["peer", "connection closed"]]);
  });

  test("with a guard: bad lines are answered and counted, and the 5th closes E_TOO_MANY_BAD_FRAMES", () => {
    const guard = new InboundGuard({ handshakeMs: 10_000, idleMs: 60_000, messageRate: 100 }, 0);
    const { socket, closes, feed, badLines } = setup({ guard });
    for (let i = 0; i < 4; i++) feed("nope\n");
    expect(socket.out.trimEnd().split("\n")).toHaveLength(4);
    expect(closes).toEqual([]);
    feed("nope\n");
    expect(closes).toEqual([["E_TOO_MANY_BAD_FRAMES", "5 bad lines"]]);
    expect(badLines()).toBe(5);
  });

  test("with a guard: lines past the message rate close E_RATE_LIMITED; deadlines come from tick()", () => {
    const guard = new InboundGuard({ handshakeMs: 1000, idleMs: 60_000, messageRate: 2 }, 0);
    const { closes, feed } = setup({ guard });
    feed(PING.repeat(5));
    expect(closes).toEqual([["E_RATE_LIMITED", "too many lines per second"]]);
    const late = setup({
      guard: new InboundGuard({ handshakeMs: 1000, idleMs: 60_000, messageRate: 100 }, 0),
    });
    late.conn.tick(500);
    expect(late.closes).toEqual([]);
    late.conn.tick(1001);
    expect(late.closes).toEqual([["E_HANDSHAKE_TIMEOUT", expect.any(String)]]);
  });
});
