// http-server.ts — the bridge's HTTP/WebSocket port (http:// + ws://, or https:// + wss:// with
// bridge.tls_cert): a listener (net/listener.ts) whose sockets pass a doorway (caps, deadline,
// client address) and become HttpConnections. The WebSocket sessions' shared context lives here.
// Our own Bun.listen, not Bun.serve: Bun.serve has no accept hook, so idle sockets that never
// upgrade could not be counted or capped, and at the fd limit its accept loop spins (issue 11).

import { Listener, type TlsPair } from "../net/listener.ts";
import type { DoorPolicy } from "./doorway.ts";
import { Doorways } from "./doorway.ts";
import { DownstreamError } from "./errors.ts";
import type { ConnectionGate } from "./gate.ts";
import { HttpConnection, type HttpConnectionContext } from "./http-connection.ts";
import type { HttpRoutes } from "./http.ts";
import type { WsConnection, WsContext } from "./ws-connection.ts";
import type { UpgradeOptions } from "./ws-upgrade.ts";

export interface HttpServerOptions {
  host: string;
  port: number;
  tls: TlsPair | null;
  headerMs: number;
  keepAliveMs: number;
  maxOutboundBytes: number;
  upgrade: UpgradeOptions;
  /** SO_REUSEPORT: sibling worker processes share the port (ListenSpec.reusePort). */
  reusePort?: boolean;
}

/** Largest request head read (request line and header fields), as nginx's default buffers. */
const MAX_HEAD_BYTES = 8 * 1024;

export class HttpServer {
  readonly #listener: Listener;
  readonly #doors: Doorways;
  readonly #live = new Set<WsConnection>();
  #nextId = 1;
  #stopping = false;

  /** Throws E_DOWNSTREAM_LISTEN when the port cannot be opened. */
  constructor(
    o: HttpServerOptions,
    ws: Omit<WsContext, "closed">,
    routes: HttpRoutes,
    gate: ConnectionGate,
    policy: DoorPolicy,
  ) {
    const tls = o.tls !== null;
    const ctx: HttpConnectionContext = {
      routes,
      upgrade: o.upgrade,
      ws: {
        ...ws,
        closed: (c) => void this.#live.delete(c),
      },
      trusted: policy.trusted,
      tls,
      headerMs: o.headerMs,
      keepAliveMs: o.keepAliveMs,
      maxHeadBytes: MAX_HEAD_BYTES,
      maxOutboundBytes: o.maxOutboundBytes,
      nextWsId: () => this.#nextId++,
      opened: (c) => void this.#live.add(c),
      stopping: () => this.#stopping,
      refused: (code, ip, detail) => {
        ws.counters.refuse(code);
        ws.log.debug(`http from ${ip} closed: ${code}${detail === "" ? "" : ` (${detail})`}`);
      },
      now: ws.now,
    };
    this.#doors = new Doorways(gate, policy, ws.now, {
      open: (client, socket) => new HttpConnection(socket, client, ctx),
      refused: ctx.refused,
    });
    try {
      this.#listener = new Listener({ host: o.host, port: o.port, tls: o.tls, reusePort: o.reusePort }, (s) =>
        this.#doors.accept(s, tls),
      );
    } catch (e) {
      throw new DownstreamError(
        "E_DOWNSTREAM_LISTEN",
        `cannot listen on ${o.host}:${o.port}: ${e instanceof Error ? e.message : String(e)}`,
        { cause: e },
      );
    }
  }

  get port(): number {
    return this.#listener.port;
  }

  get tls(): boolean {
    return this.#listener.tls;
  }

  /** Open WebSocket sessions. */
  get size(): number {
    return this.#live.size;
  }

  /** Sockets open on this port (every state). */
  get sockets(): number {
    return this.#doors.size;
  }

  tick(now: number): void {
    this.#doors.tick(now);
  }

  setCertificate(tls: TlsPair): void {
    this.#listener.setCertificate(tls);
  }

  /** Close every connection (WebSockets with E_BRIDGE_CLOSING) and stop listening. */
  stop(): Promise<void> {
    this.#stopping = true;
    this.#listener.stop();
    return this.#doors.stop();
  }
}
