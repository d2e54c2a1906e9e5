/**
 * EventStream: appends bridge events to a Redis Stream (XADD key MAXLEN ~ N * field value …) without
 * ever touching mining. publish() is synchronous and O(1): it encodes the event into a capped ring
 * buffer; a pump sends what is buffered as one pipeline per event-loop turn and removes entries only
 * once Redis acknowledged them, so they arrive in publish order.
 *
 * Redis down: events wait in the buffer (at most `buffer`); beyond it new events are dropped and
 * counted. One warning per outage (not per event, not per retry), one info line when it ends. We
 * reconnect ourselves with backoff, on a fresh client each time (see redis.ts for why). An XADD whose
 * reply was lost with the connection is sent again: a consumer may see it twice, with the same
 * (bridge, seq), and dedupes on that. Every Redis promise is settled by us: none goes unhandled.
 */
import type { RedisClient } from "bun";
import type { Logger } from "../util/log.ts";
import { EventsError } from "./errors.ts";
import { checkRedisUrl, connectRedis, redactUrl } from "./redis.ts";
import { encodeEvent, type BridgeEvent } from "./schema.ts";

export interface EventStreamOptions {
  /** redis://[user:password@]host:port[/db] */
  url: string;
  /** The stream key, e.g. "vbridge:events". */
  stream: string;
  /** XADD MAXLEN ~ this: Redis trims the oldest entries past about this many. */
  maxLen: number;
  /** Events held while Redis is unreachable (or slow); beyond it new events are dropped. */
  buffer: number;
  log: Logger;
  /** This bridge's id: every entry's `bridge` field. */
  source: string;
  /** Stamps events published without `at` (unix ms); default Date.now. */
  clock?: () => number;
  /** A pipeline unanswered this long counts as a lost connection; default 5000 ms. */
  replyTimeoutMs?: number;
  /** How long close() waits for the buffer to drain; default 2000 ms. */
  closeTimeoutMs?: number;
}

export interface EventCounters {
  /** Events Redis acknowledged (XADD replied). */
  published: number;
  /** Events given up: buffer full, or still buffered at close. */
  dropped: number;
  /** Events waiting (or in flight) now. */
  buffered: number;
  connected: boolean;
}

/** XADDs per pipeline: bounds the work of one turn after a long outage. */
const BATCH = 512;
/** A pipeline unanswered this long counts as a lost connection (Bun has no command timeout). */
const REPLY_TIMEOUT_MS = 5_000;
const BACKOFF_FIRST_MS = 100;
const BACKOFF_MAX_MS = 2_000;

export class EventStream {
  private readonly ring: (string[] | undefined)[];
  private head = 0;
  private count = 0;
  private seq = 0;
  private published = 0;
  private dropped = 0;
  private client: RedisClient | null = null;
  private connecting = false;
  private pumping = false;
  private scheduled = false;
  private backoff = BACKOFF_FIRST_MS;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  /** Set while Redis is unreachable: when it began, what was dropped since. */
  private outage: { since: number; dropped: number } | null = null;
  private closing: Promise<void> | null = null;
  private stopped = false;
  private readonly clock: () => number;
  private readonly maxLen: string;
  private readonly replyTimeoutMs: number;

  /** Checks the options (E_EVENTS_CONFIG) and starts connecting in the background. */
  static open(o: EventStreamOptions): EventStream {
    checkRedisUrl(o.url, "events.redis");
    if (o.stream === "") throw new EventsError("E_EVENTS_CONFIG", "events.stream: empty stream key");
    for (const [name, v] of [
      ["events.max_len", o.maxLen],
      ["events.buffer", o.buffer],
    ] as const) {
      if (!Number.isSafeInteger(v) || v < 1) {
        throw new EventsError("E_EVENTS_CONFIG", `${name} must be a whole number ≥ 1 (got ${v})`);
      }
    }
    return new EventStream(o);
  }

  private constructor(private readonly o: EventStreamOptions) {
    this.ring = new Array(o.buffer);
    this.clock = o.clock ?? Date.now;
    this.maxLen = String(o.maxLen);
    this.replyTimeoutMs = o.replyTimeoutMs ?? REPLY_TIMEOUT_MS;
    this.connect();
  }

  /** Never throws, never waits: buffers the event, or counts it dropped when the buffer is full. */
  publish(e: BridgeEvent): void {
    // Dropped events take a number too: a consumer sees the gap.
    const seq = ++this.seq;
    if (this.closing !== null || this.count === this.ring.length) {
      this.dropped++;
      if (this.outage !== null) this.outage.dropped++;
      return;
    }
    this.ring[(this.head + this.count) % this.ring.length] = encodeEvent(e, this.o.source, seq, this.clock());
    this.count++;
    if (this.client !== null && !this.scheduled && !this.pumping) {
      this.scheduled = true;
      // Everything published in this turn goes out in one pipeline.
      setImmediate(() => {
        this.scheduled = false;
        this.pump();
      });
    }
  }

