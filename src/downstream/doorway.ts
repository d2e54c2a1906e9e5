// doorway.ts — what every socket accepted by the bridge goes through: its slot in the connection caps
// (gate.ts, taken at accept), and who the client is. From a trusted proxy (bridge.trusted_proxies)
// on a plain listener, a PROXY protocol v1/v2 header (HAProxy send-proxy / send-proxy-v2) names the
// client, optional or required by bridge.proxy_protocol, and must come within the handshake
// timeout (E_HEADER_TIMEOUT); from anyone else such a header is a protocol error
// (E_PROXY_UNTRUSTED), never a way to choose one's own address. The listener's connection is made
// (`open`) at accept, or once the PROXY header has come, and every later event goes straight to it
// (its own deadlines then apply).

import type { RefusalCode } from "../protocol/close-codes.ts";
import { normaliseIp, type AddressSet } from "../net/addresses.ts";
import type { NetSocket, SocketHandler } from "../net/listener.ts";
import { looksLikeProxyHeader, parseProxyHeader, ProxyProtocolError } from "../net/proxy-protocol.ts";
import type { ConnectionGate, Slot, SlotOwner } from "./gate.ts";

export type ProxyProtocolMode = "off" | "optional" | "required";

/** Why a doorway closes the connection behind it. */
export type ShutCode = "E_EVICTED" | "E_BRIDGE_CLOSING" | "E_PROXY_UNTRUSTED";

export const SHUT_DETAIL: Readonly<Record<ShutCode, string>> = {
  E_EVICTED: "room needed at the connection cap",
  E_BRIDGE_CLOSING: "the bridge is stopping",
  E_PROXY_UNTRUSTED: "a PROXY header from a peer not in bridge.trusted_proxies",
};

export interface DoorPolicy {
  trusted: AddressSet;
  proxyProtocol: ProxyProtocolMode;
  /** Milliseconds from accept to the first bytes (and a whole PROXY header). */
  headerMs: number;
}

/** The connection behind a doorway. */
export interface Inner extends SocketHandler {
  /** The sweep: its own deadlines. */
  tick(now: number): void;
  /** Close from our side (room needed, the bridge stopping, a PROXY header from anyone). */
  shut(code: ShutCode): void;
}

export interface Client {
  /** The client's address: the peer's, or the one a trusted proxy's PROXY header gave. */
  ip: string;
  /** The socket's own peer (a proxy's address when proxied). */
  peer: string;
  /** The peer is in bridge.trusted_proxies (its HTTP forwarding headers count). */
  trustedPeer: boolean;
  slot: Slot;
}

export interface DoorEvents {
  /** The connection for a client: null when it was refused (the socket already ended). */
  open(client: Client, socket: NetSocket): Inner | null;
  /** A socket closed before it became a connection, with why (counters, a debug line). */
  refused(code: RefusalCode, peer: string, detail: string): void;
  /** The doorway is over (its socket closed): the server forgets it. */
  gone(d: Doorway): void;
}

/** Bytes a PROXY header may take here: v2's 16-byte preamble and 2 KiB of addresses and TLVs. */
const MAX_PRELUDE_BYTES = 16 + 2048;
const EMPTY = new Uint8Array(0);

export class Doorway implements SocketHandler, SlotOwner {
  readonly peer: string;
  readonly #socket: NetSocket;
  readonly #slot: Slot;
  readonly #trusted: boolean;
  readonly #expectProxy: boolean;
  readonly #policy: DoorPolicy;
  readonly #events: DoorEvents;
  readonly #deadline: number;
  #prelude: Uint8Array | null = null;
  #inner: Inner | null = null;
  /** The first bytes were looked at (for a PROXY header from an untrusted peer). */
  #looked = false;
  #done = false;

  constructor(
    socket: NetSocket,
    slot: Slot,
    peer: string,
    tls: boolean,
    policy: DoorPolicy,
    now: number,
    events: DoorEvents,
  ) {
    this.#socket = socket;
    this.#slot = slot;
    this.peer = peer;
    this.#trusted = policy.trusted.has(peer);
    // Over TLS a PROXY header would come before the handshake, where Bun's TLS cannot skip it.
    this.#expectProxy = this.#trusted && !tls && policy.proxyProtocol !== "off";
    this.#policy = policy;
    this.#events = events;
    this.#deadline = now + policy.headerMs;
  }

  get inner(): Inner | null {
    return this.#inner;
  }

