/**
 * The optional stats endpoint (--api-port): one loopback port, two protocols, told apart by the
 * first bytes a client sends.
 * - HTTP (a request line such as `GET / HTTP/1.1`): GET or HEAD of / or /summary answers the same
 *   object as the --json summary; anything else is 404. One request per connection (Connection:
 *   close): a read-only stats page needs no keep-alive.
 * - Anything else is ccminer's text API (ccminer-api.ts): `summary`, `pool`, `threads`, `help`,
 *   answered with KEY=VALUE;…| and the connection closed, so monitors written for ccminer read
 *   vbridge mine.
 * Loopback only. Every buffer is capped (request bytes, connections) and an idle client is
 * dropped after IDLE_SECONDS: the endpoint can be poked at but never made to hold memory.
 */
import type { Socket, TCPSocketListener } from "bun";
import { ccminerAnswer, parseCommand, CCMINER_COMMANDS, type PoolInfo } from "./ccminer-api.ts";
import { MinerError } from "./errors.ts";
import type { MinerSummary } from "./stats.ts";

export type { PoolInfo } from "./ccminer-api.ts";

export interface StatsApi {
  /** The bound port (the real one when asked for 0). */
  readonly port: number;
  stop(): void;
}

const HOST = "127.0.0.1";
/** An HTTP request's head and body together (a browser's head is a few hundred bytes to 8 KiB). */
const MAX_HTTP_BYTES = 16 * 1024;
/** A text command with its parameters (ccminer reads 1024 bytes at most: SOCK_REC_BUFSZ). */
const MAX_TEXT_BYTES = 1024;
const IDLE_SECONDS = 5;
const MAX_CONNECTIONS = 32;
const METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"].map((m) => `${m} `);

interface Conn {
  buf: string;
  mode: "unknown" | "http" | "text";
  done: boolean;
  /** The answer's bytes the socket has not taken yet (written on drain, then the end). */
  out: Uint8Array | null;
}

type Sock = Socket<Conn>;

/** `summary` feeds both protocols; `pool` adds what ccminer's pool answer needs (user, job). */
export function startStatsApi(port: number, summary: () => MinerSummary, pool?: () => PoolInfo): StatsApi {
  let open = 0;
  const flush = (s: Sock) => {
    const out = s.data.out;
    if (out === null) return;
    const n = out.length === 0 ? 0 : s.write(out);
    if (n < out.length) s.data.out = out.subarray(Math.max(n, 0));
    else {
      s.data.out = null;
      s.end();
    }
  };
  const finish = (s: Sock, answer: string) => {
    if (s.data.done) return;
    s.data.done = true;
    s.data.buf = "";
    s.data.out = new TextEncoder().encode(answer);
    flush(s);
  };
  const onData = (s: Sock, chunk: Buffer) => {
    const c = s.data;
    if (c.done) return;
    c.buf += chunk.toString("latin1");
    if (c.mode === "unknown") c.mode = sniff(c.buf);
    if (c.mode === "http") {
      const reply = httpReply(c.buf, summary);
      if (reply !== null) finish(s, reply);
      else if (c.buf.length > MAX_HTTP_BYTES) finish(s, httpText(431, "request too large\n", false));
    } else if (c.mode === "text") {
      if (c.buf.length > MAX_TEXT_BYTES) return finish(s, "");
      const command = parseCommand(c.buf);
      // A bare `summary` is complete; `summ` may be a command cut in two by the network.
      const complete = /[|\r\n\0]/.test(c.buf) || command !== null;
      if (command === null && !complete && isPrefix(c.buf.trimStart(), CCMINER_COMMANDS)) return;
      finish(s, command === null ? "" : ccminerAnswer(command, summary(), pool?.() ?? null, Date.now()));
    }
  };
  let server: TCPSocketListener<Conn>;
  try {
    server = Bun.listen<Conn>({
      hostname: HOST,
      port,
      socket: {
        open(s) {
          s.data = { buf: "", mode: "unknown", done: false, out: null };
          if (++open > MAX_CONNECTIONS) return finish(s, "");
          s.timeout(IDLE_SECONDS);
        },
        data: onData,
        drain: flush,
        timeout: (s) => finish(s, ""),
        close: () => void open--,
        error: () => {},
      },
    });
  } catch (e) {
    throw new MinerError(
      "E_MINER_API",
      `cannot serve stats on ${HOST}:${port}: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    );
  }
  return { port: server.port, stop: () => server.stop(true) };
}

/** HTTP when the bytes start like a request line; text when they cannot; unknown while too short. */
function sniff(buf: string): Conn["mode"] {
  if (METHODS.some((m) => buf.startsWith(m))) return "http";
  return isPrefix(buf, METHODS) ? "unknown" : "text";
}

function isPrefix(buf: string, words: readonly string[]): boolean {
  return words.some((w) => w.startsWith(buf));
}

/** The whole answer once the request (head and any Content-Length body) is in; null before. */
function httpReply(buf: string, summary: () => MinerSummary): string | null {
  const headEnd = buf.indexOf("\r\n\r\n");
  if (headEnd < 0) return null;
  const lines = buf.slice(0, headEnd).split("\r\n");
  const [method = "", target = "", version = ""] = lines[0]!.split(" ");
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const head = method === "HEAD";
  if (!/^HTTP\/1\.[01]$/.test(version)) return httpText(400, "bad request\n", head);
  if (headers.has("transfer-encoding")) return httpText(411, "length required\n", head);
  const length = Number(headers.get("content-length") ?? "0");
  if (!Number.isSafeInteger(length) || length < 0) return httpText(400, "bad request\n", head);
  // Read the body before answering: closing with unread bytes would reset the connection.
  if (buf.length - (headEnd + 4) < length) return null;
  const path = target.split("?", 1)[0];
  if ((method === "GET" || head) && (path === "/" || path === "/summary")) {
    return httpResponse(200, "application/json;charset=utf-8", JSON.stringify(summary()), head);
  }
  return httpText(404, "not found\n", head);
}

function httpText(status: number, body: string, head: boolean): string {
  return httpResponse(status, "text/plain;charset=utf-8", body, head);
}

const REASONS: Record<number, string> = {
  200: "OK",
  400: "Bad Request",
  404: "Not Found",
  411: "Length Required",
  431: "Request Header Fields Too Large",
};

function httpResponse(status: number, type: string, body: string, head: boolean): string {
  const bytes = Buffer.byteLength(body);
  return (
    `HTTP/1.1 ${status} ${REASONS[status]}\r\nContent-Type: ${type}\r\nContent-Length: ${bytes}\r\n` +
    `Cache-Control: no-store\r\nConnection: close\r\n\r\n${head ? "" : body}`
  );
}
