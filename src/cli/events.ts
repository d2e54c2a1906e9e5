/**
 * `vbridge events tail`: prints the bridge's Redis event stream (docs/events.md), one JSON line per
 * event ({"id": entry id, "type": …, then the event's fields, numbers and booleans typed}), in stream
 * order, until --count events or SIGINT / SIGTERM (exit 0). Redis trouble after the start is retried
 * with one line on stderr; Redis unreachable at the start is exit 1.
 */
import { defineCommand } from "citty";
import { tailEvents } from "../events/index.ts";
import { consoleLogger } from "../util/log.ts";
import { parseIntFlag, rejectUnknownOptions } from "./args.ts";

const tailArgs = {
  redis: { type: "string", default: "redis://127.0.0.1:6379", description: "Redis URL" },
  stream: { type: "string", default: "vbridge:events", description: "stream key" },
  from: {
    type: "string",
    default: "$",
    description: "print entries after this id: $ = new events only, 0 = from the oldest kept",
  },
  count: { type: "string", description: "stop after this many events (default: until Ctrl-C)" },
} as const;

const tailCommand = defineCommand({
  meta: { name: "tail", description: "print the event stream, one JSON line per event" },
  args: tailArgs,
  async run({ args: a, rawArgs }) {
    rejectUnknownOptions(rawArgs, tailArgs);
    const count =
      a.count === undefined ? undefined : parseIntFlag("count", a.count, 1, Number.MAX_SAFE_INTEGER);
    const abort = new AbortController();
    const stop = () => abort.abort();
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    // stdout carries only events: outage lines go to stderr.
    const log = consoleLogger({ debug: false, write: (line) => console.error(line) });
    try {
      await tailEvents(
        { url: a.redis, stream: a.stream, from: a.from, count, signal: abort.signal, log },
        ({ id, event }) => console.log(JSON.stringify({ id, ...event })),
      );
    } finally {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
    }
    return 0;
  },
});

export const eventsCommand = defineCommand({
  meta: { name: "events", description: "the Redis event stream ([events] in config.toml)" },
  subCommands: { tail: tailCommand },
});
