// forwarded.ts — the real client behind trusted reverse proxies, from the HTTP headers they add:
// RFC 7239 `Forwarded`, else the de-facto X-Forwarded-For / -Proto / -Host. Pure: the server passes
// the peer address, the trusted set and a header getter; per-IP caps, bans, logs and the admin
// check then use `client`.
//
// Each proxy appends the address it received the request from, so the list reads
// client, proxy1, …, proxyN and the peer is proxyN+1. Everything left of the first hop we do not
// trust was written by someone we do not trust, so the walk goes from the right and stops at the
// first untrusted hop. When the walk cannot go on (a hop that is not an address, a header past the
// caps) the answer is the nearest trusted hop: never a value an untrusted party could choose.

import { normaliseIp, parseIp, type AddressSet } from "./addresses.ts";

export interface ForwardedView {
  /** The client's address (normaliseIp form). */
  client: string;
  /** "https" | "http" as the client used it, when a trusted proxy said so; else null. */
  proto: string | null;
  /** The Host the client asked for, when a trusted proxy said so; else null. */
  host: string | null;
  /** Why headers from a trusted peer were not used, for a counter/log: null when fine. */
  problem: ForwardedProblem | null;
}

export type ForwardedProblem = "E_FORWARDED_MALFORMED";

/** Longest header value looked at (after same-name headers are joined): nginx's default
 *  large_client_header_buffers line is 8 KiB; a real chain of proxies needs a few hundred bytes. */
export const MAX_FORWARDED_CHARS = 4096;
/** Most hops (list entries, not counting the peer) looked at: no real chain has more than a few. */
export const MAX_FORWARDED_HOPS = 32;
/** host[:port] as one string: a DNS name is at most 253 characters (RFC 1035 §2.3.4), so 255 is generous. */
const MAX_HOST_CHARS = 255;

/** One list entry: an address, a hop that chose not to say ("unknown", "_obf"), or garbage. */
type Hop = { kind: "ip"; ip: string } | { kind: "hidden" } | { kind: "bad" };

/** One hop with what its proxy said about the request it received. */
interface Element {
  hop: Hop;
  proto?: string | undefined;
  host?: string | undefined;
}

/** `get` reads a request header (lowercase name; multiple same-name headers already joined with ", "). */
export function forwardedClient(
  peer: string,
  trusted: AddressSet,
  get: (name: string) => string | null,
): ForwardedView {
  const self = normaliseIp(peer);
  const plain: ForwardedView = { client: self, proto: null, host: null, problem: null };
  if (!trusted.has(peer)) return plain;

  const forwarded = nonEmpty(get("forwarded"));
  const xff = forwarded === null ? nonEmpty(get("x-forwarded-for")) : null;
  const list = forwarded ?? xff;
  if (list !== null && list.length > MAX_FORWARDED_CHARS)
    return { ...plain, problem: "E_FORWARDED_MALFORMED" };
  let elements: Element[];
  if (forwarded !== null) {
    elements = parseForwarded(forwarded);
  } else {
    elements = xff === null ? [] : splitList(xff, ",", false).map((e) => ({ hop: parseNode(e, false) }));
  }
  if (elements.length > MAX_FORWARDED_HOPS) return { ...plain, problem: "E_FORWARDED_MALFORMED" };

  // Walk from the right. `end` ends as the index of the last element looked at: the client's, or
  // the hop that stopped the walk (elements.length when there is none: the peer is the client).
  let end = elements.length;
  let client = self;
  let problem: ForwardedProblem | null = null;
  while (end > 0) {
    const hop = elements[--end]!.hop;
    if (hop.kind !== "ip") {
      // "unknown", "_obf" or garbage: the client stays the trusted hop to its right.
      if (hop.kind === "bad") problem = "E_FORWARDED_MALFORMED";
      break;
    }
    client = hop.ip;
    if (!trusted.has(hop.ip)) break;
  }

  // What the client asked for is in the values written by the proxy it connected to, which is
  // trusted (the walk went past it) — also when that proxy hid the client's address.
  if (forwarded !== null) {
    // RFC 7239 keeps proto= and host= in the element that carries for=.
    const el = elements[end];
    return { client, proto: checkProto(el?.proto), host: checkHost(el?.host), problem };
  }
  // X-Forwarded-Proto/-Host are separate lists. Proxies that append write one value per hop, so the
  // value for the client's hop sits as far from the right as the client's entry does in
  // X-Forwarded-For. Lists of another length are read the same way, clamped to the list: with
  // values the client sent itself in front, the value taken is still the one that trusted proxy
  // appended; from a proxy that overwrites instead of appending, it is the only value there.
  const fromRight = elements.length - end;
  return {
    client,
    proto: checkProto(pick(get("x-forwarded-proto"), fromRight)),
    host: checkHost(pick(get("x-forwarded-host"), fromRight)),
    problem,
  };
}

function nonEmpty(v: string | null): string | null {
  return v === null || v.trim() === "" ? null : v;
}

function pick(header: string | null, fromRight: number): string | undefined {
  if (header === null || header.length > MAX_FORWARDED_CHARS) return undefined;
  const values = splitList(header, ",", false);
  if (values.length > MAX_FORWARDED_HOPS + 1) return undefined;
  const i = Math.min(values.length - 1, Math.max(0, values.length - Math.max(1, fromRight)));
  return values[i];
}

function checkProto(v: string | undefined): string | null {
  const p = v?.toLowerCase();
  return p === "http" || p === "https" ? p : null;
}

