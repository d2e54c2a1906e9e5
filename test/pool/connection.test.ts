// The transport adapter with a fake socket: framing, closes and their reasons, partial writes,
// the outgoing cap, and bugs contained to one connection.

import { describe, expect, test } from "bun:test";
import { Connection, type PeerSocket } from "../../src/pool/connection.ts";
import type { CloseReason } from "../../src/pool/errors.ts";
import { JobTable } from "../../src/pool/jobs.ts";
import { seededRandom } from "../../src/pool/random.ts";
import { Session, type SessionContext } from "../../src/pool/session.ts";
import { SyntheticJobSource } from "../../src/pool/synthetic.ts";

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

function setup(options: { floodGuardBytes?: number | null; maxOutboundBytes?: number; ctx?: Partial<SessionContext> } = {}) {
  const source = new SyntheticJobSource({ random: seededRandom(1), jobIntervalMs: 5000, blockIntervalMs: 60000 }, 0);
  const jobs = new JobTable();
  jobs.push(source.current.job, true);
  const ctx: SessionContext = {
    jobs,
    hashers: { hash22: () => new Uint8Array(32).fill(0xff), preHeaderHash: () => new Uint8Array(32) },
    currentJob: () => source.current.job,
    now: () => 0,
    ...options.ctx,
  };
  const session = new Session({ id: 1, extranonce1: "1a2b3c4d", difficulty: 1, vardiff: null }, ctx);
  const socket = new FakeSocket();
  const closes: [CloseReason, string][] = [];
  const bugs: unknown[] = [];
  const conn = new Connection(
    socket,
    "test",
    session,
    { floodGuardBytes: options.floodGuardBytes === undefined ? 10_240 : options.floodGuardBytes, maxOutboundBytes: options.maxOutboundBytes ?? 1 << 20 },
    { closed: (_, reason, detail) => closes.push([reason, detail]), internalError: (_, e) => bugs.push(e) },
  );
  const feed = (s: string) => conn.onData(encoder.encode(s));
  return { conn, socket, closes, bugs, feed, source };
}

const PING = '{"id":1,"method":"mining.ping","params":[]}\n';

describe("Connection", () => {
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
    expect(lines.map((l) => JSON.parse(l).method ?? "reply")).toEqual(["reply", "mining.set_target", "mining.notify"]);
  });

  test("a malformed line closes with 'malformed' and a FIN", () => {
    const { conn, socket, closes, feed } = setup();
    feed("nope\n" + PING);
    expect(closes).toEqual([["malformed", expect.stringContaining("E_BAD_JSON")]]);
    expect(socket.ended).toBe(true);
    expect(socket.out).toBe(""); // the ping after it is never handled
    expect(conn.closed).toBe(true);
    feed(PING);
    expect(closes).toHaveLength(1);
  });

  test("the flood guard counts the whole read, complete lines included", () => {
    const { closes, feed } = setup({ floodGuardBytes: 4096 });
    feed(PING.repeat(Math.ceil(4097 / PING.length)));
    expect(closes).toEqual([["flood", expect.stringContaining("E_BUFFER_OVERFLOW")]]);
  });

  test("without the flood guard the same read is answered", () => {
    const { closes, socket, feed } = setup({ floodGuardBytes: null });
    const n = Math.ceil(4097 / PING.length);
    feed(PING.repeat(n));
    expect(closes).toEqual([]);
    expect(socket.out.trimEnd().split("\n")).toHaveLength(n);
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
    const { conn, socket, closes, source } = setup({ maxOutboundBytes: 4096 });
    conn.onData(encoder.encode('{"id":1,"method":"mining.subscribe","params":[]}\n'));
    socket.budget = 0;
    for (let i = 0; i < 20 && !conn.closed; i++) conn.send(conn.session.jobLines(source.newJob(i * 1000).job));
    expect(closes).toEqual([["slow-reader", expect.any(String)]]);
    expect(socket.terminated).toBe(true);
  });

  test("a bug while handling a line closes only this connection, reported, never thrown", () => {
    const boom = new TypeError("boom");
    const { closes, bugs, feed } = setup({
      ctx: {
        currentJob: () => {
          throw boom;
        },
      },
    });
    expect(() => feed('{"id":1,"method":"mining.subscribe","params":[]}\n')).not.toThrow();
    expect(bugs).toEqual([boom]);
    expect(closes).toEqual([["internal", "boom"]]);
  });

  test("the peer closing is reported once", () => {
    const { conn, closes } = setup();
    conn.onPeerClosed();
    conn.onPeerClosed();
    conn.close("stopped", "x");
    expect(closes).toEqual([["peer", "connection closed"]]);
  });
});
