// stratum-server.ts — the bridge's Stratum ports for native miners (bridge.stratum_port, and
// bridge.stratum_tls_port for stratum+ssl://): listeners (net/listener.ts) whose sockets pass a
// doorway (caps, deadline, the client behind a PROXY header) and become the shared Stratum
// connection (src/stratum/) with a StratumMiner each; the sweep's deadlines. A connection over a
// cap is ended at once: Stratum has no message a miner would show for it. Until it has subscribed
// and authorized, a connection is pending: the first closed when the total cap needs room.

import type { BridgeCore } from "../bridge/contract.ts";
import { InboundGuard, type GuardLimits } from "../net/guard.ts";
import { Listener, type NetSocket, type TlsPair } from "../net/listener.ts";
import { StratumConnection } from "../stratum/connection.ts";
import type { Logger } from "../util/log.ts";
import { normaliseIp } from "./access.ts";
import { Doorways, SHUT_DETAIL, type Client, type DoorPolicy, type Inner } from "./doorway.ts";
import { DownstreamError } from "./errors.ts";
import type { ConnectionGate } from "./gate.ts";
import type { DownstreamCounters } from "./metrics.ts";
import { StratumMiner } from "./stratum-miner.ts";

export interface StratumServerContext {
  core: BridgeCore;
  token: string;
  log: Logger;
  counters: DownstreamCounters;
  now(): number;
  limits: GuardLimits;
  maxLineBytes: number;
  maxOutboundBytes: number;
  /**
   * A miner without mining.extranonce.subscribe whose lease changed is sent client.reconnect here
   * with a wait of 0..reconnectSpreadSeconds whole seconds, uniform at random, and closed
   * (E_RELEASED) releaseGraceMs after that wait.
   */
  reconnectSpreadSeconds: number;
  releaseGraceMs: number;
  /** Overrides the address sent (see DownstreamTuning.reconnectTo); null: as the miner reached us. */
  reconnectTo: { host: string; port: number } | null;
  /** The host name miners reach this bridge by (bridge.public_host); null: the address they used. */
  publicHost: string | null;
  /** Uniform in [0, 1). */
  random(): number;
  /** SO_REUSEPORT: sibling worker processes share the ports (ListenSpec.reusePort). */
  reusePort?: boolean;
}

export interface StratumPort {
  port: number;
  tls: TlsPair | null;
}

export class StratumServer {
  readonly #ctx: StratumServerContext;
  readonly #listeners: Listener[] = [];
  readonly #doors: Doorways;
  readonly #live = new Set<StratumConnection>();
  readonly #host: string;
  #nextId = 1;

  /** Throws E_DOWNSTREAM_LISTEN when a port cannot be opened. */
  constructor(
    host: string,
    ports: readonly StratumPort[],
    ctx: StratumServerContext,
    gate: ConnectionGate,
    policy: DoorPolicy,
  ) {
    this.#ctx = ctx;
    this.#host = host;
    this.#doors = new Doorways(gate, policy, ctx.now, {
      open: (client, socket) => this.#open(client, socket),
      refused: (code, ip, detail) => {
        ctx.counters.refuse(code);
        ctx.log.debug(`stratum from ${ip} refused: ${code}${detail === "" ? "" : ` (${detail})`}`);
      },
    });
    for (const p of ports) {
      try {
        const l: Listener = new Listener({ host, port: p.port, tls: p.tls, reusePort: ctx.reusePort }, (s) =>
          this.#doors.accept(s, l.tls),
        );
        this.#listeners.push(l);
      } catch (e) {
        for (const l of this.#listeners) l.stop();
        throw new DownstreamError(
          "E_DOWNSTREAM_LISTEN",
          `cannot listen for Stratum${p.tls === null ? "" : " over TLS"} on ${host}:${p.port}: ${e instanceof Error ? e.message : String(e)}`,
          { cause: e },
        );
      }
    }
  }

  /** The plain port, or null when there is none. */
  get port(): number | null {
    return this.#listeners.find((l) => !l.tls)?.port ?? null;
  }

  /** The TLS port, or null when there is none. */
  get tlsPort(): number | null {
    return this.#listeners.find((l) => l.tls)?.port ?? null;
  }

  get size(): number {
    return this.#live.size;
  }

  tick(now: number): void {
    this.#doors.tick(now);
  }

  setCertificate(tls: TlsPair): void {
    for (const l of this.#listeners) if (l.tls) l.setCertificate(tls);
  }

  stop(): Promise<void> {
    for (const l of this.#listeners) l.stop();
    return this.#doors.stop();
  }

  /** The address to send a re-leased miner back to: the one it reached us at (the listener's host if unknown). */
  #hostFor(socket: NetSocket, listenHost: string): string {
    const local = (socket as { localAddress?: string }).localAddress;
    const host = typeof local === "string" && local !== "" ? normaliseIp(local) : listenHost;
    // An IPv6 literal in brackets: miners paste the host into "stratum+tcp://HOST:PORT".
    return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  }

  #open(client: Client, socket: NetSocket): Inner {
    const ctx = this.#ctx;
    const id = this.#nextId++;
    const ip = client.ip;
    const miner = new StratumMiner(id, ip, ctx);
    const conn = new StratumConnection(
      socket,
      ip,
      miner,
      {
        garbage: "answer",
        // Caps per line and per held partial line, not per read: a miner may pipeline many submits
        // (≈ 2.8 KB each) into one write (issue 10). Unlike the pool's v-nomp flood guard.
        decoder: {
          maxLineBytes: ctx.maxLineBytes,
          maxBufferedBytes: 4 * ctx.maxLineBytes,
          bufferCap: "partial",
        },
        maxOutboundBytes: ctx.maxOutboundBytes,
        reconnect: {
          host: ctx.reconnectTo?.host ?? ctx.publicHost ?? this.#hostFor(socket, this.#host),
          // The port the miner came in on (plain or TLS): client.reconnect sends it back there.
          port: ctx.reconnectTo?.port ?? socket.localPort,
          waitSeconds: () => Math.floor(ctx.random() * (ctx.reconnectSpreadSeconds + 1)),
          graceMs: ctx.releaseGraceMs,
        },
        guard: new InboundGuard(ctx.limits, ctx.now()),
        now: ctx.now,
      },
      {
        closed: (reason, detail) => {
          miner.closed();
          ctx.counters.close(reason);
          ctx.counters.move("stratum", null);
          ctx.log.debug(`stratum ${id} closed: ${reason}${detail === "" ? "" : ` (${detail})`}`);
          this.#live.delete(conn);
        },
        internalError: (e) =>
          ctx.log.error(
            `stratum ${id} internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
          ),
        badLine: () => ctx.counters.badFrames++,
      },
    );
    miner.conn = conn;
    this.#live.add(conn);
    ctx.counters.accepted.stratum++;
    ctx.counters.move(null, "stratum");
    ctx.log.debug(`stratum ${id} from ${ip}${ip === client.peer ? "" : ` (via ${client.peer})`} connected`);
    let settled = false;
    // Subscribed and authorized: a miner now, never closed to make room. (A subscribe may be
    // answered later, when work arrives: the sweep looks again.)
    const settle = () => {
      if (!settled && conn.session.handshakeDone) {
        settled = true;
        client.slot.settle();
      }
    };
    return {
      onData: (chunk) => {
        conn.onData(chunk);
        settle();
      },
      onDrain: () => conn.onDrain(),
      onClosed: () => conn.onPeerClosed(),
      tick: (now) => {
        conn.tick(now);
        settle();
      },
      shut: (code) => conn.close(code, SHUT_DETAIL[code]),
    };
  }
}
