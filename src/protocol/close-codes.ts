// close-codes.ts — why a server ends a miner's connection: one vocabulary for every transport
// (WebSocket msgpack and JSON, the bridge's Stratum port, the built-in pool). A code names one
// cause for good; tests, logs, /stats and the browser client switch on it, never on the prose.
// On WebSocket it travels as the close reason with the close code listed here (a browser cannot
// see the HTTP status of a failed upgrade); on Stratum TCP, which has no close message, it is what
// logs and counters say.

/** Why a server ends a connection. */
export type CloseCode =
  | "E_VERSION" // a msgpack frame of a protocol version this bridge does not speak
  | "E_TOO_MANY_BAD_FRAMES" // past the bad-frame (bad-line) threshold
  | "E_MALFORMED" // built-in pool: a line that is not JSON-RPC (v-nomp destroys the socket at once)
  | "E_FRAME_TOO_LARGE" // a message or line over its cap (the pool's v-nomp flood guard too)
  | "E_UNAUTHORIZED" // access token missing or wrong, or the worker was refused
  | "E_TOO_MANY_CONNECTIONS" // the server's connection cap reached
  | "E_TOO_MANY_FROM_ADDRESS" // the per-address cap reached
  | "E_RATE_LIMITED" // messages (or, said by the core, shares) faster than allowed
  | "E_BRIDGE_FULL" // the core has no nonce lease or upstream session for a new miner
  | "E_HANDSHAKE_TIMEOUT" // no hello / subscribe+authorize within the handshake timeout
  | "E_IDLE_TIMEOUT" // nothing (built-in pool: no submit) within the idle timeout
  | "E_TOO_MANY_INVALID" // the core ended the session: too many invalid shares
  | "E_SLOW_READER" // our outgoing buffer for it passed its cap (no close frame can get through)
  | "E_RELEASED" // Stratum: the nonce lease changed and the miner cannot be told
  | "E_BRIDGE_CLOSING" // the bridge is stopping
  | "E_POOL_CLOSING" // the built-in pool is stopping
  | "E_POOL_NO_WORK" // the built-in pool's daemon gave no template for too long: the job is dead work
  | "E_EVICTED" // not yet a session (not subscribed), closed to make room at the connection cap
  | "E_PROXY_UNTRUSTED" // a PROXY protocol header from a peer not in bridge.trusted_proxies
  | "E_INTERNAL"; // a bug on our side while handling this connection (logged with its stack)

/** How a connection ended: the peer went away, or we closed it with a code. */
export type CloseReason = "peer" | CloseCode;

/**
 * A connection refused before any session exists: a foreign Origin (HTTP 403, no socket at all),
 * or one of the close codes above, said as soon as the socket opens.
 */
export type RefusalCode =
  | "E_ORIGIN"
  | "E_UNAUTHORIZED"
  | "E_TOO_MANY_CONNECTIONS"
  | "E_TOO_MANY_FROM_ADDRESS"
  | "E_BRIDGE_FULL"
  | "E_BRIDGE_CLOSING"
  // Sockets closed before any session (src/downstream/doorway.ts, http-connection.ts):
  | "E_EVICTED" // idle and pending (no request, no upgrade) when the total cap needed room
  | "E_HEADER_TIMEOUT" // no complete request head (or PROXY header) within the handshake timeout
  | "E_KEEPALIVE_TIMEOUT" // an idle keep-alive HTTP connection past bridge.keepalive_timeout
  | "E_HTTP_MALFORMED" // not an HTTP/1.x request we can read (answered 400)
  | "E_HTTP_TOO_LARGE" // a request head over its cap (answered 431)
  | "E_PROXY_UNTRUSTED" // a PROXY protocol header from a peer not in bridge.trusted_proxies
  | "E_PROXY_MISSING" // bridge.proxy_protocol = "required" and a trusted peer sent none
  | "E_PROXY_MALFORMED"; // a PROXY protocol header that does not parse

/** The WebSocket close code sent with each reason (4xxx: application range, RFC 6455 §7.4.2). */
export const WS_CLOSE_CODES: Readonly<Record<CloseCode, number>> = {
  E_VERSION: 4406,
  E_TOO_MANY_BAD_FRAMES: 4400,
  E_MALFORMED: 4400,
  E_FRAME_TOO_LARGE: 1009, // RFC 6455 "message too big"; Bun uses it for its own payload cap too
  E_UNAUTHORIZED: 4401,
  E_TOO_MANY_CONNECTIONS: 4503,
  E_TOO_MANY_FROM_ADDRESS: 4429,
  E_RATE_LIMITED: 4429,
  E_BRIDGE_FULL: 4503,
  E_HANDSHAKE_TIMEOUT: 4408,
  E_IDLE_TIMEOUT: 4408,
  E_TOO_MANY_INVALID: 4403,
  E_SLOW_READER: 4508, // never seen by the peer: the socket is cut without a close frame
  E_RELEASED: 4409,
  E_BRIDGE_CLOSING: 1001, // RFC 6455 "going away"
  E_POOL_CLOSING: 1001,
  E_POOL_NO_WORK: 1013, // RFC 6455 "try again later"
  E_EVICTED: 4503,
  E_PROXY_UNTRUSTED: 4400,
  E_INTERNAL: 1011, // RFC 6455 "internal error"
};
