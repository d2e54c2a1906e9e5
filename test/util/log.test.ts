// The console logger: one line per call, debug only when asked, secrets never printed.

import { expect, test } from "bun:test";
import { consoleLogger, formatField, quieter } from "../../src/util/log.ts";

test("lines: time, level, message, fields; debug only with debug on", () => {
  const lines: string[] = [];
  const log = consoleLogger({ debug: false, clock: () => 0, write: (l) => lines.push(l) });
  log.info("hello", { n: 1, s: "two words", ok: true });
  log.debug("hidden");
  log.warn("careful");
  expect(lines).toEqual([
    '1970-01-01T00:00:00.000Z INFO  hello n=1 s="two words" ok=true',
    "1970-01-01T00:00:00.000Z WARN  careful",
  ]);
});

test("passwords and tokens are redacted by field name", () => {
  expect(formatField("password", "hunter2")).toBe("password=***");
  expect(formatField("pass", "x")).toBe("pass=***");
  expect(formatField("token", "abc")).toBe("token=***");
  expect(formatField("user", "RAddr.w")).toBe("user=RAddr.w");
});

test("quieter: a lower layer's info and warn become debug, errors stay", () => {
  const lines: string[] = [];
  const log = quieter(consoleLogger({ debug: false, write: (l) => lines.push(l) }));
  log.info("chatter");
  log.warn("chatter");
  log.error("bad");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain("ERROR bad");
});
