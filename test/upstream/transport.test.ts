// The Bun.connect adapter on its own: coded connect errors, partial writes flushed on drain in
// order, the outgoing cap, and exactly one asynchronous close.

import { afterEach, describe, expect, test } from "bun:test";
import { createServer, type Server, type Socket as NetSocket } from "node:net";
import type { UpstreamError } from "../../src/upstream/errors.ts";
import { DEFAULT_TLS_POLICY } from "../../src/upstream/tls.ts";
import {
  connectError,
  connectTransport,
  type Transport,
  type TransportOptions,
} from "../../src/upstream/transport.ts";
import { parsePoolUrl } from "../../src/upstream/url.ts";
import { refusedPort } from "./fake-pool.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Outcome {
  opened: boolean;
  received: number;
  closes: UpstreamError[];
  closed: Promise<UpstreamError>;
  transport: Transport;
}

function open(url: string, o: Partial<TransportOptions> = {}): Outcome {
  let resolveClosed!: (e: UpstreamError) => void;
  const out = {
    opened: false,
    received: 0,
    closes: [] as UpstreamError[],
    closed: new Promise<UpstreamError>((r) => (resolveClosed = r)),
  } as Outcome;
  out.transport = connectTransport(
    {
      endpoint: parsePoolUrl(url),
      tls: DEFAULT_TLS_POLICY,
      connectTimeoutMs: 3000,
      maxWriteBufferBytes: 1 << 20,
      ...o,
    },
    {
      onOpen: () => (out.opened = true),
      onData: (b) => (out.received += b.length),
      onClose: (reason) => {
        out.closes.push(reason);
        resolveClosed(reason);
      },
    },
  );
  cleanups.push(() => out.transport.close({ code: "E_CLIENT_CLOSED" } as UpstreamError));
  return out;
}

