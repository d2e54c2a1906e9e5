// HTTP/1.1 request heads and response bytes (src/net/http1.ts), sans-IO: request lines and header
// fields as clients and proxies send them, heads split anywhere and pipelined, the caps exactly at
// and one past their limit (431), malformed heads (400), keep-alive and body rules, the responses
// we write. A seeded bounded fuzz: the reader only ever returns or throws HttpError.

import { describe, expect, test } from "bun:test";
import {
  HttpError,
  renderResponse,
  renderSwitch,
  RequestHeadReader,
  type HeadReaderOptions,
  type RequestHead,
} from "../../src/net/http1.ts";
import { prng } from "../protocol/fixtures.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder("latin1").decode(b);
const OPTS: HeadReaderOptions = { maxHeadBytes: 8192, maxHeaders: 64 };

function reader(o: Partial<HeadReaderOptions> = {}): RequestHeadReader {
  return new RequestHeadReader({ ...OPTS, ...o });
}

/** The head of one whole request given in one push; fails the test if it is not complete. */
function parse(s: string, o: Partial<HeadReaderOptions> = {}): RequestHead {
  const h = reader(o).push(enc(s));
  if (h === null) throw new Error("head not complete");
  return h;
}

/** The HttpError code and status a head is refused with. */
function refusal(s: string | Uint8Array, o: Partial<HeadReaderOptions> = {}): [string, number] {
  try {
    reader(o).push(typeof s === "string" ? enc(s) : s);
  } catch (e) {
    if (e instanceof HttpError) return [e.code, e.status];
    throw e;
  }
  throw new Error("no HttpError");
}

const plain = (h: RequestHead) => ({ ...h, headers: Object.fromEntries(h.headers) });

describe("request line and header fields", () => {
  test("origin-form GET: method, target, path, query, version, lower-case names", () => {
    const h = parse("GET /ws?worker=w1&token=t HTTP/1.1\r\nHost: b.example\r\nUser-Agent: x/1\r\n\r\n");
    expect(plain(h)).toEqual({
      method: "GET",
      target: "/ws?worker=w1&token=t",
      path: "/ws",
      query: "worker=w1&token=t",
      version: "1.1",
      headers: { host: "b.example", "user-agent": "x/1" },
      keepAlive: true,
      hasBody: false,
    });
  });

  test("values are trimmed; repeated fields are joined with a comma (RFC 9110 §5.3)", () => {
    const h = parse(
      "GET / HTTP/1.1\r\nHost:h\r\nX-Forwarded-For:  10.0.0.1 \r\nx-forwarded-for: 10.0.0.2\r\nX-Empty:\r\n\r\n",
    );
    expect(h.headers.get("host")).toBe("h");
    expect(h.headers.get("x-forwarded-for")).toBe("10.0.0.1, 10.0.0.2");
    expect(h.headers.get("x-empty")).toBe("");
  });

  test("bare LF line ends, and mixed CRLF / LF, are accepted (RFC 9112 §2.2)", () => {
    expect(parse("GET /a HTTP/1.1\nHost: h\n\n").path).toBe("/a");
    expect(parse("GET /b HTTP/1.1\r\nHost: h\n\r\n").path).toBe("/b");
    expect(parse("GET /c HTTP/1.1\nHost: h\r\n\n").headers.get("host")).toBe("h");
  });

  test("empty lines before the request line are skipped and not counted in the cap", () => {
    const r = reader({ maxHeadBytes: 64 });
    expect(r.push(enc("\r\n\r\n\n".repeat(40)))).toBeNull();
    expect(r.bufferedBytes).toBe(0);
    expect(r.push(enc("GET /x HTTP/1.1\r\nHost: h\r\n\r\n"))!.path).toBe("/x");
  });

  test("HEAD, other token methods and HTTP/1.0 without Host are read (the routes decide)", () => {
    expect(parse("HEAD /health HTTP/1.1\r\nHost: h\r\n\r\n").method).toBe("HEAD");
    expect(parse("M-SEARCH /x HTTP/1.0\r\n\r\n").method).toBe("M-SEARCH");
    const h = parse("GET /health HTTP/1.0\r\n\r\n");
    expect([h.version, h.headers.size]).toEqual(["1.0", 0]);
  });

  test("absolute-form targets (from a proxy): the path and query are taken from the URL", () => {
    const a = parse("GET http://b.example:8080/ws?x=1 HTTP/1.1\r\nHost: b.example\r\n\r\n");
    expect([a.target, a.path, a.query]).toEqual(["http://b.example:8080/ws?x=1", "/ws", "x=1"]);
    expect(parse("GET HTTPS://b.example HTTP/1.1\r\nHost: h\r\n\r\n").path).toBe("/");
    const q = parse("GET http://b.example?y=2 HTTP/1.1\r\nHost: h\r\n\r\n");
    expect([q.path, q.query]).toEqual(["/", "y=2"]);
    expect(parse("GET /p#frag HTTP/1.1\r\nHost: h\r\n\r\n").path).toBe("/p");
  });
});

