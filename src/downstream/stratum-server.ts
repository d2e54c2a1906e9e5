// stratum-server.ts — the Stratum TCP listener for native miners (bridge.stratum_port): Bun.listen
// events mapped onto StratumConnection, the shared connection caps, and the sweep's deadlines.
// A connection over a cap is ended at once: Stratum has no message a miner would show for it.

import type { Socket, TCPSocketListener } from "bun";
import { normaliseIp } from "./access.ts";
import { DownstreamError } from "./errors.ts";
import type { ConnectionGate } from "./gate.ts";
import { StratumConnection, type StratumConnectionContext } from "./stratum-connection.ts";

type Data = { conn: StratumConnection | null };

export class StratumServer {
  readonly #ctx: StratumConnectionContext;
  readonly #gate: ConnectionGate;
  readonly #listener: TCPSocketListener<Data>;
  readonly #live = new Set<StratumConnection>();
  #nextId = 1;
  #stopping = false;

  /** Throws E_DOWNSTREAM_LISTEN when the port cannot be opened. */
  constructor(host: string, port: number, ctx: Omit<StratumConnectionContext, "closed">, gate: ConnectionGate) {
    this.#gate = gate;
    this.#ctx = { ...ctx, closed: (c) => this.#closed(c) };
    try {
      this.#listener = Bun.listen<Data>({
        hostname: host,
        port,
        socket: {
          binaryType: "uint8array",
          open: (socket) => this.#open(socket),
          data: (socket, chunk) => socket.data.conn?.onData(chunk),
          drain: (socket) => socket.data.conn?.onDrain(),
          close: (socket) => socket.data.conn?.onPeerClosed(),
          error: (socket) => socket.data.conn?.onPeerClosed(),
        },
      });
    } catch (e) {
      throw new DownstreamError("E_DOWNSTREAM_LISTEN", `cannot listen for Stratum on ${host}:${port}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
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

  #open(socket: Socket<Data>): void {
    socket.data = { conn: null };
    const id = this.#nextId++;
    const ip = normaliseIp(socket.remoteAddress);
    const verdict = this.#stopping ? "E_BRIDGE_CLOSING" : this.#gate.acquire(ip);
    if (verdict !== "ok") {
      this.#ctx.counters.refuse(verdict);
      this.#ctx.log.debug(`stratum ${id} from ${ip} refused: ${verdict}`);
      socket.end();
      return;
    }
    const conn = new StratumConnection(socket, this.#ctx, id, ip);
    socket.data.conn = conn;
    this.#live.add(conn);
    this.#ctx.counters.accepted.stratum++;
    this.#ctx.counters.move(null, "stratum");
    this.#ctx.log.debug(`stratum ${id} from ${ip} connected`);
  }

  #closed(c: StratumConnection): void {
    if (this.#live.delete(c)) this.#gate.release(c.remote);
  }
}
