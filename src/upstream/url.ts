// url.ts — pool URLs: `stratum+tcp://host:port` (plain TCP), `stratum+ssl://` and `stratum+tls://`
// (TLS; pools use both names for the same thing), with LuckPool's optional `#xnsub` suffix that
// turns on mining.extranonce.subscribe (verus-stratum.md §3.3, as hellminer users write it).
//
// Parsed by hand rather than with `new URL`: these schemes are not "special" to WHATWG URL, so it
// would accept paths, queries and empty ports that mean nothing to a Stratum pool, and its errors
// would not say what is wrong. Credentials in the URL are refused (user and password are options),
// and such an error never echoes the URL, which may hold a password.

import { UpstreamError } from "./errors.ts";

export type PoolScheme = "stratum+tcp" | "stratum+ssl" | "stratum+tls";

export interface PoolEndpoint {
  /** Canonical form: scheme://host:port, IPv6 hosts in brackets, plus "#xnsub" when set. */
  readonly url: string;
  readonly scheme: PoolScheme;
  /** A host name or an IP address (IPv6 without brackets). */
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  /** Send mining.extranonce.subscribe after authorize (`#xnsub`). */
  readonly extranonceSubscribe: boolean;
}

const SCHEMES: Readonly<Record<string, boolean>> = {
  "stratum+tcp": false,
  "stratum+ssl": true,
  "stratum+tls": true,
};
const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
const IPV6 = /^[0-9A-Fa-f:.]{2,45}(?:%[A-Za-z0-9]+)?$/;
const MAX_URL_LENGTH = 512;

function bad(message: string, detail: Record<string, unknown> = {}): UpstreamError {
  return new UpstreamError("E_POOL_URL", message, detail);
}

export function parsePoolUrl(input: string): PoolEndpoint {
  const text = input.trim();
  if (text.length === 0) throw bad("pool URL is empty");
  if (text.length > MAX_URL_LENGTH) throw bad(`pool URL is longer than ${MAX_URL_LENGTH} characters`);
  const sep = text.indexOf("://");
  if (sep < 0)
    throw bad(`pool URL "${text}" has no scheme: write stratum+tcp://host:port or stratum+ssl://host:port`);
  const scheme = text.slice(0, sep).toLowerCase();
  const tls = SCHEMES[scheme];
  if (tls === undefined) {
    throw bad(`unsupported scheme "${scheme}://": use stratum+tcp://, stratum+ssl:// or stratum+tls://`, {
      scheme,
    });
  }

  let rest = text.slice(sep + 3);
  let extranonceSubscribe = false;
  const hash = rest.indexOf("#");
  if (hash >= 0) {
    const fragment = rest.slice(hash + 1);
    if (fragment.toLowerCase() !== "xnsub")
      throw bad(`unknown URL suffix "#${fragment}": only "#xnsub" is understood`);
    extranonceSubscribe = true;
    rest = rest.slice(0, hash);
  }
  if (rest.includes("@"))
    throw bad("credentials in the pool URL are not supported: set the user and password options instead");
  if (rest.endsWith("/")) rest = rest.slice(0, -1);
  if (/[/?]/.test(rest))
    throw bad(`pool URL "${text}" has a path or query: a Stratum pool URL is scheme://host:port`);

  let host: string;
  let portText: string;
  if (rest.startsWith("[")) {
    const close = rest.indexOf("]");
    if (close < 0) throw bad(`pool URL "${text}" has an unterminated IPv6 address`);
    host = rest.slice(1, close);
    if (!IPV6.test(host) || !host.includes(":")) throw bad(`"${host}" is not an IPv6 address`);
    if (rest[close + 1] !== ":")
      throw bad(`pool URL "${text}" has no port: write ${scheme}://[${host}]:PORT`);
    portText = rest.slice(close + 2);
  } else {
    const colon = rest.lastIndexOf(":");
    if (colon < 0) throw bad(`pool URL "${text}" has no port: write ${scheme}://${rest || "host"}:PORT`);
    host = rest.slice(0, colon);
    portText = rest.slice(colon + 1);
    if (host.includes(":"))
      throw bad(`IPv6 addresses must be in brackets: ${scheme}://[${host}]:${portText}`);
    if (!HOSTNAME.test(host)) throw bad(`"${host}" is not a valid host name`, { host });
  }
  if (!/^\d{1,5}$/.test(portText)) throw bad(`port "${portText}" is not a number from 1 to 65535`);
  const port = Number(portText);
  if (port < 1 || port > 65535) throw bad(`port ${port} is not in 1..65535`);
  return endpointOf(scheme as PoolScheme, host, port, extranonceSubscribe);
}

/** A host a pool may redirect us to: a host name or an IP address (no URL syntax around it). */
export function isValidHost(host: string): boolean {
  return HOSTNAME.test(host) || (host.includes(":") && IPV6.test(host));
}

/**
 * client.reconnect may move us to another port of the same host, or to a host of the configured
 * pool list — never elsewhere: a pool (or whoever sits between us and it) must not be able to send
 * our miners' work and our user's address to a host the operator never chose (issue 10).
 */
export function redirectAllowed(
  host: string,
  current: PoolEndpoint,
  pools: readonly PoolEndpoint[],
): boolean {
  const h = hostKey(host);
  return h === hostKey(current.host) || pools.some((p) => hostKey(p.host) === h);
}

/** Host names compare case-insensitively and without a trailing dot; IPv6 without brackets. */
function hostKey(host: string): string {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, "$1");
  return h.endsWith(".") ? h.slice(0, -1) : h;
}

/** The same pool on another host and/or port: client.reconnect redirects (verus-stratum.md §3.8). */
export function redirectEndpoint(e: PoolEndpoint, host: string | null, port: number | null): PoolEndpoint {
  return endpointOf(e.scheme, host ?? e.host, port ?? e.port, e.extranonceSubscribe);
}

function endpointOf(
  scheme: PoolScheme,
  host: string,
  port: number,
  extranonceSubscribe: boolean,
): PoolEndpoint {
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return Object.freeze({
    url: `${scheme}://${shownHost}:${port}${extranonceSubscribe ? "#xnsub" : ""}`,
    scheme,
    host,
    port,
    tls: SCHEMES[scheme] === true,
    extranonceSubscribe,
  });
}