/** A plausible host[:port]: a name or IPv4, or a bracketed IPv6, and a decimal port. */
function checkHost(v: string | undefined): string | null {
  if (v === undefined || v.length === 0 || v.length > MAX_HOST_CHARS) return null;
  return /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/.test(v) ? v.toLowerCase() : null;
}

/**
 * Splits a list on `sep` (outside quoted strings when `quotes`), trimming optional whitespace
 * (RFC 9110 §5.6.1). It scans from the right, so a stray quote can only spoil the entries left of it:
 * the ones a client wrote, never the ones our proxies appended after them.
 */
function splitList(s: string, sep: string, quotes: boolean): string[] {
  const out: string[] = [];
  let end = s.length;
  let quoted = false;
  for (let i = s.length - 1; i >= 0; i--) {
    const c = s[i];
    if (quotes && c === '"') {
      let backslashes = 0;
      while (i - 1 - backslashes >= 0 && s[i - 1 - backslashes] === "\\") backslashes++;
      if (!(quoted && backslashes % 2 === 1)) quoted = !quoted; // an escaped quote inside a string
    } else if (!quoted && c === sep) {
      out.push(s.slice(i + 1, end).trim());
      end = i;
    }
  }
  out.push(s.slice(0, end).trim());
  return out.reverse();
}

/**
 * An address with an optional port, as X-Forwarded-For and RFC 7239 §6 node write them:
 * "1.2.3.4", "1.2.3.4:5678", "::1", "[::1]", "[::1]:80". In `Forwarded`, also "unknown" and
 * obfuscated "_name" identifiers (§6.2, §6.3): hops that chose not to say, so the walk stops there.
 */
function parseNode(text: string, rfc7239: boolean): Hop {
  if (text.toLowerCase() === "unknown") return { kind: "hidden" }; // also Squid's X-Forwarded-For
  if (rfc7239 && HIDDEN_NODE.test(text)) return { kind: "hidden" };
  const bare = parseIp(text);
  if (bare !== null && !text.includes("%")) return { kind: "ip", ip: normaliseIp(text) };
  let host = text;
  let port: string | null = null;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close === -1) return { kind: "bad" };
    host = text.slice(0, close + 1);
    if (close + 1 < text.length) {
      if (text[close + 1] !== ":") return { kind: "bad" };
      port = text.slice(close + 2);
    }
  } else {
    const colon = text.indexOf(":");
    if (colon === -1 || text.indexOf(":", colon + 1) !== -1) return { kind: "bad" };
    host = text.slice(0, colon);
    port = text.slice(colon + 1);
  }
  if (port !== null && !validPort(port, rfc7239)) return { kind: "bad" };
  if (host.includes("%") || parseIp(host) === null) return { kind: "bad" };
  return { kind: "ip", ip: normaliseIp(host) };
}

/** RFC 7239 §6: "unknown" or an obfnode, with an optional port or obfport. */
const HIDDEN_NODE = /^(unknown|_[A-Za-z0-9._-]+)(:(\d{1,5}|_[A-Za-z0-9._-]+))?$/i;

function validPort(p: string, rfc7239: boolean): boolean {
  if (/^\d{1,5}$/.test(p)) return Number(p) <= 65535;
  return rfc7239 && /^_[A-Za-z0-9._-]+$/.test(p); // obfport (RFC 7239 §6.3)
}

/**
 * RFC 7239 §4: elements separated by ",", pairs by ";", each token=value with the value a token or
 * a quoted-string. An element that breaks the grammar, repeats a parameter, or has no for= is one
 * hop that is "bad" (or "hidden" without for=: the proxy did not say); elements left of it are
 * still split, because the walk never reaches past it anyway.
 */
function parseForwarded(header: string): Element[] {
  return splitList(header, ",", true).map((text): Element => {
    const params = new Map<string, string>();
    for (const pair of splitList(text, ";", true)) {
      if (pair === "") continue; // forwarded-element = [ pair ] *( ";" [ pair ] )
      const eq = pair.indexOf("=");
      const name = pair.slice(0, Math.max(0, eq)).toLowerCase();
      const value = eq === -1 || !TOKEN.test(name) ? null : unquote(pair.slice(eq + 1));
      if (value === null || params.has(name)) return { hop: { kind: "bad" } };
      params.set(name, value);
    }
    const f = params.get("for");
    return {
      hop: f === undefined ? { kind: "hidden" } : parseNode(f, true),
      proto: params.get("proto"),
      host: params.get("host"),
    };
  });
}

/** RFC 9110 §5.6.2 token characters. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Unquoted values: tokens, and liberally also ":" "[" "]" — RFC 7239 §6 wants IPv6 and ports
 *  quoted, but `for=[::1]:80` from a hand-written proxy rule is unambiguous. */
const BARE_VALUE = /^[!#$%&'*+.^_`|~0-9A-Za-z:[\]-]+$/;

/** A bare value as is, or a quoted-string without its quotes and escapes (RFC 9110 §5.6.4); null if neither. */
function unquote(v: string): string | null {
  if (!v.startsWith('"')) return BARE_VALUE.test(v) ? v : null;
  if (v.length < 2 || !v.endsWith('"')) return null;
  let out = "";
  for (let i = 1; i < v.length - 1; i++) {
    let c = v[i]!;
    if (c === "\\") {
      if (i + 1 >= v.length - 1) return null;
      c = v[++i]!;
    } else if (c === '"') return null;
    if (c < " " && c !== "\t") return null;
    out += c;
  }
  return out;
}
