// gate.ts — connection caps shared by the WebSocket and Stratum servers: bridge.max_connections in
// total and bridge.max_connections_per_ip per address (STYLE.md principle 10). A slot is taken
// before a connection is accepted and given back exactly once when it closes. Pure bookkeeping.

import type { RefusalCode } from "../protocol/close-codes.ts";

export type GateVerdict = "ok" | Extract<RefusalCode, "E_TOO_MANY_CONNECTIONS" | "E_TOO_MANY_FROM_ADDRESS">;

export class ConnectionGate {
  readonly maxTotal: number;
  readonly maxPerIp: number;
  readonly #perIp = new Map<string, number>();
  #total = 0;

  constructor(maxTotal: number, maxPerIp: number) {
    if (!Number.isInteger(maxTotal) || maxTotal < 1 || !Number.isInteger(maxPerIp) || maxPerIp < 1) {
      throw new RangeError("connection caps must be positive integers");
    }
    this.maxTotal = maxTotal;
    this.maxPerIp = maxPerIp;
  }

  get total(): number {
    return this.#total;
  }

  /** Addresses holding at least one slot (the map never keeps empty entries). */
  get addresses(): number {
    return this.#perIp.size;
  }

  acquire(ip: string): GateVerdict {
    if (this.#total >= this.maxTotal) return "E_TOO_MANY_CONNECTIONS";
    const held = this.#perIp.get(ip) ?? 0;
    if (held >= this.maxPerIp) return "E_TOO_MANY_FROM_ADDRESS";
    this.#perIp.set(ip, held + 1);
    this.#total++;
    return "ok";
  }

  release(ip: string): void {
    const held = this.#perIp.get(ip);
    if (held === undefined) throw new Error(`gate: release without acquire for ${ip}`);
    if (held === 1) this.#perIp.delete(ip);
    else this.#perIp.set(ip, held - 1);
    this.#total--;
  }
}
