/**
 * The Redis event stream (docs/events.md): EventStream for the bridge to publish through,
 * tailEvents for readers, the schema both agree on.
 */
export { EventsError, type EventsErrorCode } from "./errors.ts";
export { EventStream, type EventCounters, type EventStreamOptions } from "./stream.ts";
export { tailEvents, type TailEntry, type TailOptions } from "./tail.ts";
export {
  decodeEntry,
  encodeEvent,
  EVENT_TYPES,
  FIELDS,
  type BlockEvent,
  type BridgeEvent,
  type EventType,
  type PoolResultEvent,
  type ShareEvent,
  type StreamEvent,
  type UpstreamEvent,
} from "./schema.ts";
