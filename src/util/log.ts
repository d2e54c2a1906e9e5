/**
 * The one log shape of vbridge: the Logger every layer is handed (pool client, bridge, downstream
 * servers, built-in pool, headless miner), a silent one, and the console Logger the commands
 * print through: one line per call, ISO time, level, message, then key=value fields. Debug lines
 * only when asked (config `debug`). Fields whose name says secret (pass, password, token, secret,
 * authorization) are printed as "***", so a password can never reach a log through a field
 * (STYLE.md principle 14). It lives in util/ so that every layer can take one without importing
 * another layer.
 */

/** The injected logger. Fields are structured; passwords never reach it. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = Object.freeze({
  debug() {},
  info() {},
  warn() {},
  error() {},
});

export interface ConsoleLoggerOptions {
  debug: boolean;
  /** Where lines go (no newline); default console.log for info/debug, console.error for warn/error. */
  write?: (line: string, level: Level) => void;
  /** Milliseconds; default Date.now. */
  clock?: () => number;
}

export type Level = "debug" | "info" | "warn" | "error";

const SECRET = /pass|token|secret|authorization/i;

/** The value to print for a field: secrets redacted, strings quoted when they contain spaces. */
export function formatField(key: string, value: unknown): string {
  if (SECRET.test(key)) return `${key}=***`;
  const bare = typeof value === "string" && value !== "" && !/[\s="]/.test(value);
  return `${key}=${bare ? value : JSON.stringify(value)}`;
}

export function consoleLogger(o: ConsoleLoggerOptions): Logger {
  const clock = o.clock ?? Date.now;
  const write =
    o.write ??
    ((line: string, level: Level) =>
      level === "warn" || level === "error" ? console.error(line) : console.log(line));
  const emit = (level: Level, message: string, fields?: Record<string, unknown>) => {
    const tail = Object.entries(fields ?? {})
      .map(([k, v]) => ` ${formatField(k, v)}`)
      .join("");
    write(`${new Date(clock()).toISOString()} ${level.toUpperCase().padEnd(5)} ${message}${tail}`, level);
  };
  return {
    debug: o.debug ? (m, f) => emit("debug", m, f) : () => {},
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
  };
}

/** The same logger with its info lines demoted to debug (a lower layer's chatter under ours). */
export function quieter(log: Logger): Logger {
  return { debug: log.debug, info: log.debug, warn: log.debug, error: log.error };
}
