// listener.ts — one listening TCP port, plain or TLS (Bun.listen), whose sockets are handed to a
// handler object: Bun's socket events mapped onto it, nothing more (STYLE.md §2). Shared by the
// built-in pool, the bridge's Stratum ports and its HTTP/WebSocket port; which sockets to admit is
// the caller's (`accept`).
//
// A TLS listener changes its certificate without dropping a connection (certificate renewals): a
// new listening socket with the new certificate binds the same port (SO_REUSEPORT) and the old one
// stops accepting; the connections it accepted stay up with their handlers. Bun cannot swap the
// certificate of a running listener (Server.reload and Listener.reload take handlers only).

import type { Socket, TCPSocketListener } from "bun";

/** What a listener calls for one accepted socket. */
export interface SocketHandler {
  onData(chunk: Uint8Array): void;
  onDrain(): void;
  /** The socket is gone (the peer, an error, or our own end()): called once. */
  onClosed(): void;
}

/** A socket's data is its handler itself (one object less per connection); null once closed. */
export type SocketData = SocketHandler | null;

export type NetSocket = Socket<SocketData>;

export interface TlsPair {
  /** PEM: the certificate chain, leaf first. */
  cert: string;
  /** PEM private key of the leaf. */
  key: string;
}

export interface ListenSpec {
  host: string;
  /** 0: any free port. */
  port: number;
  /** Serve TLS with this certificate; null: plain TCP. */
  tls: TlsPair | null;
  /**
   * Share the port with sibling worker processes (SO_REUSEPORT, bridge.workers > 1): the kernel
   * spreads new connections over them. Their supervisor has checked that no other program holds it.
   */
  reusePort?: boolean;
}

/** `accept` returns the socket's handler, or null after ending the socket itself (a cap). */
export type Accept = (socket: NetSocket) => SocketHandler | null;

export class Listener {
  readonly host: string;
  readonly tls: boolean;
  readonly #accept: Accept;
  #current: TCPSocketListener<SocketData>;
  #port: number;

  /** Throws Bun's error when the port cannot be opened (the caller gives it its own code). */
  constructor(spec: ListenSpec, accept: Accept) {
    this.host = spec.host;
    this.tls = spec.tls !== null;
    this.#accept = accept;
    const shared = spec.reusePort === true;
    if (spec.tls !== null && spec.port !== 0 && !shared) {
      // SO_REUSEPORT would let this bind share a port another process holds: ask without it first.
      // (Not for workers: their siblings hold it already, and the supervisor asked before them.)
      open(spec.host, spec.port, null, false, accept).stop(true);
    }
    this.#current = open(spec.host, spec.port, spec.tls, spec.tls !== null || shared, accept);
    this.#port = this.#current.port;
  }

  get port(): number {
    return this.#port;
  }

  /**
   * A new certificate for new connections; open ones keep theirs. Throws (the old listener stays)
   * when the new one cannot bind or Bun refuses the certificate.
   */
  setCertificate(tls: TlsPair): void {
    if (!this.tls) throw new Error("listener: not a TLS listener");
    const next = open(this.host, this.#port, tls, true, this.#accept);
    const old = this.#current;
    this.#current = next;
    old.stop(false);
  }

  /** Stops accepting; connections stay (their owners close them). */
  stop(): void {
    this.#current.stop(false);
  }
}

function open(
  host: string,
  port: number,
  tls: TlsPair | null,
  reusePort: boolean,
  accept: Accept,
): TCPSocketListener<SocketData> {
  // reusePort: Bun supports it on Bun.listen (as on Bun.serve); bun-types 1.4.5 lacks the key.
  const options: Bun.TCPSocketListenOptions<SocketData> & { reusePort: boolean } = {
    hostname: host,
    port,
    reusePort,
    ...(tls === null ? {} : { tls: { cert: tls.cert, key: tls.key } }),
    socket: {
      binaryType: "uint8array",
      open: (socket) => {
        socket.data = null;
        socket.data = accept(socket);
      },
      data: (socket, chunk) => socket.data?.onData(chunk),
      drain: (socket) => socket.data?.onDrain(),
      close: (socket) => closed(socket),
      error: (socket) => closed(socket),
    },
  };
  return Bun.listen<SocketData>(options);
}

function closed(socket: NetSocket): void {
  const h = socket.data;
  if (h === null || h === undefined) return;
  socket.data = null;
  h.onClosed();
}
