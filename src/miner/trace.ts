/**
 * --debug: protocol traces and the pool client's own log, as lines for the miner's log.
 *
 * Traces come from wrapping the client's transport factory (PoolClientOptions.connect, the same
 * seam its tests use), so the client itself stays free of logging concerns. Every line is traced
 * as sent or received, except that the password of mining.authorize is replaced by "***"
 * (STYLE.md §14): a debug log is the kind of thing people paste into issues.
 */
import type { ConnectFn } from "../upstream/index.ts";
import type { Logger } from "../util/log.ts";
import { oneLine } from "../util/text.ts";

/** Longest partial line kept while waiting for its newline (the client caps lines itself). */
const MAX_PENDING_CHARS = 64 * 1024;

/** `connect` with every line in (`<`) and out (`>`) passed to `trace` first. */
export function tracingConnect(inner: ConnectFn, trace: (line: string) => void): ConnectFn {
  return (o, h) => {
    const decoder = new TextDecoder();
    let pending = "";
    const where = o.endpoint.url;
    trace(`${where} connecting`);
    const t = inner(o, {
      onOpen: () => {
        trace(`${where} connected`);
        h.onOpen();
      },
      onData: (bytes) => {
        pending += decoder.decode(bytes, { stream: true });
        const lines = pending.split("\n");
        pending = lines.pop() ?? "";
        if (pending.length > MAX_PENDING_CHARS) pending = "";
        for (const l of lines) if (l.trim() !== "") trace(`< ${oneLine(l.trimEnd(), Infinity)}`);
        h.onData(bytes);
      },
      onClose: (reason) => {
        trace(`${where} closed: ${reason.code} ${reason.message}`);
        h.onClose(reason);
      },
    });
    return {
      write(text: string) {
        trace(`> ${redact(text.trimEnd())}`);
        t.write(text);
      },
      close: (reason) => t.close(reason),
      get bufferedBytes() {
        return t.bufferedBytes;
      },
    };
  };
}

/** A line we send, with the authorize password replaced. Unparseable text is not ours: unchanged. */
export function redact(line: string): string {
  let m: unknown;
  try {
    m = JSON.parse(line);
  } catch {
    return line;
  }
  if (typeof m !== "object" || m === null) return line;
  const { method, params } = m as { method?: unknown; params?: unknown };
  if (method !== "mining.authorize" || !Array.isArray(params) || params.length < 2) return line;
  return JSON.stringify({ ...m, params: [params[0], "***", ...params.slice(2)] });
}

/**
 * The pool client's Logger: warnings and errors always (a connection ending, a full submit queue),
 * its info and debug notes only with --debug (the miner prints its own state lines).
 */
export function clientLogger(log: Logger, debug: boolean): Logger {
  const line = (level: "debug" | "warn" | "error") => (message: string, fields?: Record<string, unknown>) => {
    const f = Object.entries(fields ?? {}).map(
      ([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`,
    );
    log[level](oneLine(f.length === 0 ? message : `${message} (${f.join(", ")})`, Infinity));
  };
  const quiet = () => {};
  const notes = debug ? line("debug") : quiet;
  return {
    debug: notes,
    info: notes,
    // Our own close() ends the connection too; that is no warning.
    warn: (message, fields) => (fields?.code === "E_CLIENT_CLOSED" ? notes : line("warn"))(message, fields),
    error: line("error"),
  };
}
