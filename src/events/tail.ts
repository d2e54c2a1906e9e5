/**
 * Reading the event stream: an XREAD BLOCK loop that hands each entry, decoded, to a callback, in
 * stream order. `vbridge events tail` prints with it; a site backend would do the same in its own
 * language (docs/events.md). "$" is resolved to the stream's last id once at the start, so no event
 * slips between two blocking reads. A lost connection is retried (backoff, one warning per outage)
 * from the last id seen; only the first connect failing is an error (E_EVENTS_CONNECT).
 */
import type { RedisClient } from "bun";
import type { Logger } from "../util/log.ts";
import { EventsError } from "./errors.ts";
import { checkRedisUrl, connectRedis, redactUrl } from "./redis.ts";
import { decodeEntry } from "./schema.ts";

export interface TailOptions {
  url: string;
  stream: string;
  /** An entry id to read after ("0" = from the start), or "$" = only events from now on. */
  from: string;
  /** Stop after this many events; default: until the signal. */
  count?: number;
  /** Aborting ends the loop (a blocked read included) and resolves. */
  signal?: AbortSignal;
  /** Outage lines; nothing about events themselves. */
  log: Logger;
  /** Milliseconds one XREAD blocks; default 5000. */
  blockMs?: number;
}

export interface TailEntry {
  id: string;
  event: Record<string, unknown>;
}

/** Entries read per XREAD: bounds one reply's size. */
const READ_COUNT = 100;
const RETRY_MAX_MS = 2_000;
const ID = /^(\$|\d+(-\d+)?)$/;

/** Calls `onEntry` for each entry after `from`; resolves with how many once stopped. */
export async function tailEvents(o: TailOptions, onEntry: (e: TailEntry) => void): Promise<number> {
  checkRedisUrl(o.url, "--redis");
  if (!ID.test(o.from))
    throw new EventsError("E_EVENTS_CONFIG", `--from must be an entry id or $ (got ${o.from})`);
  const limit = o.count ?? Infinity;
  let seen = 0;
  let last = o.from;
  let client: RedisClient | null = null;
  let firstConnect = true;
  let outage = false;
  let retryMs = 100;
  const stop = () => client?.close();
  o.signal?.addEventListener("abort", stop);
  try {
    while (!o.signal?.aborted && seen < limit) {
      try {
        if (client === null) {
          client = await connectRedis(o.url);
          if (o.signal?.aborted) break;
          if (outage) o.log.info("events tail: Redis reachable again", { url: redactUrl(o.url) });
          outage = false;
          retryMs = 100;
          firstConnect = false;
          if (last === "$") last = await lastId(client, o.stream);
        }
        const reply: unknown = await client.send("XREAD", [
          "COUNT",
          String(Math.min(READ_COUNT, limit - seen)),
          "BLOCK",
          String(o.blockMs ?? 5_000),
          "STREAMS",
          o.stream,
          last,
        ]);
        for (const [id, fields] of entriesOf(reply, o.stream)) {
          last = id;
          seen++;
          onEntry({ id, event: decodeEntry(fields) });
          if (seen >= limit) break;
        }
      } catch (e) {
        if (o.signal?.aborted) break;
        const message = e instanceof Error ? e.message : String(e);
        if (firstConnect) {
          throw new EventsError("E_EVENTS_CONNECT", `cannot reach Redis at ${redactUrl(o.url)}: ${message}`);
        }
        if (!outage) o.log.warn("events tail: Redis unreachable, retrying", { error: message });
        outage = true;
        client?.close();
        client = null;
        await Bun.sleep(retryMs);
        retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
      }
    }
  } finally {
    o.signal?.removeEventListener("abort", stop);
    client?.close();
  }
  return seen;
}

/** The newest entry's id, or "0-0" when the stream is empty or absent. */
async function lastId(client: RedisClient, stream: string): Promise<string> {
  const newest = (await client.send("XREVRANGE", [stream, "+", "-", "COUNT", "1"])) as [string, string[]][];
  return newest[0]?.[0] ?? "0-0";
}

/**
 * The entries of `stream` in an XREAD reply: null on timeout; RESP3 (Bun's protocol) gives a map
 * { key: entries }, RESP2 an array [[key, entries]].
 */
function entriesOf(reply: unknown, stream: string): [string, string[]][] {
  if (reply === null || reply === undefined) return [];
  if (Array.isArray(reply)) {
    const found = (reply as [string, [string, string[]][]][]).find(([key]) => key === stream);
    return found?.[1] ?? [];
  }
  return ((reply as Record<string, [string, string[]][]>)[stream] ?? []) as [string, string[]][];
}
