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
}

export class StratumServer {
  readonly #ctx: StratumServerContext;
  readonly #gate: ConnectionGate;
  readonly #listener: TCPSocketListener<unknown>;
  readonly #live = new Set<StratumConnection>();
  #nextId = 1;
  #stopping = false;

  /** Throws E_DOWNSTREAM_LISTEN when the port cannot be opened. */
  constructor(host: string, port: number, ctx: StratumServerContext, gate: ConnectionGate) {
    this.#ctx = ctx;
    this.#gate = gate;
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
        // Room for a few pipelined submits (≈ 2.8 KB each) besides one maximal line.
        decoder: { maxLineBytes: ctx.maxLineBytes, maxBufferedBytes: 4 * ctx.maxLineBytes },
        maxOutboundBytes: ctx.maxOutboundBytes,
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
