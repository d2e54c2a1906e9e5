// proxy-protocol.ts — the HAProxy PROXY protocol, server side, sans-IO: the header a load balancer
// (`send-proxy` v1 text, `send-proxy-v2` binary) puts in front of a TCP stream to say whose
// connection it is. Written from haproxy's doc/proxy-protocol.txt (§2.1 v1, §2.2 v2). The Stratum
// listener feeds the first bytes of a connection here; only a trusted peer's header is believed,
// and looksLikeProxyHeader lets it refuse one from anyone else.
//
// Parsing is strict and incremental: "need-more" only while the bytes are still a prefix of a
// header that could be valid, so a peer cannot keep a connection pending on garbage.

import { CodedError } from "../util/errors.ts";
import { formatIp, normaliseIp, parseIp } from "./addresses.ts";

export type ProxyErrorCode = "E_PROXY_MALFORMED" | "E_PROXY_UNSUPPORTED";
export class ProxyProtocolError extends CodedError<ProxyErrorCode> {}

export type ProxyHeader =
  | {
      kind: "proxied";
      source: string;
      sourcePort: number;
      destination: string;
      destinationPort: number;
      version: 1 | 2;
    }
  | { kind: "local"; version: 1 | 2 }; // v2 LOCAL command or v1 "PROXY UNKNOWN": use the peer's own address

export type ProxyParse =
  | { state: "need-more" }
  | { state: "absent" } // the bytes cannot start a PROXY header: ordinary traffic
  | { state: "done"; header: ProxyHeader; consumed: number };

/** §2.1: the longest v1 line, CRLF included ("PROXY UNKNOWN" with two full IPv6 and ports). */
export const MAX_V1_BYTES = 107;
/**
 * Our cap on a v2 header (16 fixed bytes + this many): the spec allows 65535, but the largest address
 * block is 216 bytes (AF_UNIX) and the TLVs haproxy sends (ALPN, authority, unique id, SSL version
 * and CN, …) fit in a few hundred. Buffering 64 KiB per connection before the first Stratum byte
 * would be a cheap memory lever; a longer header is refused as E_PROXY_UNSUPPORTED.
 */
export const MAX_V2_PAYLOAD = 2048;

const V1_PREFIX = new TextEncoder().encode("PROXY ");
/** §2.2: "\r\n\r\n\0\r\nQUIT\n". */
const V2_SIGNATURE = Uint8Array.of(0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a);
const V2_FIXED = 16;
/** §2.2 address block sizes per family: AF_INET, AF_INET6, AF_UNIX. */
const V2_FAMILIES = new Set([0x00, 0x11, 0x12, 0x21, 0x22, 0x31, 0x32]);
const V2_ADDRESS_BYTES: Record<number, number> = { 1: 12, 2: 36, 3: 216 };

const malformed = (why: string) => new ProxyProtocolError("E_PROXY_MALFORMED", `PROXY header: ${why}`);

/** Whether a is a prefix of b (compared up to a's length, or b's if shorter). */
function prefixMatch(bytes: Uint8Array, of: Uint8Array): boolean {
  const n = Math.min(bytes.length, of.length);
  for (let i = 0; i < n; i++) if (bytes[i] !== of[i]) return false;
  return true;
}

/**
 * True when the bytes start with a whole PROXY signature: "PROXY " (v1) or the 12 bytes of v2.
 * A shorter prefix ("P", "\r\n") is not enough: ordinary traffic may start that way.
 */
export function looksLikeProxyHeader(bytes: Uint8Array): boolean {
  const whole = (sig: Uint8Array) => bytes.length >= sig.length && prefixMatch(bytes, sig);
  return whole(V1_PREFIX) || whole(V2_SIGNATURE);
}