/** A node:net server (it can pause reading and send RST, which Bun.listen cannot). */
async function netServer(
  onConnection: (s: NetSocket) => void,
  options: { pauseOnConnect?: boolean } = {},
): Promise<Server> {
  const sockets = new Set<NetSocket>();
  const server = createServer(options, (s) => {
    sockets.add(s);
    s.on("error", () => {}); // the client side is what is under test
    s.on("close", () => sockets.delete(s));
    onConnection(s);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return server;
}

const portOf = (s: Server) => (s.address() as { port: number }).port;

describe("connect errors are coded", () => {
  test("refused", async () => {
    const t = open(`stratum+tcp://127.0.0.1:${refusedPort()}`);
    expect((await t.closed).code).toBe("E_CONNECT_REFUSED");
    expect(t.opened).toBe(false);
  });

  // Classified from the error Bun.connect rejects with: a real lookup would query a resolver off
  // this machine, and network tests stay on 127.0.0.1.
  test("a name that does not resolve", () => {
    const pool = parsePoolUrl("stratum+tcp://no-such-pool.invalid:3956");
    const byCode = connectError(Object.assign(new Error("lookup failed"), { code: "ENOTFOUND" }), pool);
    expect(byCode.code).toBe("E_CONNECT_DNS");
    expect(byCode.message).toContain("no-such-pool.invalid");
    expect(connectError(new Error("getaddrinfo EAI_AGAIN"), pool).code).toBe("E_CONNECT_DNS");
    expect(connectError(Object.assign(new Error("x"), { code: "ECONNREFUSED" }), pool).code).toBe(
      "E_CONNECT_REFUSED",
    );
    expect(connectError(Object.assign(new Error("x"), { code: "EHOSTUNREACH" }), pool).code).toBe(
      "E_CONNECT_FAILED",
    );
  });

  test("TLS to a server that never answers the handshake: connect timeout", async () => {
    const server = await netServer(() => {});
    const t = open(`stratum+ssl://127.0.0.1:${portOf(server)}`, { connectTimeoutMs: 150 });
    expect((await t.closed).code).toBe("E_CONNECT_TIMEOUT");
    expect(t.opened).toBe(false);
  });

  test("TLS to a plain-TCP pool: handshake failure", async () => {
    const server = await netServer((s) =>
      s.on("data", () => s.write('{"id":1,"result":true,"error":null}\n')),
    );
    const t = open(`stratum+tls://127.0.0.1:${portOf(server)}`);
    expect((await t.closed).code).toBe("E_TLS_HANDSHAKE");
  });

  test("TLS to a server that hangs up at once: handshake failure", async () => {
    const server = await netServer((s) => s.end());
    const t = open(`stratum+ssl://127.0.0.1:${portOf(server)}`);
    expect((await t.closed).code).toBe("E_TLS_HANDSHAKE");
  });

  test("the pool resets the connection", async () => {
    const server = await netServer((s) => s.on("data", () => s.resetAndDestroy()));
    const t = open(`stratum+tcp://127.0.0.1:${portOf(server)}`);
    await Bun.sleep(20);
    t.transport.write("hello\n");
    expect((await t.closed).code).toBe("E_CONNECTION_RESET");
  });
});

describe("writes", () => {
  test("a backlog far beyond the socket buffer arrives complete and in order (partial writes + drain)", async () => {
    const chunks: Buffer[] = [];
    let done!: () => void;
    const received = new Promise<void>((r) => (done = r));
    const total = 8 * 1024 * 1024;
    const server = await netServer((s) => {
      let n = 0;
      s.on("data", (d: Buffer) => {
        chunks.push(d);
        n += d.length;
        if (n >= total) done();
      });
    });
    const t = open(`stratum+tcp://127.0.0.1:${portOf(server)}`, { maxWriteBufferBytes: 2 * total });
    const line = (i: number) => String(i).padStart(8, "0") + "x".repeat(8 * 1024 - 9) + "\n";
    for (let i = 0; i < total / (8 * 1024); i++) t.transport.write(line(i));
    expect(t.transport.bufferedBytes).toBeGreaterThan(0); // the kernel did not take it all at once
    await received;
    const text = Buffer.concat(chunks).toString("latin1");
    expect(text.length).toBe(total);
    for (let i = 0; i < total / (8 * 1024); i += 97)
      expect(text.slice(i * 8 * 1024, i * 8 * 1024 + 8)).toBe(String(i).padStart(8, "0"));
    expect(t.transport.bufferedBytes).toBe(0);
    expect(t.closes).toEqual([]);
  });

  test("a pool that stops reading: more than maxWriteBufferBytes unsent → E_WRITE_OVERFLOW", async () => {
    const server = await netServer(() => {}, { pauseOnConnect: true });
    const t = open(`stratum+tcp://127.0.0.1:${portOf(server)}`, { maxWriteBufferBytes: 64 * 1024 });
    while (!t.opened) await Bun.sleep(1);
    const block = "y".repeat(64 * 1024 - 1) + "\n";
    for (let i = 0; i < 1024 && t.closes.length === 0; i++) {
      t.transport.write(block);
      if (i % 16 === 15) await Bun.sleep(1);
    }
    const reason = await t.closed;
    expect(reason.code).toBe("E_WRITE_OVERFLOW");
    expect(reason.detail).toMatchObject({ limit: 64 * 1024 });
  });

  test("onClose is called once, after the call that caused it returned", async () => {
    const server = await netServer(() => {});
    const t = open(`stratum+tcp://127.0.0.1:${portOf(server)}`);
    while (!t.opened) await Bun.sleep(1);
    t.transport.close({ code: "E_CLIENT_CLOSED" } as UpstreamError);
    expect(t.closes).toEqual([]);
    t.transport.close({ code: "E_SWITCH_PRIMARY" } as UpstreamError);
    t.transport.write("ignored\n");
    await t.closed;
    await Bun.sleep(10);
    expect(t.closes.map((c) => c.code)).toEqual(["E_CLIENT_CLOSED"]);
  });
});
