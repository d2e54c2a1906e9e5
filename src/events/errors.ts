/**
 * The event stream's coded errors. Only settings and the tail command's first connect raise them:
 * once running, Redis trouble is never an error to the bridge (events are buffered or dropped).
 */
import { CodedError } from "../util/errors.ts";

export type EventsErrorCode =
  /** A setting is wrong ([events] redis URL, max_len, buffer, stream key). */
  | "E_EVENTS_CONFIG"
  /** `vbridge events tail` could not reach Redis. */
  | "E_EVENTS_CONNECT";

export class EventsError extends CodedError<EventsErrorCode> {
  static override readonly usageCodes: ReadonlySet<string> = new Set<EventsErrorCode>(["E_EVENTS_CONFIG"]);
}
