// The bridge's own HTTP/1.1 + WebSocket server (src/downstream/http-connection.ts behind its doorway)
// spoken to by hand over raw loopback sockets: keep-alive and its deadline, slowloris and silent
// sockets (their slots given back), pipelining, the 400/405/431 answers, HEAD, the WebSocket
// handshake's errors and frames, PROXY headers from trusted and untrusted peers, and which
// X-Forwarded-For is believed for the loopback-only /stats. Refusals are asserted by code.

import { describe, expect, test } from "bun:test";
import type { Socket, TCPSocketConnectOptions } from "bun";
import { encodeProxyV1, encodeProxyV2 } from "../../src/net/proxy-protocol.ts";
import { encodeClientFrame as wsFrame } from "../../src/net/websocket.ts";
import { encodeClientFrame as msgpackFrame, MSGPACK_SUBPROTOCOL } from "../../src/protocol/ws-msgpack.ts";
import { harness, until } from "./harness.ts";

const h = harness();
const WAIT_MS = 5000;
const latin1 = new TextDecoder("latin1");

// Bun.connect binds the local address it is given; bun-types 1.4.5 lacks the key.
type ConnectFrom = TCPSocketConnectOptions<undefined> & { localAddress?: string };

/** A raw TCP client: everything it received, and whether the server closed it. */
class Raw {
  bytes = new Uint8Array(0);
  closed = false;
  #socket!: Socket<undefined>;

  static async open(port: number, localAddress?: string): Promise<Raw> {
    const c = new Raw();
    c.#socket = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      ...(localAddress === undefined ? {} : { localAddress }),
      socket: {
        data: (_s, d) => {
          const next = new Uint8Array(c.bytes.length + d.length);
          next.set(c.bytes);
          next.set(d, c.bytes.length);
          c.bytes = next;
        },
        close: () => void (c.closed = true),
        error: () => void (c.closed = true),
      },
    } as ConnectFrom);
    return h.track(c);
  }

  get text(): string {
    return latin1.decode(this.bytes);
  }

  write(data: string | Uint8Array): void {
    this.#socket.write(data);
  }

  async until(f: () => boolean, what: string, timeoutMs = WAIT_MS): Promise<void> {
    await until(f, `${what}; got ${JSON.stringify(this.text.slice(0, 300))}`, timeoutMs);
  }

  /** Waits for `n` whole HTTP responses (Content-Length bodies; HEAD answers have none). */
  async responses(n: number, heads = 0): Promise<Response[]> {
    let got: Response[] = [];
    await this.until(() => (got = parseResponses(this.text, heads)).length >= n, `${n} responses`);
    return got;
  }

  async closedByServer(): Promise<void> {
    await this.until(() => this.closed, "the server to close");
  }

  close(): void {
    if (!this.closed) this.#socket.end();
  }
}

interface Response {
  status: number;
  headers: Map<string, string>;
  body: string;
}

/** HTTP responses in `text`; the first `heads` of them answer HEAD requests (no body). */
function parseResponses(text: string, heads: number): Response[] {
  const out: Response[] = [];
  let at = 0;
  for (;;) {
    const end = text.indexOf("\r\n\r\n", at);
    if (end < 0) return out;
    const [line, ...fields] = text.slice(at, end).split("\r\n");
    const headers = new Map(
      fields.map((f) => [f.slice(0, f.indexOf(":")).toLowerCase(), f.slice(f.indexOf(":") + 1).trim()]),
    );
    const length = out.length < heads ? 0 : Number(headers.get("content-length") ?? 0);
    if (text.length < end + 4 + length) return out;
    out.push({ status: Number(line!.split(" ")[1]), headers, body: text.slice(end + 4, end + 4 + length) });
    at = end + 4 + length;
  }
}

interface Frame {
  opcode: number;
  payload: Uint8Array;
}

