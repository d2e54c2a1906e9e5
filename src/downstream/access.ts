// access.ts — who may connect: the WebSocket Origin policy, the access token, and who may read the
// operator API (adminAllowed; addresses and loopback checks: net/addresses.ts). Pure functions: the servers call
// them before a connection ever reaches the bridge core.

import { createHash, timingSafeEqual } from "node:crypto";
import { isLoopback } from "../net/addresses.ts";

/**
 * The Origin policy of bridge.origins:
 * - no Origin header: allowed. Browsers always send one on a WebSocket handshake, so its absence
 *   means a native client, which could forge any Origin anyway; the check only stops other
 *   websites from using their visitors' browsers against this bridge;
 * - ["*"]: any origin;
 * - the same origin always: the bridge's own page (the Origin's host[:port] equals the Host header,
 *   default ports folded, and, when the scheme the client used is known — a TLS listener, or
 *   X-Forwarded-Proto from a trusted proxy — its scheme too);
 * - and the listed origins (scheme, host and port), if any.
 */
export function originAllowed(
  origin: string | null,
  host: string | null,
  allowed: readonly string[],
  scheme: string | null = null,
): boolean {
  if (origin === null) return true;
  if (allowed.includes("*")) return true;
  const o = parseOrigin(origin);
  if (o === null) return false; // "null" (sandboxed frames, file://) and garbage
  const same =
    host !== null &&
    o.host === normaliseHost(host, o.protocol) &&
    (scheme === null || o.protocol === `${scheme}:`);
  return same || allowed.some((a) => parseOrigin(a)?.origin === o.origin);
}

function parseOrigin(s: string): URL | null {
  try {
    const u = new URL(s);
    return u.protocol === "http:" || u.protocol === "https:" ? u : null;
  } catch {
    return null;
  }
}

/** A Host header as URL.host spells it: lowercase, without the scheme's default port. */
function normaliseHost(host: string, protocol: string): string {
  const h = host.trim().toLowerCase();
  const port = protocol === "https:" ? ":443" : ":80";
  return h.endsWith(port) ? h.slice(0, -port.length) : h;
}

const digest = (s: string) => createHash("sha256").update(s).digest();

/** True when no token is configured, or `given` equals it (compared in constant time). */
export function tokenMatches(given: string | null, token: string): boolean {
  if (token === "") return true;
  if (given === null) return false;
  return timingSafeEqual(digest(given), digest(token));
}

/**
 * The operator's pages and API (bridge.admin_token): loopback clients always (`client` is the real
 * client, behind trusted proxies the address they name); others only when a token is configured and
 * given, as `Authorization: Bearer TOKEN` or `?token=TOKEN`.
 */
export function adminAllowed(
  client: string,
  authorization: string | null,
  queryToken: string | null,
  adminToken: string,
): boolean {
  if (isLoopback(client)) return true;
  if (adminToken === "") return false;
  const bearer = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? "")?.[1] ?? null;
  return tokenMatches(bearer ?? queryToken, adminToken);
}

export { isLoopback, normaliseIp } from "../net/addresses.ts";
