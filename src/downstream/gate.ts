// gate.ts — connection caps shared by every listener of the bridge (HTTP/WebSocket, Stratum, TLS or
// not): bridge.max_connections sockets in total and bridge.max_connections_per_ip per client
// address (STYLE.md principle 10). Every accepted socket holds a Slot from the moment it is
// accepted — bare TCP that never sends a byte, keep-alive HTTP, an upgrade half done — and gives it
// back exactly once when it closes, so the caps, not the fd limit, are what a flood meets (issue 11).
//
// A socket that is not yet a miner session (no request yet, an idle keep-alive, a Stratum miner not
// yet subscribed) is "pending": when the total cap is reached, the oldest pending socket is closed
// to make room, so a flood of idle sockets can never lock out /health or a real miner, and never
// costs a miner its session. A socket from a trusted proxy counts in the total only until the
// client behind it is known (a PROXY header, X-Forwarded-For at the upgrade): then per client.
// Pure bookkeeping.

import type { RefusalCode } from "../protocol/close-codes.ts";
import type { SocketCounts } from "./metrics.ts";

export type GateVerdict = "ok" | Extract<RefusalCode, "E_TOO_MANY_CONNECTIONS" | "E_TOO_MANY_FROM_ADDRESS">;

export class ConnectionGate {
  readonly maxTotal: number;
  readonly maxPerIp: number;
  readonly #perIp = new Map<string, number>();
  /** Pending slots, oldest first (a Set keeps insertion order). */
  readonly #pending = new Set<Slot>();
  #total = 0;
  /** Pending sockets closed to make room (for /stats). */
  evicted = 0;

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

  /** Sockets that could be closed to make room. */
  get pending(): number {
    return this.#pending.size;
  }

  /**
   * A slot for a socket just accepted from `ip` (null: a trusted proxy, its client not known yet).
   * Its `owner` (set by the caller) closes that socket when room is needed.
   */
  open(ip: string | null): Slot | Exclude<GateVerdict, "ok"> {
    if (ip !== null && this.held(ip) >= this.maxPerIp) return "E_TOO_MANY_FROM_ADDRESS";
    if (this.#total >= this.maxTotal) {
      const oldest = this.#pending.values().next();
      if (oldest.done) return "E_TOO_MANY_CONNECTIONS";
      this.evicted++;
      oldest.value.evict();
      if (this.#total >= this.maxTotal) throw new Error("gate: an evicted socket kept its slot");
    }
    this.#total++;
    if (ip !== null) this.#take(ip);
    const slot = new Slot(this, ip);
    this.#pending.add(slot);
    return slot;
  }

  /** For /stats and /metrics. */
  counts(): SocketCounts {
    return { open: this.#total, pending: this.#pending.size, evicted: this.evicted, max: this.maxTotal };
  }

  /** Slots held by one address. */
  held(ip: string): number {
    return this.#perIp.get(ip) ?? 0;
  }

  /** @internal Slot's bookkeeping. */
  _take(ip: string): GateVerdict {
    if (this.held(ip) >= this.maxPerIp) return "E_TOO_MANY_FROM_ADDRESS";
    this.#take(ip);
    return "ok";
  }

  /** @internal */
  _give(ip: string): void {
    const held = this.#perIp.get(ip);
    if (held === undefined) throw new Error(`gate: release without acquire for ${ip}`);
    if (held === 1) this.#perIp.delete(ip);
    else this.#perIp.set(ip, held - 1);
  }

  /** @internal */
  _close(slot: Slot): void {
    this.#pending.delete(slot);
    this.#total--;
  }

  /** @internal */
  _pending(slot: Slot, pending: boolean): void {
    this.#pending.delete(slot);
    if (pending) this.#pending.add(slot); // to the back: the newest
  }

  #take(ip: string): void {
    this.#perIp.set(ip, this.held(ip) + 1);
  }
}

/** Who closes a slot's socket when the gate needs room. */
export interface SlotOwner {
  evict(): void;
}

/** One accepted socket's place in the caps. */
export class Slot {
  readonly #gate: ConnectionGate;
  #ip: string | null;
  #released = false;
  /** Closes the socket when room is needed; without one, the slot is only given back. */
  owner: SlotOwner | null = null;

  constructor(gate: ConnectionGate, ip: string | null) {
    this.#gate = gate;
    this.#ip = ip;
  }

  /** The address counted per-IP for this socket (null: none yet). */
  get ip(): string | null {
    return this.#ip;
  }

  get released(): boolean {
    return this.#released;
  }

  /**
   * Count this socket for `ip` from now on (the client behind a proxy), giving back the count of
   * the address it had. Refused when `ip` is at its cap (the old count is kept).
   */
  claim(ip: string): GateVerdict {
    if (this.#released) throw new Error("gate: claim after release");
    if (ip === this.#ip) return "ok";
    const v = this.#gate._take(ip);
    if (v !== "ok") return v;
    if (this.#ip !== null) this.#gate._give(this.#ip);
    this.#ip = ip;
    return "ok";
  }

  /** A miner session now: never closed to make room. */
  settle(): void {
    if (!this.#released) this.#gate._pending(this, false);
  }

  /** Pending again (an idle keep-alive connection), as the newest. */
  unsettle(): void {
    if (!this.#released) this.#gate._pending(this, true);
  }

  /** Called by the gate to make room: the owner closes the socket, and the slot is given back. */
  evict(): void {
    this.owner?.evict();
    this.release();
  }

  /** Give the slot back; idempotent. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    if (this.#ip !== null) this.#gate._give(this.#ip);
    this.#gate._close(this);
  }
}