/** The server's WebSocket frames (unmasked) after the 101 head. */
function serverFrames(bytes: Uint8Array): Frame[] {
  const text = latin1.decode(bytes);
  let at = text.indexOf("\r\n\r\n") + 4;
  const out: Frame[] = [];
  while (at + 2 <= bytes.length) {
    let len = bytes[at + 1]! & 0x7f;
    let p = at + 2;
    if (len === 126) [len, p] = [(bytes[p]! << 8) | bytes[p + 1]!, p + 2];
    else if (len === 127) throw new Error("no 64-bit lengths in these tests");
    if (p + len > bytes.length) break;
    out.push({ opcode: bytes[at]! & 0x0f, payload: bytes.slice(p, p + len) });
    at = p + len;
  }
  return out;
}

const closeCode = (f: Frame) => (f.payload[0]! << 8) | f.payload[1]!;
const closeReason = (f: Frame) => latin1.decode(f.payload.subarray(2));

const get = (path: string, extra = "") => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}\r\n`;
const upgrade = (extra = "", key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n") =>
  get("/ws", `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n${key}${extra}`);

describe("HTTP/1.1", () => {
  test("keep-alive: two requests on one socket are both answered", async () => {
    const s = h.start();
    const c = await Raw.open(s.ds.port);
    c.write(get("/health"));
    const [r1] = await c.responses(1);
    expect([r1!.status, r1!.headers.get("connection")]).toEqual([200, "keep-alive"]);
    c.write(get("/nope"));
    const rs = await c.responses(2);
    expect(rs.map((r) => r.status)).toEqual([200, 404]);
    expect([c.closed, s.ds.sockets().open]).toEqual([false, 1]);
  });

  test("an idle keep-alive connection is closed after keepalive_timeout; its slot is freed", async () => {
    const s = h.start({ keepalive_timeout: 0.3, handshake_timeout: 30 });
    const c = await Raw.open(s.ds.port);
    c.write(get("/health"));
    await c.responses(1);
    expect(s.ds.sockets()).toMatchObject({ open: 1, pending: 1 });
    const t0 = Date.now();
    await c.closedByServer();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(s.ds.stats().refused).toEqual({ E_KEEPALIVE_TIMEOUT: 1 });
    await until(() => s.ds.sockets().open === 0, "the slot back");
  });

  test("slowloris: a head trickled byte by byte past handshake_timeout is closed (E_HEADER_TIMEOUT)", async () => {
    const s = h.start({ handshake_timeout: 0.4 });
    const c = await Raw.open(s.ds.port);
    const head = get("/health", `X-Slow: ${"s".repeat(200)}\r\n`);
    for (let i = 0; i < head.length && !c.closed; i++) {
      c.write(head[i]!);
      await Bun.sleep(10);
    }
    expect(c.closed).toBe(true); // before the head was whole: 200+ bytes at 10 ms take > 2 s
    expect(c.text).toBe("");
    expect(s.ds.stats().refused).toEqual({ E_HEADER_TIMEOUT: 1 });
    await until(() => s.ds.sockets().open === 0, "the slot back");
  });

  test("a socket that never sends is closed after handshake_timeout, its slot freed", async () => {
    const s = h.start({ handshake_timeout: 0.3 });
    const c = await Raw.open(s.ds.port);
    await until(() => s.ds.sockets().open === 1, "the socket counted");
    await c.closedByServer();
    expect(s.ds.stats().refused).toEqual({ E_HEADER_TIMEOUT: 1 });
    await until(() => s.ds.sockets().open === 0, "the slot back");
  });

  test("pipelined requests in one write are answered in order", async () => {
    const s = h.start();
    const c = await Raw.open(s.ds.port);
    c.write(get("/health") + get("/health") + get("/missing"));
    const rs = await c.responses(3);
    expect(rs.map((r) => r.status)).toEqual([200, 200, 404]);
    expect(JSON.parse(rs[1]!.body).ok).toBe(true);
  });

  test("a head over 8 KiB: 431, then closed", async () => {
    const s = h.start();
    const c = await Raw.open(s.ds.port);
    c.write(get("/health", `X-Big: ${"x".repeat(8300)}\r\n`));
    const [r] = await c.responses(1);
    expect([r!.status, r!.headers.get("connection"), r!.body]).toEqual([431, "close", "E_HTTP_TOO_LARGE\n"]);
    await c.closedByServer();
    expect(s.ds.stats().refused).toEqual({ E_HTTP_TOO_LARGE: 1 });
  });

  test("garbage: 400, then closed", async () => {
    const s = h.start();
    const c = await Raw.open(s.ds.port);
    c.write("\x16\x03\x01 hello\r\n\r\n");
    const [r] = await c.responses(1);
    expect([r!.status, r!.body]).toEqual([400, "E_HTTP_MALFORMED\n"]);
    await c.closedByServer();
    expect(s.ds.stats().refused).toEqual({ E_HTTP_MALFORMED: 1 });
    await until(() => s.ds.sockets().open === 0, "the slot back");
  });

  test("POST with a body: 405 and closed (bodies are never read)", async () => {
    const s = h.start();
    const c = await Raw.open(s.ds.port);
    c.write("POST /health HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc");
    const [r] = await c.responses(1);
    expect([r!.status, r!.headers.get("connection")]).toEqual([405, "close"]);
    await c.closedByServer();
  });

  test("HEAD /health: the headers only, and the connection carries on", async () => {
    const s = h.start();
    const c = await Raw.open(s.ds.port);
    c.write(`HEAD /health HTTP/1.1\r\nHost: h\r\n\r\n` + get("/health"));
    const [head, body] = await c.responses(2, 1);
    expect(head!.status).toBe(200);
    expect(Number(head!.headers.get("content-length"))).toBe(body!.body.length);
    expect(c.text.indexOf("{")).toBeGreaterThan(c.text.lastIndexOf("HTTP/1.1 200")); // one body only
    expect(JSON.parse(body!.body).ok).toBe(true);
  });
});

describe("WebSocket over the raw port", () => {
  test("handshake errors: no key → 400; version 8 → 426 naming version 13", async () => {
    const s = h.start();
    const a = await Raw.open(s.ds.port);
    a.write(upgrade("", ""));
    expect((await a.responses(1))[0]!.status).toBe(400);
    const b = await Raw.open(s.ds.port);
    b.write(upgrade().replace("Version: 13", "Version: 8"));
    const [r] = await b.responses(1);
    expect([r!.status, r!.headers.get("sec-websocket-version")]).toEqual([426, "13"]);
  });

  /** An upgraded raw client (101 seen). */
  async function upgraded(port: number, extra = "", from?: string): Promise<Raw> {
    const c = await Raw.open(port, from);
    c.write(upgrade(extra));
    await c.until(() => c.text.startsWith("HTTP/1.1 101 ") && c.text.includes("\r\n\r\n"), "a 101");
    expect(c.text).toContain("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n");
    return c;
  }

  test("an unmasked client frame: a close frame 4400 E_MALFORMED, then the socket ends", async () => {
    const s = h.start();
    const c = await upgraded(s.ds.port);
    c.write(Uint8Array.of(0x82, 0x02, 0x01, 0x02));
    await c.closedByServer();
    const close = serverFrames(c.bytes).find((f) => f.opcode === 8)!;
    expect([closeCode(close), closeReason(close)]).toEqual([4400, "E_MALFORMED"]);
    expect(s.ds.stats().badFrames).toBe(1);
  });

  test("ping → pong with the same payload", async () => {
    const s = h.start();
    const c = await upgraded(s.ds.port);
    c.write(wsFrame(9, "are you there"));
    await c.until(() => serverFrames(c.bytes).some((f) => f.opcode === 10), "a pong");
    const pong = serverFrames(c.bytes).find((f) => f.opcode === 10)!;
    expect(latin1.decode(pong.payload)).toBe("are you there");
  });

  test("the client's close frame: ours echoes its code, then the socket ends", async () => {
    const s = h.start();
    const c = await upgraded(s.ds.port);
    c.write(wsFrame(8, Uint8Array.of(0x0f, 0xa0, 0x62, 0x79, 0x65))); // 4000 "bye"
    await c.closedByServer();
    const frames = serverFrames(c.bytes);
    expect(frames.map((f) => f.opcode)).toEqual([8]);
    expect(closeCode(frames[0]!)).toBe(4000);
    await until(() => s.ds.sockets().open === 0, "the slot back");
  });

  test("a PROXY v1 header from an untrusted peer is refused (E_PROXY_UNTRUSTED)", async () => {
    const s = h.start({ trusted_proxies: [], proxy_protocol: "optional" });
    const c = await Raw.open(s.ds.port);
    c.write(encodeProxyV1("203.0.113.9", 5000, "127.0.0.1", s.ds.port));
    c.write(get("/health"));
    await c.closedByServer();
    expect(c.text).toBe("");
    expect(s.ds.stats().refused).toEqual({ E_PROXY_UNTRUSTED: 1 });
    // Default trusted proxies (loopback), but this client connects from 127.0.0.2.
    const s2 = h.start({ trusted_proxies: ["127.0.0.1"], proxy_protocol: "optional" });
    const d = await Raw.open(s2.ds.port, "127.0.0.2");
    d.write(encodeProxyV1("203.0.113.9", 5000, "127.0.0.1", s2.ds.port));
    await d.closedByServer();
    expect(s2.ds.stats().refused).toEqual({ E_PROXY_UNTRUSTED: 1 });
  });

  test("PROXY v2 from a trusted peer names the client: the session's remote and its per-IP cap", async () => {
    const s = h.start({
      trusted_proxies: ["127.0.0.1"],
      proxy_protocol: "required",
      max_connections_per_ip: 1,
    });
    const proto = `Sec-WebSocket-Protocol: ${MSGPACK_SUBPROTOCOL}\r\n`;
    const open = async (ip: string) => {
      const c = await Raw.open(s.ds.port);
      c.write(encodeProxyV2(ip, 40000, "127.0.0.1", s.ds.port));
      c.write(upgrade(proto));
      return c;
    };
    const a = await open("203.0.113.9");
    await a.until(() => a.text.startsWith("HTTP/1.1 101 "), "a 101");
    a.write(wsFrame(2, msgpackFrame({ type: "hello", worker: "w", agent: null })));
    await until(() => s.core.sessions.length === 1, "a session");
    expect(s.core.sessions[0]!.hello.remote).toBe("203.0.113.9");
    expect(h.logs.some((l) => /^debug ws \d+ from 203\.0\.113\.9 connected/.test(l))).toBe(true);
    // The same client through the same proxy is over its cap of 1; another client is not.
    const b = await open("203.0.113.9");
    await b.closedByServer();
    expect(s.ds.stats().refused).toEqual({ E_TOO_MANY_FROM_ADDRESS: 1 });
    const c = await open("203.0.113.10");
    await c.until(() => c.text.startsWith("HTTP/1.1 101 "), "a 101 for another client");
  });

  test('proxy_protocol "required" and no header: E_PROXY_MISSING', async () => {
    const s = h.start({ trusted_proxies: ["127.0.0.1"], proxy_protocol: "required" });
    const c = await Raw.open(s.ds.port);
    c.write(get("/health"));
    await c.closedByServer();
    expect(c.text).toBe("");
    expect(s.ds.stats().refused).toEqual({ E_PROXY_MISSING: 1 });
  });
});

describe("X-Forwarded-For and the loopback-only /stats", () => {
  test("from a trusted (loopback) proxy it names the client: /stats 403", async () => {
    const s = h.start();
    const c = await Raw.open(s.ds.port);
    c.write(get("/stats", "X-Forwarded-For: 203.0.113.7\r\n"));
    expect((await c.responses(1))[0]!.status).toBe(403);
  });

  test("from an untrusted peer it is ignored: /stats 200", async () => {
    const s = h.start({ trusted_proxies: [] });
    const c = await Raw.open(s.ds.port);
    c.write(get("/stats", "X-Forwarded-For: 203.0.113.7\r\n"));
    const [r] = await c.responses(1);
    expect(r!.status).toBe(200);
    expect(JSON.parse(r!.body).downstream.sockets.open).toBe(1);
  });
});
