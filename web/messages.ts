// messages.ts — what the page and its mining Web Workers say to each other (postMessage). The page
// compiles the WebAssembly module once and hands it over; a worker hashes one chunk at a time and
// asks for the next. Stopping is Worker.terminate(): immediate, whatever the worker is doing.

/** Page → worker. */
export type ToWorker =
  | { type: "init"; module: WebAssembly.Module; throttle: number }
  /** A chunk of a job (web/work.ts): scan tail's counter start .. start+count−1 against target. */
  | {
      type: "work";
      key: number;
      input: Uint8Array;
      tail: Uint8Array;
      start: number;
      count: number;
      target: Uint8Array;
    }
  /** Percent of the time to hash (10–100); the worker sleeps in proportion between batches. */
  | { type: "throttle"; throttle: number }
  /** Drop the current chunk after this batch (no work for now); answered by its "idle". */
  | { type: "pause" };

/** Worker → page. */
export type FromWorker =
  | { type: "ready"; impl: string }
  /** One batch: `hashes` done in `ms` of hashing (not counting the throttle's sleep). */
  | { type: "progress"; hashes: number; ms: number }
  /** A nonce whose hash meets the target: its full 15-byte tail. */
  | { type: "share"; key: number; tail: Uint8Array }
  /** The chunk is done; the worker waits for more work. */
  | { type: "idle"; key: number }
  | { type: "error"; message: string };
