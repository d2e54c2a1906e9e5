/**
 * The bridge's event schema (docs/events.md is its prose): what the core hands EventStream.publish,
 * and how one event becomes a Redis Stream entry and back. Pure: no I/O.
 *
 * Entries are flat field-value pairs of strings, friendlier to redis-cli and to consumers in any
 * language than one JSON blob. Every entry starts `type, at, bridge, seq`, then the type's own fields
 * in the order of FIELDS below; an optional field that does not apply is absent (never "").
 * Numbers are decimal strings, booleans "true"/"false".
 */

export type Transport = "ws-msgpack" | "ws-json" | "stratum";
export type PoolResult = "accepted" | "rejected" | "stale" | "lost";
export type UpstreamState = "connected" | "serving" | "lost" | "failover";

/** A miner's share and its verdict. difficulty when accepted (credited); code + reason when rejected. */
export type ShareEvent = {
  type: "share";
  worker: string;
  session: number;
  transport: Transport;
  stale: boolean;
  forwarded: boolean;
} & ({ verdict: "accepted"; difficulty: number } | { verdict: "rejected"; code: number; reason: string });

/** What the pool answered for a forwarded share ("lost": no answer, e.g. the connection dropped). */
export interface PoolResultEvent {
  type: "pool_result";
  worker: string;
  session: number;
  job: string;
  result: PoolResult;
  code?: number;
  reason?: string;
}

/** A share that met the network target. height null when unknown. */
export interface BlockEvent {
  type: "block";
  worker: string;
  height: number | null;
  hash: string;
  result: string;
}

/** A pool connection changed state. pool: its URL without credentials. */
export interface UpstreamEvent {
  type: "upstream";
  upstream: number;
  state: UpstreamState;
  pool: string;
  detail?: string;
}

type Body = ShareEvent | PoolResultEvent | BlockEvent | UpstreamEvent;
type WithAt<T> = T extends unknown
  ? T & { /** unix ms; EventStream fills in now when absent */ at?: number }
  : never;

/** What a caller publishes. */
export type BridgeEvent = WithAt<Body>;
export type EventType = Body["type"];

/** An event as it is in the stream: the common fields filled in. */
export type StreamEvent = Body & {
  at: number;
  /** The publishing bridge's id. */
  bridge: string;
  /** 1, 2, 3, … per EventStream (restarts with the process): gaps show drops, repeats redeliveries. */
  seq: number;
};

type Kind = "string" | "number" | "boolean";

/** Each type's own fields, in entry order, with their kinds; `?` = may be absent. */
export const FIELDS: Readonly<Record<EventType, readonly (readonly [string, Kind, boolean])[]>> = {
  share: [
    ["worker", "string", false],
    ["session", "number", false],
    ["transport", "string", false],
    ["verdict", "string", false],
    ["difficulty", "number", true],
    ["code", "number", true],
    ["reason", "string", true],
    ["stale", "boolean", false],
    ["forwarded", "boolean", false],
  ],
  pool_result: [
    ["worker", "string", false],
    ["session", "number", false],
    ["job", "string", false],
    ["result", "string", false],
    ["code", "number", true],
    ["reason", "string", true],
  ],
  block: [
    ["worker", "string", false],
    ["height", "number", true],
    ["hash", "string", false],
    ["result", "string", false],
  ],
  upstream: [
    ["upstream", "number", false],
    ["state", "string", false],
    ["pool", "string", false],
    ["detail", "string", true],
  ],
};

export const EVENT_TYPES = Object.keys(FIELDS) as EventType[];

/** The entry's field-value pairs (flat, strings), in the documented order. */
export function encodeEvent(e: BridgeEvent, bridge: string, seq: number, now: number): string[] {
  const out = ["type", e.type, "at", String(e.at ?? now), "bridge", bridge, "seq", String(seq)];
  const record = e as unknown as Record<string, unknown>;
  for (const [name] of FIELDS[e.type]) {
    const v = record[name];
    if (v === undefined || v === null) continue;
    out.push(name, String(v));
  }
  return out;
}

/**
 * An entry's fields back as an event (numbers and booleans typed again, absent height → null).
 * Unknown types and fields pass through as strings: a newer bridge may add some; consumers ignore
 * what they do not know.
 */
export function decodeEntry(fields: readonly string[]): Record<string, unknown> {
  const raw: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) raw[fields[i]!] = fields[i + 1]!;
  const out: Record<string, unknown> = {};
  const known = FIELDS[raw.type as EventType] as (typeof FIELDS)[EventType] | undefined;
  const kinds = new Map<string, Kind>([
    ["at", "number"],
    ["seq", "number"],
  ]);
  for (const [name, kind] of known ?? []) kinds.set(name, kind);
  for (const [name, value] of Object.entries(raw)) {
    const kind = kinds.get(name) ?? "string";
    out[name] = kind === "number" ? Number(value) : kind === "boolean" ? value === "true" : value;
  }
  if (raw.type === "block" && !("height" in raw)) out.height = null;
  return out;
}
