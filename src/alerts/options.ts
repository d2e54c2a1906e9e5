/**
 * The checks on Alerts' options (E_ALERTS_CONFIG, naming the [alerts] key), and the one redaction
 * every alert text goes through: pool URLs without their credentials.
 */
import { AlertsError } from "./errors.ts";
import type { AlertsOptions } from "./types.ts";
import { MAX_WINDOW_SECONDS } from "./window.ts";

/** Throws E_ALERTS_CONFIG on a value out of range (the webhook URL is WebhookSender's to check). */
export function checkOptions(o: AlertsOptions, checkMs: number): void {
  const positive: [string, number][] = [
    ["alerts.pool_down_seconds", o.poolDownSeconds],
    ["alerts.no_shares_minutes", o.noSharesMinutes],
    ["checkMs", o.checkMs ?? checkMs],
  ];
  for (const [name, v] of positive) {
    if (!Number.isFinite(v) || v <= 0) {
      throw new AlertsError("E_ALERTS_CONFIG", `${name} must be > 0 (got ${v})`);
    }
  }
  if (!Number.isFinite(o.minIntervalSeconds) || o.minIntervalSeconds < 0) {
    throw new AlertsError(
      "E_ALERTS_CONFIG",
      `alerts.min_interval_seconds must be ≥ 0 (got ${o.minIntervalSeconds})`,
    );
  }
  if (!Number.isFinite(o.rejectPercent) || o.rejectPercent < 0 || o.rejectPercent > 100) {
    throw new AlertsError("E_ALERTS_CONFIG", `alerts.reject_percent must be 0..100 (got ${o.rejectPercent})`);
  }
  const w = o.rejectWindowSeconds;
  if (!Number.isFinite(w) || w <= 0 || w > MAX_WINDOW_SECONDS) {
    throw new AlertsError(
      "E_ALERTS_CONFIG",
      `alerts.reject_window_seconds must be > 0 and ≤ ${MAX_WINDOW_SECONDS} (got ${w})`,
    );
  }
}

/** Pool URLs (also inside prose, e.g. a health reason) without user:password@. */
export function scrub(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^@/\s]*@/gi, "$1");
}