/** Looks at the first bytes a peer sent (everything received so far, from offset 0). */
export function parseProxyHeader(bytes: Uint8Array): ProxyParse {
  if (bytes.length === 0) return { state: "need-more" };
  if (bytes[0] === V1_PREFIX[0]) {
    if (!prefixMatch(bytes, V1_PREFIX)) return { state: "absent" };
    return bytes.length < V1_PREFIX.length ? { state: "need-more" } : parseV1(bytes);
  }
  if (bytes[0] === V2_SIGNATURE[0]) {
    if (!prefixMatch(bytes, V2_SIGNATURE)) return { state: "absent" };
    return bytes.length < V2_SIGNATURE.length ? { state: "need-more" } : parseV2(bytes);
  }
  return { state: "absent" };
}

// ---- v1: one line of ASCII text ------------------------------------------------------------------

function parseV1(bytes: Uint8Array): ProxyParse {
  const limit = Math.min(bytes.length, MAX_V1_BYTES);
  let lf = -1;
  for (let i = 0; i < limit; i++) {
    const c = bytes[i]!;
    if (c === 0x0a) {
      lf = i;
      break;
    }
    if (c === 0x0d && i + 1 < limit && bytes[i + 1] !== 0x0a) throw malformed("CR without LF");
    // The line is ASCII text; anything else cannot be part of it (also in UNKNOWN's ignored part).
    if ((c < 0x20 && c !== 0x0d) || c > 0x7e) throw malformed(`byte 0x${c.toString(16)} in the line`);
  }
  if (lf === -1) {
    if (bytes.length >= MAX_V1_BYTES) throw malformed(`no CRLF within ${MAX_V1_BYTES} bytes`);
    checkV1Prefix(ascii(bytes, bytes.length));
    return { state: "need-more" };
  }
  if (lf === 0 || bytes[lf - 1] !== 0x0d) throw malformed("LF without CR");
  const header = parseV1Line(ascii(bytes, lf - 1));
  return { state: "done", header, consumed: lf + 1 };
}

function ascii(bytes: Uint8Array, end: number): string {
  return String.fromCharCode(...bytes.subarray(0, end));
}

/** "PROXY TCP4 src dst sport dport" (without CRLF), or "PROXY UNKNOWN" and anything after it. */
function parseV1Line(line: string): ProxyHeader {
  const fields = line.split(" ");
  const proto = fields[1];
  if (proto === "UNKNOWN") return { kind: "local", version: 1 }; // §2.1: the rest is ignored
  if (line.startsWith("PROXY UNKNOWN")) throw malformed("text after UNKNOWN without a space");
  if (proto !== "TCP4" && proto !== "TCP6") throw malformed(`protocol ${JSON.stringify(proto)}`);
  if (fields.length !== 6) throw malformed(`${fields.length - 2} fields after ${proto}, expected 4`);
  const [, , src, dst, sport, dport] = fields as [string, string, string, string, string, string];
  return {
    kind: "proxied",
    source: v1Address(src, proto),
    destination: v1Address(dst, proto),
    sourcePort: v1Port(sport),
    destinationPort: v1Port(dport),
    version: 1,
  };
}

function v1Address(s: string, proto: "TCP4" | "TCP6"): string {
  const b = s.startsWith("[") ? null : parseIp(s); // §2.1: bare addresses, no brackets or zones
  const want = proto === "TCP4" ? 4 : 16;
  if (b === null || s.includes("%") || b.length !== want)
    throw malformed(`${proto} address ${JSON.stringify(s)}`);
  return formatIp(b);
}

function v1Port(s: string): number {
  // §2.1: decimal 0..65535, no leading zeros.
  if (!/^(0|[1-9]\d{0,4})$/.test(s) || Number(s) > 65535) throw malformed(`port ${JSON.stringify(s)}`);
  return Number(s);
}

