// probe.ts — is the primary pool back? `probePool` checks once: connect, send mining.subscribe,
// wait for a well-formed result. `PrimaryWatch` repeats that every interval while the client works
// on a backup, and says when the primary is healthy again. A bare TCP connect is not enough (a port
// can accept while the pool behind it is down); a subscribe result with an extranonce1 is the
// cheapest proof that the Stratum server is serving. The probe never authorizes and never submits,
// then closes: pools see one short-lived connection per interval.

import {
  decodeFromPool,
  decodeSubscribeResult,
  isProtocolError,
  LineDecoder,
  toLine,
} from "../protocol/index.ts";
import { poolProtocolError, UpstreamError } from "./errors.ts";
import type { Logger } from "../util/log.ts";
import { subscribeLine } from "./outgoing.ts";
import type { ConnectFn, Transport } from "./transport.ts";
import type { TlsPolicy } from "./tls.ts";
import type { PoolEndpoint } from "./url.ts";

export interface ProbeOptions {
  endpoint: PoolEndpoint;
  tls: TlsPolicy;
  userAgent: string;
  /** Bound on the whole probe: connect, handshake and the subscribe answer. */
  timeoutMs: number;
  maxLineBytes: number;
  connect: ConnectFn;
}

export interface Probe {
  cancel(): void;
}

/** `done(null)` = healthy; otherwise the reason it is not. Called at most once, never after cancel(). */
export function probePool(o: ProbeOptions, done: (failure: UpstreamError | null) => void): Probe {
  let finished = false;
  let transport: Transport | null = null;
  const decoder = new LineDecoder({ maxLineBytes: o.maxLineBytes });
  /** `report` false: cancelled, so `done` is not called. */
  const finish = (failure: UpstreamError | null, report = true): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    transport?.close(failure ?? new UpstreamError("E_CLIENT_CLOSED", "probe finished"));
    if (report) done(failure);
  };
  const timer = setTimeout(
    () =>
      finish(
        new UpstreamError("E_CALL_TIMEOUT", `probe of ${o.endpoint.url} got no subscribe result in time`),
      ),
    o.timeoutMs,
  );
  transport = o.connect(
    { endpoint: o.endpoint, tls: o.tls, connectTimeoutMs: o.timeoutMs, maxWriteBufferBytes: 4096 },
    {
      onOpen: () => transport?.write(toLine(subscribeLine(1, o.userAgent, null))),
      onData: (bytes) => {
        try {
          for (const line of decoder.feed(bytes)) {
            const m = decodeFromPool(line);
            if (!("kind" in m) || m.id !== 1) continue; // set_target/notify may come first
            if (m.error !== null)
              return finish(
                new UpstreamError("E_SUBSCRIBE_FAILED", `probe subscribe failed: ${m.error.message}`),
              );
            decodeSubscribeResult(m.result);
            return finish(null);
          }
        } catch (e) {
          if (!isProtocolError(e)) throw e;
          finish(poolProtocolError(e));
        }
      },
      onClose: (reason) => finish(reason),
    },
  );
  return { cancel: () => finish(new UpstreamError("E_CLIENT_CLOSED", "probe cancelled"), false) };
}

export interface PrimaryWatchOptions extends ProbeOptions {
  intervalMs: number;
  log: Logger;
}

/** Probes the primary every `intervalMs` until one probe finds it healthy. */
export class PrimaryWatch {
  readonly #o: PrimaryWatchOptions;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #probe: Probe | null = null;

  constructor(o: PrimaryWatchOptions) {
    this.#o = o;
  }

  /** (Re)start watching; `onHealthy` is called once, when a probe succeeds. */
  start(onHealthy: () => void): void {
    this.stop();
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#probe = probePool(this.#o, (failure) => {
        this.#probe = null;
        if (failure === null) return onHealthy();
        this.#o.log.debug("primary still unavailable", { pool: this.#o.endpoint.url, code: failure.code });
        this.start(onHealthy);
      });
    }, this.#o.intervalMs);
  }

  stop(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#probe?.cancel();
    this.#probe = null;
  }
}
