// log.ts — a Logger for tests: keeps each message (with its key=value fields, no time or level)
// in an array, so a test can assert what a layer logged.

import { formatField, type Logger } from "../../src/util/log.ts";

export function linesLogger(lines: string[]): Logger {
  const push = (message: string, fields?: Record<string, unknown>) =>
    void lines.push(
      message +
        Object.entries(fields ?? {})
          .map(([k, v]) => ` ${formatField(k, v)}`)
          .join(""),
    );
  return { debug: push, info: push, warn: push, error: push };
}