/** Throws unless `text` (no LF yet) can still grow into a valid line. */
function checkV1Prefix(text: string): void {
  if (text.endsWith("\r")) {
    parseV1Line(text.slice(0, -1)); // only LF may follow, so the line must be complete (throws if not)
    return;
  }
  const fields = text.split(" ");
  const proto = fields[1]!;
  const complete = fields.length > 2; // the protocol field is followed by a space
  const protos = ["TCP4", "TCP6", "UNKNOWN"];
  if (proto.startsWith("UNKNOWN")) {
    if (proto.length > 7) throw malformed("text after UNKNOWN without a space");
    return;
  }
  if (!protos.some((p) => p.startsWith(proto) && (!complete || p === proto))) {
    throw malformed(`protocol ${JSON.stringify(proto)}`);
  }
  if (!complete) return;
  if (fields.length > 6) throw malformed("too many fields");
  const last = fields.length - 1;
  for (let i = 2; i < last; i++) {
    // Complete fields: validated as in a full line (these throw).
    if (i < 4) v1Address(fields[i]!, proto as "TCP4" | "TCP6");
    else v1Port(fields[i]!);
  }
  const f = fields[last]!;
  if (last < 4 && !addressPrefix(f, proto)) throw malformed(`${proto} address ${JSON.stringify(f)}`);
  if (last >= 4 && (!/^(0|[1-9]\d{0,4})?$/.test(f) || Number(f) > 65535)) {
    throw malformed(`port ${JSON.stringify(f)}`);
  }
}

/** Could `s` still grow into an address of this family (loose for IPv6, whose grammar is long)? */
function addressPrefix(s: string, proto: string): boolean {
  if (proto === "TCP4") {
    if (!/^(\d{1,3}\.){0,3}\d{0,3}$/.test(s)) return false;
    return s.split(".").every((p) => p === "" || (Number(p) <= 255 && !/^0\d/.test(p)));
  }
  return s.length <= 45 && /^[0-9A-Fa-f:.]*$/.test(s) && !s.includes(":::");
}

// ---- v2: binary -----------------------------------------------------------------------------------

function parseV2(bytes: Uint8Array): ProxyParse {
  if (bytes.length < 13) return { state: "need-more" };
  const verCmd = bytes[12]!;
  if (verCmd >> 4 !== 2) throw malformed(`version ${verCmd >> 4}, expected 2`);
  const command = verCmd & 0x0f; // 0 LOCAL, 1 PROXY; §2.2: receivers must drop anything else
  if (command > 1) throw malformed(`command ${command}`);
  if (bytes.length < 14) return { state: "need-more" };
  const family = bytes[13]! >> 4; // 0 UNSPEC, 1 INET, 2 INET6, 3 UNIX
  const transport = bytes[13]! & 0x0f; // 0 UNSPEC, 1 STREAM, 2 DGRAM
  // §2.2: seven combinations exist; receivers must reject the others. LOCAL ignores the byte.
  if (command === 1 && !V2_FAMILIES.has(bytes[13]!)) {
    throw malformed(`family/transport byte 0x${bytes[13]!.toString(16)}`);
  }
  if (bytes.length < V2_FIXED) return { state: "need-more" };
  const length = (bytes[14]! << 8) | bytes[15]!;
  if (length > MAX_V2_PAYLOAD) {
    throw new ProxyProtocolError(
      "E_PROXY_UNSUPPORTED",
      `PROXY v2 header of ${length} bytes (cap ${MAX_V2_PAYLOAD})`,
    );
  }
  const addressBytes = command === 1 ? (V2_ADDRESS_BYTES[family] ?? 0) : 0;
  // §2.2: LOCAL ignores the family, so its block may be anything (length-checked above).
  if (length < addressBytes) throw malformed(`address block of ${length} bytes`);
  const total = V2_FIXED + length;
  if (bytes.length < total) return { state: "need-more" };
  const local = { state: "done", header: { kind: "local", version: 2 }, consumed: total } as const;
  if (command === 0 || family === 0 || family === 3) return local; // the peer's own address stands
  if (transport !== 1) {
    throw new ProxyProtocolError("E_PROXY_UNSUPPORTED", `PROXY v2 transport ${transport} on a stream port`);
  }
  skipTlvs(bytes.subarray(V2_FIXED + addressBytes, total));
  const a = bytes.subarray(V2_FIXED, V2_FIXED + addressBytes);
  const half = family === 1 ? 4 : 16;
  const port = (at: number) => (a[at]! << 8) | a[at + 1]!;
  return {
    state: "done",
    header: {
      kind: "proxied",
      source: formatIp(a.subarray(0, half)),
      destination: formatIp(a.subarray(half, 2 * half)),
      sourcePort: port(2 * half),
      destinationPort: port(2 * half + 2),
      version: 2,
    },
    consumed: total,
  };
}

