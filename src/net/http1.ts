// http1.ts — the HTTP/1.1 request head and response bytes of the bridge's own HTTP server (sans-IO).
// Bun.serve gives no hook when a socket is accepted, so sockets that never send a request (or
// never upgrade) could not be counted against the connection caps, and at the fd limit its accept
// loop spins (issue 11). The bridge therefore owns its sockets (Bun.listen) and needs only this
// much HTTP: GET/HEAD of a few small routes and the WebSocket upgrade (RFC 9110, RFC 9112). No
// request bodies: a request that announces one is answered and its connection closed.

import { CodedError } from "../util/errors.ts";

export type HttpErrorCode = "E_HTTP_MALFORMED" | "E_HTTP_TOO_LARGE";

/** A request the server cannot read: answered with `status`, then the connection is closed. */
export class HttpError extends CodedError<HttpErrorCode> {
  readonly status: number;
  constructor(code: HttpErrorCode, message: string) {
    super(code, message);
    this.status = code === "E_HTTP_TOO_LARGE" ? 431 : 400;
  }
}

export interface RequestHead {
  method: string;
  /** The request target as sent (origin-form "/path?query", or absolute-form from a proxy). */
  target: string;
  /** The decoded-free path part of the target ("/ws"). */
  path: string;
  /** The query string without "?" ("" when none). */
  query: string;
  version: "1.0" | "1.1";
  /** Lower-case names; repeated fields joined with ", " (RFC 9110 §5.3). */
  headers: ReadonlyMap<string, string>;
  /** The connection may carry another request after this one's response. */
  keepAlive: boolean;
  /** The request announces a body (Content-Length > 0 or Transfer-Encoding): never kept alive. */
  hasBody: boolean;
}

export interface HeadReaderOptions {
  /** Request line plus header fields, in bytes. */
  maxHeadBytes: number;
  maxHeaders: number;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const decoder = new TextDecoder("latin1");

/**
 * Collects a request head from the bytes of one connection; the bytes after it are kept. Linear in
 * the bytes received however they are split (a head trickled a byte at a time is scanned once, not
 * once per byte), and a head that arrives whole in one read is parsed without a copy.
 */
export class RequestHeadReader {
  readonly #o: HeadReaderOptions;
  /** Bytes held (a partial head, or what followed the last head); `#len` of them are used. */
  #buf: Uint8Array = EMPTY;
  #len = 0;
  /** Where the search for the blank line resumes (bytes before it were searched already). */
  #scanned = 0;

  constructor(options: HeadReaderOptions) {
    this.#o = options;
  }

  get bufferedBytes(): number {
    return this.#len;
  }

