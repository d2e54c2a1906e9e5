// listener.ts — a Stratum TCP listening socket (Bun.listen) whose sockets are StratumConnections:
// Bun's socket events mapped onto the connection, nothing more (STYLE.md §2). Shared by the
// built-in pool and the bridge's Stratum port; which connections to admit is theirs (`accept`).

import type { Socket, TCPSocketListener } from "bun";
import type { StratumConnection } from "./connection.ts";

interface SocketData {
  conn: StratumConnection | null;
}

export type StratumSocket = Socket<SocketData>;

/**
 * Listens on host:port; `accept` makes the connection for a new socket, or returns null after
 * ending the socket itself (a cap, shutting down). Throws Bun's error when the port cannot be
 * opened: the caller turns it into its own coded error.
 */
export function listenStratum(
  host: string,
  port: number,
  accept: (socket: StratumSocket) => StratumConnection | null,
): TCPSocketListener<SocketData> {
  return Bun.listen<SocketData>({
    hostname: host,
    port,
    socket: {
      binaryType: "uint8array",
      open: (socket) => {
        socket.data = { conn: null };
        socket.data.conn = accept(socket);
      },
      data: (socket, chunk) => socket.data.conn?.onData(chunk),
      drain: (socket) => socket.data.conn?.onDrain(),
      close: (socket) => socket.data.conn?.onPeerClosed(),
      error: (socket) => socket.data.conn?.onPeerClosed(),
    },
  });
}
