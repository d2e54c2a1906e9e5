// live.ts — GET /api/v1/live: Server-Sent Events (text/event-stream), one `data: {summary}` event
// per second to every open stream, `retry: 2000` first so EventSource reconnects after 2 s. One
// timer and one summary per tick for all streams (not one per stream); at most `max` streams (a
// stream holds a socket and a slot for as long as the client wants: capped like everything else);
// stop() ends them all (the server stopping). The transport writes the bytes (http-connection.ts).

import type { Logger } from "../../util/log.ts";

/** Where a stream's events go: false when the socket could not take them (the stream is ended). */
export interface StreamSink {
  send(text: string): boolean;
  /** The server ends the stream: the connection closes once written. */
  end(): void;
}

/** A long-lived response body: started once its head is written, stopped when the socket goes. */
export interface EventStream {
  start(sink: StreamSink): void;
  stop(): void;
}

export const LIVE_MAX_STREAMS = 32;
export const LIVE_INTERVAL_MS = 1000;
/** EventSource's reconnection delay (the `retry:` field, ms). */
export const LIVE_RETRY_MS = 2000;

export interface LiveOptions {
  max?: number;
  intervalMs?: number;
  log: Logger;
}

export class LiveHub {
  readonly #build: () => Promise<unknown>;
  readonly #max: number;
  readonly #intervalMs: number;
  readonly #log: Logger;
  readonly #sinks = new Set<StreamSink>();
  #timer: ReturnType<typeof setInterval> | null = null;
  #building = false;
  #stopped = false;

  /** `build`: the event's JSON body (the summary). */
  constructor(build: () => Promise<unknown>, o: LiveOptions) {
    this.#build = build;
    this.#max = o.max ?? LIVE_MAX_STREAMS;
    this.#intervalMs = o.intervalMs ?? LIVE_INTERVAL_MS;
    this.#log = o.log;
  }

  /** Open streams (started and not stopped). */
  get size(): number {
    return this.#sinks.size;
  }

  get max(): number {
    return this.#max;
  }

  /** A new stream, or null when `max` are open or the hub is stopped. */
  open(): EventStream | null {
    if (this.#stopped || this.#sinks.size >= this.#max) return null;
    let mine: StreamSink | null = null;
    // Counted from now (not from start()), so a burst of requests cannot pass the cap.
    const placeholder: StreamSink = { send: () => true, end: () => {} };
    this.#sinks.add(placeholder);
    return {
      start: (sink) => {
        this.#sinks.delete(placeholder);
        if (this.#stopped) return sink.end();
        mine = sink;
        this.#sinks.add(sink);
        if (!sink.send(`retry: ${LIVE_RETRY_MS}\n\n`)) return this.#drop(sink);
        this.#ensureTimer();
        void this.#tick([sink]); // the first event at once
      },
      stop: () => {
        this.#sinks.delete(placeholder);
        if (mine !== null) this.#drop(mine);
      },
    };
  }

  /** Ends every stream and refuses new ones. Idempotent. */
  stop(): void {
    this.#stopped = true;
    this.#clearTimer();
    for (const s of [...this.#sinks]) {
      this.#sinks.delete(s);
      s.end();
    }
  }

  #drop(sink: StreamSink): void {
    this.#sinks.delete(sink);
    if (this.#sinks.size === 0) this.#clearTimer();
  }

  #ensureTimer(): void {
    if (this.#timer !== null) return;
    this.#timer = setInterval(() => void this.#tick(null), this.#intervalMs);
    this.#timer.unref();
  }

  #clearTimer(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** One summary to `only` (a new stream) or to every stream. */
  async #tick(only: StreamSink[] | null): Promise<void> {
    if (only === null && this.#building) return; // the last one is still being built: skip a beat
    if (only === null) this.#building = true;
    let text: string;
    try {
      text = `data: ${JSON.stringify(await this.#build())}\n\n`;
    } catch (e) {
      this.#log.debug(`live: summary failed: ${e instanceof Error ? e.message : String(e)}`);
      return;
    } finally {
      if (only === null) this.#building = false;
    }
    for (const s of only ?? [...this.#sinks]) if (this.#sinks.has(s) && !s.send(text)) this.#drop(s);
  }
}
