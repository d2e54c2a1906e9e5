/**
 * What an alert is (the webhook's JSON body, docs/alerts.md) and the options Alerts takes. Shared by
 * the evaluator (alerts.ts) and the webhook sender (webhook.ts) so neither imports the other's types.
 */
import type { Logger } from "../util/log.ts";

export type AlertKind = "pool_down" | "failover" | "reject_rate" | "no_shares" | "block_found";
export const ALERT_KINDS: readonly AlertKind[] = [
  "pool_down",
  "failover",
  "reject_rate",
  "no_shares",
  "block_found",
];

export type Severity = "info" | "warning" | "critical";

/** One alert: exactly the JSON body POSTed to the webhook. */
export interface Alert {
  alert: AlertKind;
  severity: Severity;
  /** One line for humans (chat messages); never a secret, never a newline. */
  message: string;
  /** The bridge's id (the fleet id: bridge.name or the host name, and the port). */
  bridge: string;
  /** Unix ms when the condition was seen. */
  at: number;
  /** The kind's own facts (docs/alerts.md lists them per kind). */
  details: Record<string, unknown>;
}

export interface AlertsOptions {
  /** http:// or https:// URL the alerts are POSTed to; "" = none (alerts are still kept for recent()). */
  webhook: string;
  /** This bridge's id, every alert's `bridge`. */
  bridge: string;
  /** pool_down: no upstream session with work for longer than this. */
  poolDownSeconds: number;
  /** reject_rate: rejected / (accepted + rejected) over the window above this percent (0..100). */
  rejectPercent: number;
  rejectWindowSeconds: number;
  /** no_shares: miners connected and no accepted share for this long. */
  noSharesMinutes: number;
  /** At most one alert of a kind per this many seconds (recoveries are never held back). */
  minIntervalSeconds: number;
  /** Send block_found alerts. */
  blockFound: boolean;
  log: Logger;
  /** Unix ms; default Date.now. */
  clock?: () => number;
  /** How often watch() looks at the bridge's stats and health; default 5000 ms. */
  checkMs?: number;
  /** Webhook request timeout; default 5000 ms. */
  timeoutMs?: number;
  /** Alerts waiting for the webhook; beyond it new ones are dropped and counted. Default 100. */
  queue?: number;
}

/** For /stats and the dashboard; a superset of EventSinkCounters (published = delivered). */
export interface AlertCounters {
  /** Alerts raised (kept in recent(), handed to the webhook). */
  raised: number;
  /** Alerts held back by the rate limit. */
  suppressed: number;
  /** Webhook POSTs answered 2xx. */
  published: number;
  /** Webhook POSTs that failed (timeout, refused, non-2xx). */
  failed: number;
  /** Alerts never sent: the queue was full, or still queued at close. */
  dropped: number;
  /** Alerts waiting for (or in) a POST. */
  buffered: number;
  /** False while the webhook is failing (an outage); true otherwise, also with no webhook. */
  connected: boolean;
  /** Raised alerts by kind. */
  byKind: Record<AlertKind, number>;
}
