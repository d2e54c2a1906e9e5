// addresses.ts — IP address text: parsing, one canonical spelling per address (the key of per-IP caps,
// bans and log lines) and sets of addresses and CIDR blocks (trusted_proxies). Pure and strict: an
// address that does not parse is never guessed at, because a wrong guess here would let one client
// pass as another.
//
// Matching happens in one 16-byte space: an IPv4 address is its IPv4-mapped IPv6 form
// (::ffff:a.b.c.d, RFC 4291 §2.5.5.2). So "10.0.0.0/8" matches both "10.1.2.3" and
// "::ffff:10.1.2.3" (what a dual-stack socket reports), and an IPv6 block that covers
// ::ffff:0:0/96 (e.g. "::/0") covers every IPv4 address too.

import { CodedError } from "../util/errors.ts";

export type AddressErrorCode = "E_BAD_ADDRESS";

export class AddressError extends CodedError<AddressErrorCode> {
  /** A bad entry comes from the operator's configuration (trusted_proxies): theirs to fix. */
  static override readonly usageCodes: ReadonlySet<string> = new Set<AddressErrorCode>(["E_BAD_ADDRESS"]);
}

/** Longest text parseIp looks at: a full IPv6 with an embedded IPv4, brackets and a zone id. */
const MAX_IP_TEXT = 64;
const MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

function parseIpv4(s: string): Uint8Array | null {
  const parts = s.split(".");
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    // No leading zeros: "010" is octal to inet_aton and decimal elsewhere (proxy-protocol.txt §2.1).
    if (!/^(0|[1-9]\d{0,2})$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    out[i] = n;
  }
  return out;
}

function parseIpv6(s: string): Uint8Array | null {
  let text = s;
  // An embedded IPv4 in the last 32 bits ("::ffff:1.2.3.4", RFC 4291 §2.2 form 3): parse it and
  // stand two zero groups in its place, so the rest is plain hex groups.
  let tail: Uint8Array | null = null;
  const lastColon = s.lastIndexOf(":");
  if (s.slice(lastColon + 1).includes(".")) {
    tail = parseIpv4(s.slice(lastColon + 1));
    if (tail === null) return null;
    text = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const gap = text.indexOf("::");
  let groups: string[];
  if (gap === -1) {
    groups = text.split(":");
    if (groups.length !== 8) return null;
  } else {
    if (text.indexOf("::", gap + 1) !== -1) return null; // one "::" at most (also refuses ":::")
    const left = gap === 0 ? [] : text.slice(0, gap).split(":");
    const right = gap + 2 === text.length ? [] : text.slice(gap + 2).split(":");
    if (left.length + right.length > 7) return null; // "::" stands for at least one group
    groups = [...left, ...Array<string>(8 - left.length - right.length).fill("0"), ...right];
  }
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const w = word(groups[i]!);
    if (w === null) return null;
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  }
  if (tail !== null) out.set(tail, 12);
  return out;
}

function word(g: string): number | null {
  return /^[0-9a-fA-F]{1,4}$/.test(g) ? parseInt(g, 16) : null;
}

/** Parses an IPv4 or IPv6 literal (IPv6 may be in [brackets], a %zone is dropped) into 4 or 16 bytes; null if not an IP. */
export function parseIp(s: string): Uint8Array | null {
  if (typeof s !== "string" || s.length === 0 || s.length > MAX_IP_TEXT) return null;
  let t = s;
  if (t.startsWith("[")) {
    if (!t.endsWith("]")) return null;
    t = t.slice(1, -1);
    if (!t.includes(":")) return null; // brackets are for IPv6 only (RFC 3986 §3.2.2)
  }
  if (!t.includes(":")) return parseIpv4(t);
  const zone = t.indexOf("%");
  if (zone !== -1) {
    // Zone ids (RFC 4007 §11) only name an interface on this host: not part of the address.
    if (!/^[0-9A-Za-z._~-]+$/.test(t.slice(zone + 1))) return null;
    t = t.slice(0, zone);
  }
  return parseIpv6(t);
}

/** The 16-byte form of a parsed address: IPv4 as IPv4-mapped IPv6. */
export function toIpv6Bytes(b: Uint8Array): Uint8Array {
  if (b.length === 16) return b;
  const out = new Uint8Array(16);
  out.set(MAPPED_PREFIX);
  out.set(b, 12);
  return out;
}

function isMapped(b: Uint8Array): boolean {
  return b.length === 16 && MAPPED_PREFIX.every((v, i) => b[i] === v);
}

