// ws-server.ts — the WebSocket half of the HTTP server: the upgrade checks (Origin, token, caps,
// protocol choice) and Bun's websocket handlers mapped onto WsConnection, nothing more (STYLE.md
// §2; Hono's Bun adapter has the same shape). Connections refused after the upgrade are closed at
// once with a coded reason, because a browser cannot read the status of a failed upgrade; only a
// foreign Origin is refused with HTTP 403, so no other site's page ever gets a socket.

import type { Server, ServerWebSocket, WebSocketHandler } from "bun";
import { WS_CLOSE_CODES } from "../protocol/close-codes.ts";
import { JSON_SUBPROTOCOL } from "../protocol/ws-json.ts";
import { MAX_AGENT_CHARS, MAX_WORKER_CHARS, MSGPACK_SUBPROTOCOL } from "../protocol/ws-msgpack.ts";
import { normaliseIp, originAllowed, tokenMatches } from "./access.ts";
import type { RefusalCode } from "./errors.ts";
import type { ConnectionGate } from "./gate.ts";
import { WsConnection, type WsContext, type WsInit, type WsMode, type WsPeer } from "./ws-connection.ts";

export interface WsData {
  /** Set when the connection is refused: it is closed as soon as it opens. */
  refusal: Exclude<RefusalCode, "E_ORIGIN"> | null;
  ip: string;
  /** What the upgrade learnt, for the connection; dropped once it has opened. */
  init: WsInit | null;
  conn: WsConnection | null;
}

export interface WsServerOptions {
  origins: readonly string[];
  token: string;
  maxPayloadBytes: number;
  backpressureLimit: number;
}

const SUBPROTOCOLS: Readonly<Record<string, WsMode>> = {
  [MSGPACK_SUBPROTOCOL]: "msgpack",
  [JSON_SUBPROTOCOL]: "json",
};

export class WsServer {
  readonly #ctx: WsContext;
  readonly #gate: ConnectionGate;
  readonly #o: WsServerOptions;
  readonly #live = new Set<WsConnection>();
  #nextId = 1;
  #stopping = false;

  constructor(ctx: Omit<WsContext, "closed">, gate: ConnectionGate, options: WsServerOptions) {
    this.#gate = gate;
    this.#o = options;
    this.#ctx = { ...ctx, closed: (c) => this.#closed(c) };
  }

  get size(): number {
    return this.#live.size;
  }

  /** GET /ws (or / with Upgrade: websocket, where seed miners connect). */
  upgrade(req: Request, server: Server<WsData>): Response | undefined {
    if (req.headers.get("upgrade")?.toLowerCase() !== "websocket")
      return new Response("WebSocket upgrade expected\n", { status: 426, headers: { Upgrade: "websocket" } });
    if (!originAllowed(req.headers.get("origin"), req.headers.get("host"), this.#o.origins)) {
      this.#ctx.counters.refuse("E_ORIGIN");
      return new Response("E_ORIGIN: this page's origin may not connect\n", { status: 403 });
    }
    const url = new URL(req.url); // never logged: it may carry the token
    const ip = normaliseIp(server.requestIP(req)?.address);
    const offered = (req.headers.get("sec-websocket-protocol") ?? "")
      .split(",")
      .map((p) => p.trim())
      .filter((p) => p !== "");
    const chosen = offered.find((p) => p in SUBPROTOCOLS) ?? null;
    const query = url.searchParams.get("protocol");
    const mode: WsMode | null =
      chosen !== null ? SUBPROTOCOLS[chosen]! : query === "msgpack" || query === "json" ? query : null;
    let refusal: WsData["refusal"] = null;
    if (this.#stopping) refusal = "E_BRIDGE_CLOSING";
    else if (!tokenMatches(url.searchParams.get("token"), this.#o.token)) refusal = "E_UNAUTHORIZED";
    else {
      const g = this.#gate.acquire(ip);
      if (g !== "ok") refusal = g;
    }
    const data: WsData = {
      refusal,
      ip,
      conn: null,
      init: {
        id: this.#nextId++,
        remote: ip,
        mode,
        worker: bounded(url.searchParams.get("worker"), MAX_WORKER_CHARS),
        agent: bounded(req.headers.get("user-agent"), MAX_AGENT_CHARS),
      },
    };
    const headers = chosen === null ? undefined : { "Sec-WebSocket-Protocol": chosen };
    if (server.upgrade(req, { data, headers })) return undefined;
    if (refusal === null) this.#gate.release(ip);
    return new Response("bad WebSocket handshake\n", { status: 400 });
  }

  handlers(): WebSocketHandler<WsData> {
    return {
      maxPayloadLength: this.#o.maxPayloadBytes,
      // Above our own cap (WsContext.maxBufferedBytes), so we see a slow reader before Bun drops.
      backpressureLimit: this.#o.backpressureLimit,
      closeOnBackpressureLimit: false,
      // Deadlines are ours (one sweep for all connections, with coded reasons), not Bun's.
      idleTimeout: 0,
      sendPings: false,
      // Off: job frames are small and mostly random bytes, and Bun's inflate has open bugs
      // (oven-sh/bun#33592: compressed messages over 4 KiB; #25673 with Safari).
      perMessageDeflate: false,
      open: (ws) => this.#open(ws),
      message: (ws, message) => ws.data.conn?.onMessage(message),
      close: (ws) => ws.data.conn?.onPeerClose(),
    };
  }

  tick(now: number): void {
    for (const c of this.#live) c.tick(now);
  }

  /** Close every connection (E_BRIDGE_CLOSING) and refuse new ones. */
  stop(): void {
    this.#stopping = true;
    for (const c of [...this.#live]) c.close("E_BRIDGE_CLOSING", "the bridge is stopping");
  }

  #open(ws: ServerWebSocket<WsData>): void {
    const d = ws.data;
    const init = d.init!;
    d.init = null;
    if (d.refusal !== null) {
      this.#ctx.counters.refuse(d.refusal);
      this.#ctx.log.debug(`ws ${init.id} from ${d.ip} refused: ${d.refusal}`);
      ws.close(WS_CLOSE_CODES[d.refusal], d.refusal);
      return;
    }
    const conn = new WsConnection(new BunPeer(ws), this.#ctx, init);
    d.conn = conn;
    this.#live.add(conn);
    this.#ctx.log.debug(`ws ${conn.id} from ${d.ip} connected (${init.mode ?? "protocol by first frame"})`);
    conn.start();
  }

  #closed(c: WsConnection): void {
    if (this.#live.delete(c)) this.#gate.release(c.remote);
  }
}

/** Bun's socket as a WsPeer: one small object per connection (not four closures). */
class BunPeer implements WsPeer {
  readonly #ws: ServerWebSocket<WsData>;
  constructor(ws: ServerWebSocket<WsData>) {
    this.#ws = ws;
  }
  send(data: Uint8Array | string): number {
    return this.#ws.send(data);
  }
  bufferedAmount(): number {
    return this.#ws.getBufferedAmount();
  }
  close(code: number, reason: string): void {
    this.#ws.close(code, reason);
  }
  terminate(): void {
    this.#ws.terminate();
  }
}

function bounded(s: string | null, max: number): string | null {
  return s === null || s === "" ? null : s.slice(0, max);
}
