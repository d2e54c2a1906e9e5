// proxy-clients.ts — raw clients of the reverse-proxy tests (proxies.test.ts, haproxy.test.ts), each
// from a chosen local address (127.0.0.2–.6 stand for different visitors; fetch cannot bind one):
// a WebSocket upgrade written by hand, plain or TLS, whose outcome is read off the wire — a session
// (the 101 and then work), a close frame after the 101 (code and reason), an HTTP status, or a
// socket ended without a word — and a Stratum miner sending subscribe + authorize. The bridge under
// test runs in-process (startDownstream over a FakeCore) so the tests read its counters and log.

import type { Socket, TCPSocketConnectOptions } from "bun";
import type { Config } from "../../src/config/index.ts";
import { downstreamOptions } from "../../src/cli/compose.ts";
import { startDownstream, type Downstream, type DownstreamTuning } from "../../src/downstream/index.ts";
import type { Logger } from "../../src/util/log.ts";
import { FakeCore } from "../downstream/fake-core.ts";
import { until } from "./stack.ts";

// Bun.connect binds the local address it is given, but bun-types 1.4.5 lacks the key.
type ConnectFrom = TCPSocketConnectOptions<undefined> & { localAddress: string };

/** Bytes one raw client keeps (the replies here are a few KB; a runaway peer must not grow it). */
const MAX_KEPT = 1 << 20;

export interface Target {
  host: string;
  port: number;
  /** Local address to connect from. */
  from: string;
  /** TLS with this CA (PEM), the certificate checked for `serverName`. */
  tls?: { ca: string; serverName: string };
}

export class RawConn {
  bytes = Buffer.alloc(0);
  closed = false;
  #socket!: Socket<undefined>;
  /** Bytes not taken by the socket yet (a TLS socket takes none before its handshake). */
  #unsent = Buffer.alloc(0);

  /** Connected (and, over TLS, the handshake done and the certificate checked). */
  static async open(t: Target): Promise<RawConn> {
    const c = new RawConn();
    let ready = false;
    const opts = {
      hostname: t.host,
      port: t.port,
      localAddress: t.from,
      ...(t.tls === undefined ? {} : { tls: { ca: t.tls.ca, serverName: t.tls.serverName } }),
      socket: {
        open: () => void (t.tls === undefined && (ready = true)),
        handshake: (_s: Socket<undefined>, ok: boolean) => void (ok ? (ready = true) : (c.closed = true)),
        data: (_s: Socket<undefined>, d: Uint8Array) => {
          if (c.bytes.length < MAX_KEPT) c.bytes = Buffer.concat([c.bytes, d]);
        },
        drain: () => c.#flush(),
        close: () => void (c.closed = true),
        error: () => void (c.closed = true),
        connectError: () => void (c.closed = true),
      },
    } as ConnectFrom;
    c.#socket = await Bun.connect(opts);
    await until(() => ready || c.closed, `a connection from ${t.from} to ${t.host}:${t.port}`, 10_000);
    return c;
  }

  write(data: string | Uint8Array): void {
    this.#unsent = Buffer.concat([this.#unsent, typeof data === "string" ? Buffer.from(data) : data]);
    this.#flush();
  }

  #flush(): void {
    if (this.#unsent.length === 0 || this.closed) return;
    const n = this.#socket.write(this.#unsent);
    this.#unsent = this.#unsent.subarray(Math.max(0, n));
  }

  end(): void {
    this.#socket.end();
  }

  /** Where the HTTP head ends (-1: not yet). */
  get headEnd(): number {
    return this.bytes.indexOf("\r\n\r\n");
  }

  /** The reply's body is all here (by its Content-Length; a keep-alive proxy does not close). */
  get bodyDone(): boolean {
    const end = this.headEnd;
    if (end < 0) return false;
    const m = /\r\ncontent-length: *(\d+)/i.exec(this.bytes.subarray(0, end).toString("latin1"));
    return m !== null && this.bytes.length - (end + 4) >= Number(m[1]);
  }

  /** The status code of the HTTP reply (0: none came). */
  get status(): number {
    const end = this.headEnd;
    if (end < 0) return 0;
    return Number(/^HTTP\/1\.1 (\d{3})/.exec(this.bytes.subarray(0, end).toString("latin1"))?.[1] ?? 0);
  }
}

export type WsOutcome =
  | { kind: "session"; conn: RawConn }
  | { kind: "close"; code: number; reason: string }
  | { kind: "status"; status: number; body: string }
  | { kind: "ended" };

