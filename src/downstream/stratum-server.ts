// stratum-server.ts — the bridge's Stratum TCP port for native miners (bridge.stratum_port): the
// shared Stratum listener and connection (src/stratum/) with a StratumMiner per socket, the
// connection caps shared with the WebSocket server, and the sweep's deadlines. A connection over
// a cap is ended at once: Stratum has no message a miner would show for it.

import type { TCPSocketListener } from "bun";
import type { BridgeCore } from "../bridge/contract.ts";
import { InboundGuard, type GuardLimits } from "../net/guard.ts";
import { StratumConnection } from "../stratum/connection.ts";
import { listenStratum, type StratumSocket } from "../stratum/listener.ts";
import type { Logger } from "../util/log.ts";
import { normaliseIp } from "./access.ts";
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
  /** Uniform in [0, 1). */
  random(): number;
}

export class StratumServer {
  readonly #ctx: StratumServerContext;
  readonly #gate: ConnectionGate;
  readonly #listener: TCPSocketListener<unknown>;
  readonly #live = new Set<StratumConnection>();
  readonly #host: string;
  #nextId = 1;
  #stopping = false;

  /** Throws E_DOWNSTREAM_LISTEN when the port cannot be opened. */
  constructor(host: string, port: number, ctx: StratumServerContext, gate: ConnectionGate) {
    this.#ctx = ctx;
    this.#gate = gate;
    this.#host = host;
    try {
      this.#listener = listenStratum(host, port, (socket) => this.#open(socket));
    } catch (e) {
      throw new DownstreamError(
        "E_DOWNSTREAM_LISTEN",
        `cannot listen for Stratum on ${host}:${port}: ${e instanceof Error ? e.message : String(e)}`,
        { cause: e },
      );
    }
  }

  get port(): number {
    return this.#listener.port;
  }

  get size(): number {
    return this.#live.size;
  }

  tick(now: number): void {
    for (const c of this.#live) c.tick(now);
  }

  stop(): void {
    this.#stopping = true;
    for (const c of [...this.#live]) c.close("E_BRIDGE_CLOSING", "the bridge is stopping");
    this.#listener.stop(true);
  }

  /** The address to send a re-leased miner back to: the one it reached us at (the listener's host if unknown). */
  #hostFor(socket: StratumSocket, listenHost: string): string {
    const local = (socket as { localAddress?: string }).localAddress;
    const host = typeof local === "string" && local !== "" ? normaliseIp(local) : listenHost;
    // An IPv6 literal in brackets: miners paste the host into "stratum+tcp://HOST:PORT".
    return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  }

  #open(socket: StratumSocket): StratumConnection | null {
    const ctx = this.#ctx;
    const id = this.#nextId++;
    const ip = normaliseIp(socket.remoteAddress);
    const verdict = this.#stopping ? "E_BRIDGE_CLOSING" : this.#gate.acquire(ip);
    if (verdict !== "ok") {
      ctx.counters.refuse(verdict);
      ctx.log.debug(`stratum ${id} from ${ip} refused: ${verdict}`);
      socket.end();
      return null;
    }
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
          host: ctx.reconnectTo?.host ?? this.#hostFor(socket, this.#host),
          port: ctx.reconnectTo?.port ?? this.#listener.port,
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
          if (this.#live.delete(conn)) this.#gate.release(ip);
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
    ctx.log.debug(`stratum ${id} from ${ip} connected`);
    return conn;
  }
}