/** Canonical text of 4 or 16 bytes: dotted IPv4 (also for IPv4-mapped), else RFC 5952 IPv6. */
export function formatIp(b: Uint8Array): string {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  if (isMapped(b)) return formatIp(b.subarray(12));
  const words = Array.from({ length: 8 }, (_, i) => (b[2 * i]! << 8) | b[2 * i + 1]!);
  // RFC 5952 §4.2: "::" replaces the longest run of two or more zero groups, the first if tied.
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) [bestAt, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(":");
  if (bestAt === -1) return hex(words);
  return `${hex(words.slice(0, bestAt))}::${hex(words.slice(bestAt + bestLen))}`;
}

/** "::ffff:1.2.3.4" → "1.2.3.4", lowercase, RFC 5952 IPv6, zone ids dropped; "unknown" for null/""/unparsable. */
export function normaliseIp(ip: string | null | undefined): string {
  if (ip === null || ip === undefined || ip === "") return "unknown";
  // Already canonical (the common case: Bun's remoteAddress of an IPv4 peer): the same string.
  if (CANONICAL_V4.test(ip)) return ip;
  const b = parseIp(ip);
  return b === null ? "unknown" : formatIp(b);
}

/** A dotted quad with no leading zeros and every part ≤ 255. */
const CANONICAL_V4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** 127.0.0.0/8 and ::1 (and ::ffff:127.x). */
export function isLoopback(ip: string): boolean {
  const b = parseIp(ip);
  if (b === null) return false;
  const v6 = toIpv6Bytes(b);
  if (isMapped(v6)) return v6[12] === 127;
  return v6.every((v, i) => v === (i === 15 ? 1 : 0));
}

interface Block {
  bytes: Uint8Array; // 16 bytes, host bits zero
  prefix: number; // 0..128 in the 16-byte space
}

function parseEntry(raw: string): Block {
  const entry = raw.trim();
  const bad = (why: string) =>
    new AddressError("E_BAD_ADDRESS", `bad address ${JSON.stringify(raw)}: ${why}`);
  const slash = entry.indexOf("/");
  const addrText = slash === -1 ? entry : entry.slice(0, slash);
  if (addrText.includes("%")) throw bad("a zone id has no place in an address list");
  const addr = parseIp(addrText);
  if (addr === null) throw bad("not an IPv4 or IPv6 address");
  const bits = addr.length * 8;
  let prefix = bits;
  if (slash !== -1) {
    const p = entry.slice(slash + 1);
    if (!/^(0|[1-9]\d{0,2})$/.test(p)) throw bad("the prefix length must be a decimal number");
    prefix = Number(p);
    if (prefix > bits) throw bad(`the prefix length is more than ${bits}`);
  }
  const bytes = toIpv6Bytes(addr);
  const full = prefix + (128 - bits);
  const masked = mask(bytes, full);
  if (!masked.every((v, i) => v === bytes[i])) {
    const net = formatIp(addr.length === 4 ? masked.subarray(12) : masked);
    throw bad(`host bits are set (did you mean ${net}/${prefix}?)`);
  }
  return { bytes: masked, prefix: full };
}

function mask(b: Uint8Array, prefix: number): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    const keep = Math.max(0, Math.min(8, prefix - 8 * i));
    out[i] = b[i]! & ((0xff << (8 - keep)) & 0xff);
  }
  return out;
}

function inBlock(b: Uint8Array, block: Block): boolean {
  const whole = block.prefix >> 3;
  for (let i = 0; i < whole; i++) if (b[i] !== block.bytes[i]) return false;
  const rest = block.prefix & 7;
  if (rest === 0) return true;
  const m = (0xff << (8 - rest)) & 0xff;
  return (b[whole]! & m) === block.bytes[whole];
}

/**
 * A set of addresses and CIDR blocks ("127.0.0.1", "::1", "10.0.0.0/8", "fd00::/8"). Throws
 * E_BAD_ADDRESS naming the entry for garbage, a prefix too long, or host bits set. Lookups scan the
 * blocks: a trusted-proxy list is a handful of entries, looked up a few times per connection.
 */
export class AddressSet {
  readonly #blocks: Block[] = [];
  readonly #canonical: string[] = [];

  constructor(entries: readonly string[]) {
    for (const e of entries) {
      const block = parseEntry(e);
      const text = blockText(block);
      if (this.#canonical.includes(text)) continue; // duplicates count once
      this.#blocks.push(block);
      this.#canonical.push(text);
    }
  }

  has(ip: string): boolean {
    const b = parseIp(ip);
    if (b === null) return false;
    const v6 = toIpv6Bytes(b);
    return this.#blocks.some((block) => inBlock(v6, block));
  }

  get size(): number {
    return this.#blocks.length;
  }

  /** The entries in canonical form ("10.0.0.0/8", "::1/128"), for a log line. */
  entries(): string[] {
    return [...this.#canonical];
  }
}

function blockText(b: Block): string {
  return isMapped(b.bytes) && b.prefix >= 96
    ? `${formatIp(b.bytes)}/${b.prefix - 96}`
    : `${formatIp(b.bytes)}/${b.prefix}`;
}
