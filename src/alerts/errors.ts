/**
 * The alerts' coded errors. Only settings raise them: once running, a webhook that fails is counted
 * and logged, never an error to the bridge (mining must not notice the alerting).
 */
import { CodedError } from "../util/errors.ts";

export type AlertsErrorCode =
  /** An [alerts] setting is wrong (webhook URL scheme, a threshold out of range). */
  "E_ALERTS_CONFIG";

export class AlertsError extends CodedError<AlertsErrorCode> {
  static override readonly usageCodes: ReadonlySet<string> = new Set<AlertsErrorCode>(["E_ALERTS_CONFIG"]);
}