describe("split and pipelined", () => {
  const HEAD = "GET /health?a=b HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\nAccept: */*\r\n\r\n";

  test("split at every byte: the same head, null until the last byte", () => {
    const whole = plain(parse(HEAD));
    const bytes = enc(HEAD);
    for (let i = 1; i < bytes.length; i++) {
      const r = reader();
      expect(r.push(bytes.subarray(0, i))).toBeNull();
      expect(r.bufferedBytes).toBe(i);
      expect(plain(r.push(bytes.subarray(i))!)).toEqual(whole);
      expect(r.takeRest().length).toBe(0);
    }
  });

  test("fed one byte at a time", () => {
    const r = reader();
    const bytes = enc(HEAD);
    let got: RequestHead | null = null;
    for (let i = 0; i < bytes.length; i++) {
      got = r.push(bytes.subarray(i, i + 1));
      if (i < bytes.length - 1) expect(got).toBeNull();
    }
    expect(got!.path).toBe("/health");
  });

  test("the pushed chunk is copied: the caller may reuse its buffer", () => {
    const r = reader();
    const chunk = enc("GET /one HTTP/1.1\r\n");
    expect(r.push(chunk)).toBeNull();
    chunk.fill(0x41);
    expect(r.push(enc("Host: h\r\n\r\n"))!.path).toBe("/one");
  });

  test("pipelined heads in one chunk: each comes out in order, the rest through takeRest", () => {
    const r = reader();
    const three = HEAD.replace("/health", "/1") + HEAD.replace("/health", "/2") + "GET /3 HTTP/1.1\r\nHo";
    expect(r.push(enc(three))!.path).toBe("/1");
    const rest = r.takeRest();
    expect(dec(rest)).toBe(HEAD.replace("/health", "/2") + "GET /3 HTTP/1.1\r\nHo");
    expect(r.bufferedBytes).toBe(0);
    expect(r.push(rest)!.path).toBe("/2");
    const partial = r.takeRest();
    expect(r.push(partial)).toBeNull();
    expect(r.push(enc("st: h\r\n\r\n"))!.path).toBe("/3");
  });

  test("bytes after an upgrade request's head (first WebSocket frames) are kept as they are", () => {
    const r = reader();
    const frame = Uint8Array.of(0x81, 0x85, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0x0d, 0x0a, 0x0d, 0x0a);
    const head = enc("GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n");
    const both = new Uint8Array(head.length + frame.length);
    both.set(head);
    both.set(frame, head.length);
    expect(r.push(both)!.path).toBe("/ws");
    expect([...r.takeRest()]).toEqual([...frame]);
  });
});

describe("caps (431 E_HTTP_TOO_LARGE)", () => {
  /** A head of exactly `n` bytes (request line + one padded field + the blank line). */
  function headOf(n: number): string {
    const base = "GET / HTTP/1.1\r\nHost: h\r\nX-Pad: \r\n\r\n";
    return base.replace("X-Pad: ", "X-Pad: " + "a".repeat(n - base.length));
  }

  test("a head of exactly maxHeadBytes is read; one byte more is refused", () => {
    expect(enc(headOf(200)).length).toBe(200);
    expect(parse(headOf(200), { maxHeadBytes: 200 }).headers.get("x-pad")!.length).toBeGreaterThan(100);
    expect(refusal(headOf(201), { maxHeadBytes: 200 })).toEqual(["E_HTTP_TOO_LARGE", 431]);
  });

  test("an unfinished head is refused as soon as it passes the cap, byte by byte too", () => {
    const r = reader({ maxHeadBytes: 100 });
    const bytes = enc("GET / HTTP/1.1\r\nX: " + "b".repeat(200));
    let thrownAt = -1;
    for (let i = 0; i < bytes.length && thrownAt < 0; i++) {
      try {
        r.push(bytes.subarray(i, i + 1));
        expect(r.bufferedBytes).toBeLessThanOrEqual(100);
      } catch (e) {
        expect((e as HttpError).code).toBe("E_HTTP_TOO_LARGE");
        thrownAt = i;
      }
    }
    expect(thrownAt).toBe(100); // the 101st byte
  });

  test("the default head cap: 8 KiB exactly passes, 8 KiB + 1 is refused", () => {
    expect(parse(headOf(8192)).method).toBe("GET");
    expect(refusal(headOf(8193))).toEqual(["E_HTTP_TOO_LARGE", 431]);
  });

  test("maxHeaders fields pass; one more is refused with 431", () => {
    const fields = (n: number) => Array.from({ length: n }, (_, i) => `X-${i}: v\r\n`).join("");
    expect(parse(`GET / HTTP/1.1\r\nHost: h\r\n${fields(4)}\r\n`, { maxHeaders: 5 }).headers.size).toBe(5);
    expect(refusal(`GET / HTTP/1.1\r\nHost: h\r\n${fields(5)}\r\n`, { maxHeaders: 5 })).toEqual([
      "E_HTTP_TOO_LARGE",
      431,
    ]);
  });
});