  counters(): EventCounters {
    return {
      published: this.published,
      dropped: this.dropped,
      buffered: this.count,
      connected: this.client !== null,
    };
  }

  /**
   * Stops taking events, waits (at most closeTimeoutMs) for the buffer to reach Redis, then
   * disconnects. What is still buffered then is counted dropped, with one log line. Idempotent.
   */
  close(): Promise<void> {
    return (this.closing ??= this.shutdown());
  }

  private async shutdown(): Promise<void> {
    // Real time, not the injected clock (that one only stamps events).
    const deadline = Date.now() + (this.o.closeTimeoutMs ?? 2_000);
    while (this.count > 0 && Date.now() < deadline) await Bun.sleep(10);
    this.stopped = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    if (this.count > 0) {
      this.o.log.warn("events: closing with events not delivered to Redis", { lost: this.count });
      this.dropped += this.count;
      this.ring.fill(undefined);
      this.count = 0;
    }
    const client = this.client;
    this.client = null;
    client?.close();
  }

  private connect(): void {
    if (this.stopped || this.connecting || this.client !== null) return;
    this.connecting = true;
    connectRedis(this.o.url, (client, error) => this.lost(client, error)).then(
      (client) => {
        this.connecting = false;
        if (this.stopped) return client.close();
        this.client = client;
        if (this.outage !== null) {
          this.o.log.info("events: Redis reachable again", {
            url: redactUrl(this.o.url),
            down_ms: Date.now() - this.outage.since,
            dropped: this.outage.dropped,
            buffered: this.count,
          });
          this.outage = null;
        }
        this.pump();
      },
      (error: Error) => {
        this.connecting = false;
        this.down(error);
      },
    );
  }

  /** The connected client failed (closed, or an XADD was refused). */
  private lost(client: RedisClient, error: Error): void {
    if (this.client !== client) return; // an old client's late close
    this.client = null;
    client.close();
    this.down(error);
  }

  private down(error: Error): void {
    if (this.stopped) return;
    if (this.outage === null) {
      this.outage = { since: Date.now(), dropped: 0 };
      this.o.log.warn("events: Redis unreachable, buffering events (dropped beyond the buffer)", {
        url: redactUrl(this.o.url),
        error: error.message,
        buffer: this.ring.length,
      });
    }
    const delay = this.backoff;
    this.backoff = Math.min(this.backoff * 2, BACKOFF_MAX_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
    this.retryTimer.unref();
  }

  /** Sends the buffer, oldest first, one pipeline at a time; stops at the first failure. */
  private pump(): void {
    if (this.pumping || this.client === null || this.count === 0) return;
    this.pumping = true;
    this.drain().then(
      () => {
        this.pumping = false;
        // Events published while the last pipeline was in flight.
        this.pump();
      },
      (e: unknown) => {
        // A bug, not Redis (drain settles every Redis promise): loud, and no retry loop on it.
        this.pumping = false;
        this.o.log.error("events: stream writer failed, events stay buffered", { error: String(e) });
      },
    );
  }

  /** One XADD, as a promise even when the client throws at once (it was closed meanwhile). */
  private xadd(client: RedisClient, entry: string[]): Promise<unknown> {
    try {
      return client.send("XADD", [this.o.stream, "MAXLEN", "~", this.maxLen, "*", ...entry]);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private async drain(): Promise<void> {
    while (this.client !== null && this.count > 0) {
      const client = this.client;
      const n = Math.min(this.count, BATCH);
      const sends: Promise<unknown>[] = [];
      for (let i = 0; i < n; i++) {
        const entry = this.ring[(this.head + i) % this.ring.length]!;
        sends.push(this.xadd(client, entry));
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<"timeout">(
        (resolve) => (timer = setTimeout(resolve, this.replyTimeoutMs, "timeout")),
      );
      const results = await Promise.race([Promise.allSettled(sends), timeout]);
      clearTimeout(timer);
      if (this.stopped) return; // close() gave up on these
      if (results === "timeout") {
        // A hung server (or network) holds the connection open: drop it; closing settles the sends.
        return this.lost(client, new Error(`no reply to XADD within ${this.replyTimeoutMs} ms`));
      }
      let acked = 0;
      while (acked < n && results[acked]!.status === "fulfilled") acked++;
      for (let i = 0; i < acked; i++) {
        this.ring[this.head] = undefined;
        this.head = (this.head + 1) % this.ring.length;
      }
      this.count -= acked;
      this.published += acked;
      // Reset only on appends that worked: a server that accepts connections but refuses XADD
      // (wrong key type, out of memory) is retried at the slow pace.
      if (acked > 0) this.backoff = BACKOFF_FIRST_MS;
      if (acked < n) {
        // Later ones may have landed too: they go again (at-least-once while buffered; seq dedupes).
        const failure = results[acked] as PromiseRejectedResult;
        this.lost(
          client,
          failure.reason instanceof Error ? failure.reason : new Error(String(failure.reason)),
        );
        return;
      }
    }
  }
}