  /** Right after accept: the connection opens now, unless a PROXY header must name the client first. */
  begin(): void {
    if (!this.#expectProxy) this.#start(this.#slot.ip ?? this.peer, EMPTY);
  }

  onData(chunk: Uint8Array): void {
    if (this.#done) return;
    if (!this.#looked && !this.#expectProxy) {
      this.#looked = true;
      if (!this.#trusted && looksLikeProxyHeader(chunk))
        return this.#refuse("E_PROXY_UNTRUSTED", SHUT_DETAIL.E_PROXY_UNTRUSTED);
    }
    if (this.#inner !== null) return this.#inner.onData(chunk);
    const bytes = this.#prelude === null ? chunk : concat(this.#prelude, chunk);
    let parsed;
    try {
      parsed = parseProxyHeader(bytes);
    } catch (e) {
      if (e instanceof ProxyProtocolError) return this.#refuse("E_PROXY_MALFORMED", e.message);
      throw e;
    }
    if (parsed.state === "need-more") {
      if (bytes.length > MAX_PRELUDE_BYTES)
        return this.#refuse("E_PROXY_MALFORMED", "a PROXY header too long");
      this.#prelude = bytes.slice();
      return;
    }
    this.#prelude = null;
    if (parsed.state === "absent") {
      if (this.#policy.proxyProtocol === "required")
        return this.#refuse("E_PROXY_MISSING", "bridge.proxy_protocol is required and no PROXY header came");
      return this.#start(this.peer, bytes);
    }
    const h = parsed.header;
    const ip = h.kind === "proxied" ? h.source : this.peer;
    if (h.kind === "proxied") {
      const v = this.#slot.claim(ip);
      if (v !== "ok") return this.#refuse(v, "", ip);
    }
    this.#start(ip, bytes.subarray(parsed.consumed));
  }

  onDrain(): void {
    this.#inner?.onDrain();
  }

  onClosed(): void {
    const inner = this.#inner;
    this.#inner = null;
    inner?.onClosed();
    this.#finish();
  }

  tick(now: number): void {
    if (this.#inner !== null) return this.#inner.tick(now);
    if (!this.#done && now >= this.#deadline)
      this.#refuse("E_HEADER_TIMEOUT", `nothing within ${this.#policy.headerMs} ms`);
  }

  /** The socket is over (refused, or closed). */
  get closed(): boolean {
    return this.#done;
  }

  /** Close from our side: the connection's own way, or the socket cut before it had one. */
  shut(code: "E_EVICTED" | "E_BRIDGE_CLOSING"): void {
    if (this.#inner !== null) return this.#inner.shut(code);
    if (!this.#done) this.#refuse(code, SHUT_DETAIL[code]);
  }

  /** The gate needs room (SlotOwner): this socket is not a miner yet. */
  evict(): void {
    this.shut("E_EVICTED");
  }

  /** Cut the socket now (the end of a stop's grace). */
  kill(): void {
    this.#socket.terminate();
  }

  #start(ip: string, first: Uint8Array): void {
    const client: Client = { ip, peer: this.peer, trustedPeer: this.#trusted, slot: this.#slot };
    const inner = this.#events.open(client, this.#socket);
    if (inner === null) return this.#finish();
    this.#inner = inner;
    if (first.length > 0) inner.onData(first);
  }

  /** Closes the socket: the connection behind it says why, if there is one; else the counters. */
  #refuse(code: RefusalCode, detail: string, client = this.#slot.ip ?? this.peer): void {
    if (this.#inner !== null && code === "E_PROXY_UNTRUSTED") return this.#inner.shut(code);
    const via = client === this.peer ? "" : ` (via ${this.peer})`;
    this.#events.refused(code, `${client}${via}`, detail);
    this.#done = true;
    this.#socket.terminate();
    this.#finish();
  }

  #finish(): void {
    if (this.#done && this.#slot.released) return;
    this.#done = true;
    this.#slot.release();
    this.#events.gone(this);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** The doorways of one listener: accept, the sweep, and closing them all. */
export class Doorways {
  readonly #gate: ConnectionGate;
  readonly #policy: DoorPolicy;
  readonly #now: () => number;
  /** The doorways' events, made once (not an object and a closure per socket). */
  readonly #events: DoorEvents;
  readonly #live = new Set<Doorway>();
  #stopping = false;

  constructor(gate: ConnectionGate, policy: DoorPolicy, now: () => number, events: Omit<DoorEvents, "gone">) {
    this.#gate = gate;
    this.#policy = policy;
    this.#now = now;
    this.#events = { ...events, gone: (d) => void this.#live.delete(d) };
  }

  get size(): number {
    return this.#live.size;
  }

  /** A listener's `accept`: a slot for the socket, or the socket closed at once (over a cap). */
  accept(socket: NetSocket, tls: boolean): SocketHandler | null {
    const peer = normaliseIp(socket.remoteAddress);
    const trusted = this.#policy.trusted.has(peer);
    const slot = this.#stopping ? "E_BRIDGE_CLOSING" : this.#gate.open(trusted ? null : peer);
    if (typeof slot === "string") {
      this.#events.refused(slot, peer, "");
      // terminate, not end: at the cap, the descriptor must be free at once (issue 11).
      socket.terminate();
      return null;
    }
    const door = new Doorway(socket, slot, peer, tls, this.#policy, this.#now(), this.#events);
    slot.owner = door;
    this.#live.add(door);
    door.begin();
    return door.closed ? null : door;
  }

  tick(now: number): void {
    for (const d of this.#live) d.tick(now);
  }

  /**
   * Refuse new sockets and close every one (the bridge is stopping): each its own way (a close
   * frame, a FIN), then, after `graceMs`, whatever is still open is cut.
   */
  async stop(graceMs = 1000): Promise<void> {
    this.#stopping = true;
    for (const d of [...this.#live]) d.shut("E_BRIDGE_CLOSING");
    const deadline = Date.now() + graceMs;
    while (this.#live.size > 0 && Date.now() < deadline) await Bun.sleep(10);
    for (const d of [...this.#live]) d.kill();
  }
}