/** §2.2.x: type (1), length (2, big-endian), value. Not interpreted; each must fit exactly. */
function skipTlvs(tlvs: Uint8Array): void {
  let at = 0;
  while (at < tlvs.length) {
    if (at + 3 > tlvs.length) throw malformed("truncated TLV header");
    const len = (tlvs[at + 1]! << 8) | tlvs[at + 2]!;
    at += 3 + len;
    if (at > tlvs.length) throw malformed("TLV longer than the header");
  }
}

// ---- encoders, for tests and benchmarks -----------------------------------------------------------

function addressBytes(ip: string): Uint8Array {
  const b = parseIp(normaliseIp(ip));
  if (b === null) throw malformed(`address ${JSON.stringify(ip)}`);
  return b;
}

function checkPort(p: number): void {
  if (!Number.isInteger(p) || p < 0 || p > 65535) throw malformed(`port ${p}`);
}

function familyOf(source: string, destination: string): [Uint8Array, Uint8Array] {
  const s = addressBytes(source);
  const d = addressBytes(destination);
  if (s.length !== d.length) {
    throw new ProxyProtocolError("E_PROXY_UNSUPPORTED", "source and destination of different families");
  }
  return [s, d];
}

export function encodeProxyV1(
  source: string,
  sourcePort: number,
  destination: string,
  destinationPort: number,
): Uint8Array {
  const [s, d] = familyOf(source, destination);
  checkPort(sourcePort);
  checkPort(destinationPort);
  const proto = s.length === 4 ? "TCP4" : "TCP6";
  const line = `PROXY ${proto} ${formatIp(s)} ${formatIp(d)} ${sourcePort} ${destinationPort}\r\n`;
  return new TextEncoder().encode(line);
}

export function encodeProxyV2(
  source: string,
  sourcePort: number,
  destination: string,
  destinationPort: number,
  tlvs: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const [s, d] = familyOf(source, destination);
  checkPort(sourcePort);
  checkPort(destinationPort);
  const length = 2 * s.length + 4 + tlvs.length;
  if (length > 0xffff) throw malformed(`header of ${length} bytes`);
  const out = new Uint8Array(V2_FIXED + length);
  out.set(V2_SIGNATURE);
  out[12] = 0x21; // version 2, PROXY
  out[13] = s.length === 4 ? 0x11 : 0x21; // AF_INET or AF_INET6, STREAM
  out[14] = length >> 8;
  out[15] = length & 0xff;
  out.set(s, 16);
  out.set(d, 16 + s.length);
  const p = 16 + 2 * s.length;
  out.set([sourcePort >> 8, sourcePort & 0xff, destinationPort >> 8, destinationPort & 0xff], p);
  out.set(tlvs, p + 4);
  return out;
}

/** A v2 LOCAL header (health checks from the proxy itself), with an optional block to skip. */
export function encodeProxyV2Local(payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(V2_FIXED + payload.length);
  out.set(V2_SIGNATURE);
  out[12] = 0x20;
  out[13] = 0x00;
  out[14] = payload.length >> 8;
  out[15] = payload.length & 0xff;
  out.set(payload, V2_FIXED);
  return out;
}