  /** Feeds bytes: the head once it is complete (then `takeRest()`), else null. Throws HttpError. */
  push(chunk: Uint8Array): RequestHead | null {
    // The chunk is the caller's (Bun reuses it): whatever is kept past this call is copied.
    const held = this.#len > 0;
    if (held) this.#append(chunk);
    let buf = held ? this.#buf.subarray(0, this.#len) : chunk;
    // Leading empty lines before a request line are allowed (RFC 9112 §2.2): dropped, not kept.
    let skip = 0;
    while (skip < buf.length && (buf[skip] === 0x0d || buf[skip] === 0x0a)) skip++;
    if (skip > 0 && held) {
      this.#buf.copyWithin(0, skip, this.#len);
      this.#len -= skip;
      this.#scanned = Math.max(0, this.#scanned - skip);
      buf = this.#buf.subarray(0, this.#len);
    } else if (skip > 0) buf = buf.subarray(skip);
    const end = headEnd(buf, Math.max(0, this.#scanned - 2));
    const max = this.#o.maxHeadBytes;
    if (end < 0 ? buf.length > max : end > max)
      throw new HttpError("E_HTTP_TOO_LARGE", `a request head over ${max} bytes`);
    if (end < 0) {
      if (!held) this.#append(buf);
      this.#scanned = this.#len;
      return null;
    }
    const head = parseHead(decoder.decode(buf.subarray(0, end)), this.#o.maxHeaders);
    const rest = buf.subarray(end);
    this.#buf = rest.length === 0 ? EMPTY : rest.slice();
    this.#len = this.#buf.length;
    this.#scanned = 0;
    return head;
  }

  /** The bytes received after the last head (pipelined requests, or the first WebSocket frames). */
  takeRest(): Uint8Array {
    const rest = this.#buf.subarray(0, this.#len);
    this.#buf = EMPTY;
    this.#len = 0;
    this.#scanned = 0;
    return rest;
  }

  /** Appends a copy, growing the buffer by doubling (at most the head cap plus one read). */
  #append(chunk: Uint8Array): void {
    const need = this.#len + chunk.length;
    if (need > this.#buf.length) {
      const grown = new Uint8Array(Math.max(need, Math.min(2 * this.#buf.length, this.#o.maxHeadBytes + 4)));
      grown.set(this.#buf.subarray(0, this.#len));
      this.#buf = grown;
    }
    this.#buf.set(chunk, this.#len);
    this.#len = need;
  }
}

const EMPTY = new Uint8Array(0);

/** Index just past the blank line ending a head (CRLFCRLF, or bare LFs: RFC 9112 §2.2), or −1. */
function headEnd(b: Uint8Array, from: number): number {
  for (let i = from; i < b.length; i++) {
    if (b[i] !== 0x0a) continue;
    if (b[i + 1] === 0x0a) return i + 2;
    if (b[i + 1] === 0x0d && b[i + 2] === 0x0a) return i + 3;
  }
  return -1;
}

function parseHead(text: string, maxHeaders: number): RequestHead {
  const lines = text.split("\n").map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  const m = /^([^ ]+) ([^ ]+) HTTP\/1\.([01])$/.exec(lines[0] ?? "");
  if (m === null || !TOKEN.test(m[1]!))
    throw new HttpError("E_HTTP_MALFORMED", "not an HTTP/1.x request line");
  const [, method, target, minor] = m as unknown as [string, string, string, string];
  if (lines.length - 1 > maxHeaders)
    throw new HttpError("E_HTTP_TOO_LARGE", `more than ${maxHeaders} header fields`);
  const headers = new Map<string, string>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(":");
    const name = colon > 0 ? line.slice(0, colon) : "";
    // No whitespace before the colon and no obsolete line folding (RFC 9112 §5.1, §5.2).
    if (!TOKEN.test(name)) throw new HttpError("E_HTTP_MALFORMED", "a malformed header field");
    const key = name.toLowerCase();
    const value = line.slice(colon + 1).trim();
    // A bare CR or a NUL in a value is refused, not passed on (RFC 9110 §5.5).
    if (/[\0\r]/.test(value)) throw new HttpError("E_HTTP_MALFORMED", "a header value with CR or NUL");
    const had = headers.get(key);
    headers.set(key, had === undefined ? value : `${had}, ${value}`);
  }
  const version = minor === "1" ? "1.1" : "1.0";
  if (version === "1.1" && !headers.has("host"))
    throw new HttpError("E_HTTP_MALFORMED", "an HTTP/1.1 request without Host (RFC 9112 §3.2)");
  const path = targetPath(target);
  if (path === null) throw new HttpError("E_HTTP_MALFORMED", "an unusable request target");
  const q = target.indexOf("?");
  const connection = (headers.get("connection") ?? "").toLowerCase();
  const length = headers.get("content-length");
  const hasBody = headers.has("transfer-encoding") || (length !== undefined && !/^0+$/.test(length));
  const keepAlive =
    !hasBody && (version === "1.1" ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection));
  return {
    method,
    target,
    path,
    query: q < 0 ? "" : target.slice(q + 1),
    version,
    headers,
    keepAlive,
    hasBody,
  };
}

/** The path of an origin-form ("/a?b") or absolute-form ("http://h/a?b") target; null otherwise. */
function targetPath(target: string): string | null {
  let t = target;
  if (!t.startsWith("/")) {
    const m = /^https?:\/\/[^/?#]+/i.exec(t);
    if (m === null) return null;
    t = t.slice(m[0].length) || "/";
    if (!t.startsWith("/") && !t.startsWith("?")) return null;
    if (t.startsWith("?")) t = "/" + t;
  }
  const end = t.search(/[?#]/);
  return end < 0 ? t : t.slice(0, end);
}

const REASONS: Readonly<Record<number, string>> = {
  101: "Switching Protocols",
  200: "OK",
  204: "No Content",
  400: "Bad Request",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  413: "Content Too Large",
  426: "Upgrade Required",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

const encoder = new TextEncoder();

export interface ResponseOptions {
  /** A HEAD request: the headers of the response, no body. */
  head: boolean;
  keepAlive: boolean;
}

/** A whole response: status line, the given headers, Content-Length and Connection, the body. */
export function renderResponse(
  status: number,
  headers: Readonly<Record<string, string>>,
  body: Uint8Array | string,
  options: ResponseOptions,
): Uint8Array {
  const bytes = typeof body === "string" ? encoder.encode(body) : body;
  let head = `HTTP/1.1 ${status} ${REASONS[status] ?? "Status"}\r\n`;
  for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
  head += `Content-Length: ${bytes.length}\r\nConnection: ${options.keepAlive ? "keep-alive" : "close"}\r\n\r\n`;
  const h = encoder.encode(head);
  if (options.head || bytes.length === 0) return h;
  const out = new Uint8Array(h.length + bytes.length);
  out.set(h);
  out.set(bytes, h.length);
  return out;
}

/** The 101 answer to a WebSocket upgrade (RFC 6455 §4.2.2). */
export function renderSwitch(accept: string, protocol: string | null): Uint8Array {
  return encoder.encode(
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      `Sec-WebSocket-Accept: ${accept}\r\n` +
      (protocol === null ? "" : `Sec-WebSocket-Protocol: ${protocol}\r\n`) +
      "\r\n",
  );
}
