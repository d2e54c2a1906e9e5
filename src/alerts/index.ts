/**
 * Alerts (docs/alerts.md): a webhook told when the pool is down, fails over, rejects too much, no
 * shares arrive, or a block is found. The composition root builds one, tees the core's events into
 * it and watch()es the core.
 */
export { Alerts, MIN_SHARES, RECENT, type AlertSource } from "./alerts.ts";
export { AlertsError, type AlertsErrorCode } from "./errors.ts";
export {
  ALERT_KINDS,
  type Alert,
  type AlertCounters,
  type AlertKind,
  type AlertsOptions,
  type Severity,
} from "./types.ts";
export { checkWebhookUrl, WebhookSender } from "./webhook.ts";