/** The first server frame after the 101 (unmasked, RFC 6455 §5.2), or null while incomplete. */
function firstFrame(b: Buffer): { opcode: number; payload: Buffer } | null {
  if (b.length < 2) return null;
  let len = b[1]! & 0x7f;
  let at = 2;
  if (len === 126) {
    if (b.length < 4) return null;
    len = b.readUInt16BE(2);
    at = 4;
  } else if (len === 127) {
    if (b.length < 10) return null;
    len = Number(b.readBigUInt64BE(2));
    at = 10;
  }
  if (b.length < at + len) return null;
  return { opcode: b[0]! & 0x0f, payload: b.subarray(at, at + len) };
}

/**
 * A WebSocket upgrade of `path` (JSON protocol by query: the first frame of a session is its work)
 * with extra request headers; resolves with what the server did. Every wait is bounded.
 */
export async function wsUpgrade(
  t: Target,
  headers: Record<string, string> = {},
  path = "/ws?protocol=json",
): Promise<WsOutcome> {
  const c = await RawConn.open(t);
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
  c.write(
    `GET ${path} HTTP/1.1\r\nHost: ${t.tls?.serverName ?? t.host}:${t.port}\r\nUpgrade: websocket\r\n` +
      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
      `${extra.join("")}\r\n`,
  );
  const frame = () => (c.status === 101 ? firstFrame(c.bytes.subarray(c.headEnd + 4)) : null);
  await until(
    () => c.closed || (c.status !== 0 && c.status !== 101) || frame() !== null,
    `the upgrade's outcome from ${t.from}`,
    10_000,
  );
  const f = frame();
  if (f !== null && f.opcode === 8) {
    c.end();
    return { kind: "close", code: f.payload.readUInt16BE(0), reason: f.payload.subarray(2).toString() };
  }
  if (f !== null) return { kind: "session", conn: c };
  if (c.status !== 0 && c.status !== 101) {
    await until(() => c.closed || c.bodyDone, "the refusal's body", 10_000);
    c.end();
    return { kind: "status", status: c.status, body: c.bytes.subarray(c.headEnd + 4).toString() };
  }
  return { kind: "ended" };
}

/** One GET with `Connection: close`: its status and body (0 when the socket ended without one). */
export async function httpGet(
  t: Target,
  path: string,
  headers: Record<string, string> = {},
  prefix: Uint8Array | null = null,
): Promise<{ status: number; body: string }> {
  const c = await RawConn.open(t);
  if (prefix !== null) c.write(prefix);
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
  c.write(
    `GET ${path} HTTP/1.1\r\nHost: ${t.tls?.serverName ?? t.host}\r\nConnection: close\r\n${extra.join("")}\r\n`,
  );
  await until(() => c.closed, `the reply to GET ${path} from ${t.from}`, 10_000);
  return { status: c.status, body: c.headEnd < 0 ? "" : c.bytes.subarray(c.headEnd + 4).toString() };
}

/**
 * A Stratum miner: optional raw bytes first (a PROXY header), then subscribe and authorize.
 * "session" once work (mining.notify) came, "ended" when the socket closed first.
 */
export async function stratumMiner(
  t: Target,
  prefix: Uint8Array | null = null,
): Promise<{ kind: "session"; conn: RawConn } | { kind: "ended" }> {
  const c = await RawConn.open(t);
  if (prefix !== null) c.write(prefix);
  c.write(
    '{"id":1,"method":"mining.subscribe","params":["test/1"]}\n' +
      '{"id":2,"method":"mining.authorize","params":["RAddr.rig","x"]}\n',
  );
  await until(
    () => c.closed || c.bytes.includes("mining.notify"),
    `Stratum work or a close for ${t.from}`,
    10_000,
  );
  return c.bytes.includes("mining.notify") && !c.closed ? { kind: "session", conn: c } : { kind: "ended" };
}

export interface TestBridge {
  ds: Downstream;
  core: FakeCore;
  logs: string[];
  stop(): Promise<void>;
}

/** The bridge's downstream over a FakeCore, on loopback, with `bridge` settings (ports: any free). */
export function startBridge(bridge: Config["bridge"], tuning: DownstreamTuning = {}): TestBridge {
  const logs: string[] = [];
  const keep = (level: string) => (m: string) => void (logs.length < 10_000 && logs.push(`${level} ${m}`));
  const log: Logger = { debug: keep("debug"), info: keep("info"), warn: keep("warn"), error: keep("error") };
  const core = new FakeCore();
  const ds = startDownstream(core, downstreamOptions(bridge), log, { sweepMs: 50, ...tuning });
  return { ds, core, logs, stop: () => ds.stop() };
}