describe("malformed (400 E_HTTP_MALFORMED)", () => {
  const cases: [string, string][] = [
    ["HTTP/1.1 without Host", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n"],
    ["whitespace before the colon", "GET / HTTP/1.1\r\nHost : h\r\n\r\n"],
    ["obsolete line folding", "GET / HTTP/1.1\r\nHost: h\r\nX-A: one\r\n two\r\n\r\n"],
    ["folding with a tab", "GET / HTTP/1.1\r\nHost: h\r\nX-A: one\r\n\ttwo\r\n\r\n"],
    ["a field without a colon", "GET / HTTP/1.1\r\nHost: h\r\nnonsense\r\n\r\n"],
    ["an empty field name", "GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n"],
    ["a name with a non-token character", "GET / HTTP/1.1\r\nHost: h\r\nX(y): v\r\n\r\n"],
    ["a method with a non-token character", "G(T / HTTP/1.1\r\nHost: h\r\n\r\n"],
    ["two spaces in the request line", "GET  / HTTP/1.1\r\nHost: h\r\n\r\n"],
    ["no version", "GET /\r\nHost: h\r\n\r\n"],
    ["HTTP/2.0", "GET / HTTP/2.0\r\nHost: h\r\n\r\n"],
    ["HTTP/1.2", "GET / HTTP/1.2\r\nHost: h\r\n\r\n"],
    ["lower-case http", "GET / http/1.1\r\nHost: h\r\n\r\n"],
    ["a trailing space after the version", "GET / HTTP/1.1 \r\nHost: h\r\n\r\n"],
    ["a target that is neither a path nor a URL", "GET example.org:443 HTTP/1.1\r\nHost: h\r\n\r\n"],
    ["an asterisk target", "GET * HTTP/1.1\r\nHost: h\r\n\r\n"],
    ["a non-http scheme", "GET ftp://h/x HTTP/1.1\r\nHost: h\r\n\r\n"],
    ["garbage", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\n\n"],
    ["a TLS-ish line then a blank line", "hello there\r\n\r\n"],
  ];
  for (const [name, head] of cases) {
    test(name, () => {
      expect(refusal(head)).toEqual(["E_HTTP_MALFORMED", 400]);
    });
  }

  test("HttpError is a coded error with its status", () => {
    const e = new HttpError("E_HTTP_TOO_LARGE", "x");
    expect([e.code, e.status, e.name]).toEqual(["E_HTTP_TOO_LARGE", 431, "HttpError"]);
    expect(new HttpError("E_HTTP_MALFORMED", "x").status).toBe(400);
  });
});

describe("keep-alive and bodies", () => {
  const req = (version: string, fields: string) => parse(`GET / HTTP/${version}\r\nHost: h\r\n${fields}\r\n`);

  test("HTTP/1.1 is kept alive unless Connection: close (any case, in a list)", () => {
    expect(req("1.1", "").keepAlive).toBe(true);
    expect(req("1.1", "Connection: keep-alive\r\n").keepAlive).toBe(true);
    expect(req("1.1", "Connection: close\r\n").keepAlive).toBe(false);
    expect(req("1.1", "Connection: Upgrade, Close\r\n").keepAlive).toBe(false);
    expect(req("1.1", "Connection: Upgrade\r\n").keepAlive).toBe(true);
  });

  test("HTTP/1.0 is closed unless Connection: keep-alive", () => {
    expect(req("1.0", "").keepAlive).toBe(false);
    expect(req("1.0", "Connection: Keep-Alive\r\n").keepAlive).toBe(true);
    expect(req("1.0", "Connection: close\r\n").keepAlive).toBe(false);
  });

  test("a body announced (Content-Length > 0, Transfer-Encoding) is never kept alive", () => {
    const cases: [string, boolean][] = [
      ["Content-Length: 0\r\n", false],
      ["Content-Length: 000\r\n", false],
      ["Content-Length: 5\r\n", true],
      ["Content-Length: nonsense\r\n", true],
      ["Transfer-Encoding: chunked\r\n", true],
      ["Transfer-Encoding: chunked\r\nContent-Length: 0\r\n", true],
    ];
    for (const [fields, body] of cases) {
      const h = req("1.1", fields);
      expect([fields, h.hasBody, h.keepAlive]).toEqual([fields, body, !body]);
    }
    const h10 = req("1.0", "Connection: keep-alive\r\nContent-Length: 3\r\n");
    expect([h10.hasBody, h10.keepAlive]).toEqual([true, false]);
  });
});

describe("responses", () => {
  test("status line, the given headers, Content-Length, Connection, then the body", () => {
    const out = renderResponse(200, { "Content-Type": "text/plain" }, "ok\n", {
      head: false,
      keepAlive: true,
    });
    expect(dec(out)).toBe(
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\nok\n",
    );
  });

  test("a HEAD answer keeps the body's Content-Length but sends no body", () => {
    const body = Uint8Array.of(1, 2, 3, 4, 5);
    const out = dec(renderResponse(431, {}, body, { head: true, keepAlive: false }));
    expect(out).toBe(
      "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 5\r\nConnection: close\r\n\r\n",
    );
  });

  test("byte bodies are copied whole (UTF-8 strings counted in bytes); unknown statuses get a reason", () => {
    const out = renderResponse(299, {}, "é", { head: false, keepAlive: false });
    const text = dec(out);
    expect(text.startsWith("HTTP/1.1 299 Status\r\nContent-Length: 2\r\n")).toBe(true);
    expect([...out.subarray(out.length - 2)]).toEqual([0xc3, 0xa9]);
    expect(dec(renderResponse(204, {}, "", { head: false, keepAlive: true }))).toBe(
      "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n",
    );
  });

  test("101 Switching Protocols, with and without a subprotocol", () => {
    expect(dec(renderSwitch("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", null))).toBe(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
    );
    expect(dec(renderSwitch("k", "vbridge.msgpack.v1"))).toContain(
      "Sec-WebSocket-Accept: k\r\nSec-WebSocket-Protocol: vbridge.msgpack.v1\r\n\r\n",
    );
  });
});

describe("seeded fuzz", () => {
  test("mutated, truncated and random input: a head, null or HttpError, and the buffer stays capped", () => {
    const rand = prng(0x11);
    const int = (n: number) => Math.floor(rand() * n);
    const seeds = [
      "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
      "HEAD /health HTTP/1.0\nConnection: keep-alive\n\n",
      "GET http://h/stats?x=1 HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 1.2.3.4, 5.6.7.8\r\n\r\nGET / HTTP/1.1\r\n",
      "\r\n\r\nPOST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc",
    ].map(enc);
    const INTERESTING = [0x0d, 0x0a, 0x20, 0x3a, 0x09, 0x00, 0x7f, 0xff, 0x2f, 0x3f];
    const max = 256;
    const outcomes = { head: 0, pending: 0, malformed: 0, tooLarge: 0 };
    for (let round = 0; round < 3000; round++) {
      let b: Uint8Array;
      if (round % 5 === 4) {
        b = new Uint8Array(int(600));
        for (let i = 0; i < b.length; i++) b[i] = rand() < 0.3 ? INTERESTING[int(10)]! : int(256);
      } else {
        b = seeds[int(seeds.length)]!.slice();
        for (let k = int(6); k >= 0; k--) b[int(b.length)] = rand() < 0.7 ? INTERESTING[int(10)]! : int(256);
        if (rand() < 0.2) b = b.subarray(0, int(b.length));
        if (rand() < 0.2) {
          const big = new Uint8Array(b.length + 300);
          big.set(b);
          big.fill(0x61, b.length);
          b = big;
        }
      }
      const r = new RequestHeadReader({ maxHeadBytes: max, maxHeaders: 8 });
      let at = 0;
      try {
        // Random chunking; after a head, the rest is fed back as a server would.
        for (let steps = 0; at < b.length && steps < 64; steps++) {
          const n = 1 + int(b.length - at);
          const h = r.push(b.subarray(at, at + n));
          at += n;
          if (h === null) {
            expect(r.bufferedBytes).toBeLessThanOrEqual(max);
            outcomes.pending++;
            continue;
          }
          expect(h.path.startsWith("/")).toBe(true);
          expect(["1.0", "1.1"]).toContain(h.version);
          outcomes.head++;
          const rest = r.takeRest();
          const tail = b.subarray(at);
          const next = new Uint8Array(rest.length + tail.length);
          next.set(rest);
          next.set(tail, rest.length);
          b = next;
          at = 0;
        }
      } catch (e) {
        if (!(e instanceof HttpError)) throw e;
        if (e.code === "E_HTTP_MALFORMED") outcomes.malformed++;
        else outcomes.tooLarge++;
      }
    }
    // Every outcome was reached, so the fuzz is not stuck in one branch.
    for (const n of Object.values(outcomes)) expect(n).toBeGreaterThan(20);
  });
});
