/**
 * WebhookSender: POSTs alerts as JSON to one http(s) URL, one at a time, in order, without ever
 * touching the caller. send() is synchronous and O(1): it appends to a capped queue (full: the new
 * alert is dropped and counted); a pump POSTs the queue's head with a timeout and moves on whatever
 * the answer. No retries: an alert that failed is counted, and the next one is tried as usual.
 *
 * Failing webhook: one warning when an outage starts (not per alert), one info line when a POST
 * works again. Logs name only the URL's origin: webhook paths and queries are often the secret
 * (chat services put the token there), and userinfo certainly is.
 */
import type { Logger } from "../util/log.ts";
import { AlertsError } from "./errors.ts";
import type { Alert } from "./types.ts";

const TIMEOUT_MS = 5_000;
const QUEUE = 100;
/** How long close() waits for queued alerts to go out. */
const CLOSE_WAIT_MS = 2_000;

/** Throws E_ALERTS_CONFIG unless `url` is an http:// or https:// URL (the message shows no secret). */
export function checkWebhookUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new AlertsError("E_ALERTS_CONFIG", "alerts.webhook: not a URL (want https://host/path)");
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new AlertsError(
      "E_ALERTS_CONFIG",
      `alerts.webhook: scheme ${parsed.protocol} is not http: or https:`,
    );
  }
  return parsed;
}

export interface WebhookOptions {
  url: string;
  log: Logger;
  timeoutMs?: number;
  queue?: number;
}

export class WebhookSender {
  private readonly queue: Alert[] = [];
  private readonly cap: number;
  private readonly timeoutMs: number;
  /** scheme://host[:port] only, for logs. */
  private readonly origin: string;
  private pumping: Promise<void> | null = null;
  private inflight: AbortController | null = null;
  private closing = false;
  /** Set while POSTs fail: when it began and how many failed since. */
  private outage: { since: number; failed: number } | null = null;
  published = 0;
  failed = 0;
  dropped = 0;

  constructor(private readonly o: WebhookOptions) {
    this.origin = checkWebhookUrl(o.url).origin;
    this.cap = o.queue ?? QUEUE;
    this.timeoutMs = o.timeoutMs ?? TIMEOUT_MS;
    if (!Number.isSafeInteger(this.cap) || this.cap < 1) {
      throw new AlertsError("E_ALERTS_CONFIG", `alerts queue must be a whole number ≥ 1 (got ${this.cap})`);
    }
  }

  get buffered(): number {
    return this.queue.length;
  }

  get healthy(): boolean {
    return this.outage === null;
  }

  /** Never throws, never waits. */
  send(a: Alert): void {
    if (this.closing || this.queue.length >= this.cap) {
      this.dropped++;
      return;
    }
    this.queue.push(a);
    // Not in the caller's turn: publish() may be inside the core's share path.
    this.pumping ??= Bun.sleep(0).then(() => this.pump());
  }

  /** Stops taking alerts, waits (bounded) for the queue, then aborts what is left. Idempotent. */
  async close(): Promise<void> {
    this.closing = true;
    const deadline = Date.now() + CLOSE_WAIT_MS;
    while (this.pumping !== null && Date.now() < deadline) await Bun.sleep(10);
    if (this.queue.length > 0) {
      this.o.log.warn("alerts: closing with alerts not delivered", {
        webhook: this.origin,
        lost: this.queue.length,
      });
      this.dropped += this.queue.length;
      this.queue.length = 0;
    }
    this.inflight?.abort();
    // The aborted POST settles at once: its failure is counted before close() returns (bounded).
    if (this.pumping !== null) await Promise.race([this.pumping, Bun.sleep(1_000)]);
  }

  private async pump(): Promise<void> {
    try {
      // shift() on a queue of at most `cap` (100): cheap enough, and keeps the order obvious.
      for (let a = this.queue.shift(); a !== undefined; a = this.queue.shift()) await this.post(a);
    } catch (e) {
      // post() settles everything it starts: this is a bug, so loud, and the queue is kept.
      this.o.log.error("alerts: webhook sender failed", { error: String(e) });
    } finally {
      this.pumping = null;
    }
  }

  private async post(a: Alert): Promise<void> {
    const abort = new AbortController();
    this.inflight = abort;
    const timer = setTimeout(() => abort.abort(), this.timeoutMs);
    let error: string | null = null;
    try {
      const r = await fetch(this.o.url, {
        method: "POST",
        headers: { "content-type": "application/json", "user-agent": "vbridge-alerts" },
        body: JSON.stringify(a),
        signal: abort.signal,
        redirect: "manual",
      });
      // The body is not ours to read, but it must not hold the connection.
      await r.body?.cancel().catch(() => {});
      if (r.status < 200 || r.status > 299) error = `HTTP ${r.status}`;
    } catch (e) {
      error = abort.signal.aborted ? `no answer within ${this.timeoutMs} ms` : errorName(e);
    } finally {
      clearTimeout(timer);
      this.inflight = null;
    }
    if (error === null) return this.ok();
    this.failed++;
    if (this.outage === null) {
      this.outage = { since: Date.now(), failed: 0 };
      this.o.log.warn("alerts: webhook failing, alerts are counted and skipped until it answers", {
        webhook: this.origin,
        error,
      });
    }
    this.outage.failed++;
  }

  private ok(): void {
    this.published++;
    if (this.outage === null) return;
    this.o.log.info("alerts: webhook answering again", {
      webhook: this.origin,
      down_ms: Date.now() - this.outage.since,
      failed: this.outage.failed,
    });
    this.outage = null;
  }
}

/** A fetch error without the URL (Bun's messages may quote it, path and all). */
function errorName(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as Error & { code?: unknown }).code;
    return typeof code === "string" ? code : e.name;
  }
  return "error";
}
