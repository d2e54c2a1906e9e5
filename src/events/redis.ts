/**
 * What the stream writer and the tail reader share about Bun's RedisClient: URL checks (redacted for
 * logs), and one connect attempt on a fresh client, bounded by our own timer.
 *
 * Why a fresh client per attempt, with Bun's autoReconnect and offline queue off: Bun's reconnect has
 * a history of not resuming after a server restart (oven-sh/bun#19131, #20836, #24019, where also a
 * connect() on a used client never settled), its offline queue is unbounded, and after maxRetries it
 * gives up for good. Owning the retry loop keeps every buffer ours (capped) and every wait bounded.
 */
import { RedisClient } from "bun";
import { EventsError } from "./errors.ts";

/** Bun's own connect timeout; our timer adds a margin in case the promise never settles. */
export const CONNECT_TIMEOUT_MS = 2_000;
const SCHEMES = new Set(["redis:", "rediss:", "valkey:", "valkeys:", "redis+unix:", "valkey+unix:"]);

/** Throws E_EVENTS_CONFIG unless `url` is a Redis URL (the message never echoes a password). */
export function checkRedisUrl(url: string, setting: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new EventsError("E_EVENTS_CONFIG", `${setting}: not a URL (want redis://host:port)`);
  }
  if (!SCHEMES.has(parsed.protocol)) {
    throw new EventsError(
      "E_EVENTS_CONFIG",
      `${setting}: scheme ${parsed.protocol} is not one of ${[...SCHEMES].join(" ")}`,
    );
  }
}

/** The URL with any password replaced by "***", for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== "") u.password = "***";
    return u.toString();
  } catch {
    return "(invalid URL)";
  }
}

/**
 * A connected client, or a rejection (connection refused, timeout). `onclose` runs once when a
 * connected client loses its connection (not for a failed attempt: the promise says that).
 */
export function connectRedis(
  url: string,
  onclose?: (client: RedisClient, error: Error) => void,
): Promise<RedisClient> {
  let client: RedisClient;
  try {
    client = new RedisClient(url, {
      autoReconnect: false,
      enableOfflineQueue: false,
      connectionTimeout: CONNECT_TIMEOUT_MS,
    });
  } catch (e) {
    return Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
  let connected = false;
  let closed = false;
  client.onclose = (error) => {
    if (closed) return;
    closed = true;
    if (connected) onclose?.(client, error);
  };
  return new Promise<RedisClient>((resolve, reject) => {
    const timer = setTimeout(() => {
      closed = true;
      client.close();
      reject(new Error(`no connection within ${CONNECT_TIMEOUT_MS + 500} ms`));
    }, CONNECT_TIMEOUT_MS + 500);
    client.connect().then(
      () => {
        clearTimeout(timer);
        if (closed) {
          // The timer gave up on it already, or it dropped at once.
          client.close();
          return reject(new Error("connection closed while connecting"));
        }
        connected = true;
        resolve(client);
      },
      (e: unknown) => {
        clearTimeout(timer);
        closed = true;
        client.close();
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
