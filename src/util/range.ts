/**
 * The one check of a numeric setting against its range, and the phrase that names the range in
 * messages ("must be a whole number from 1 to 256"). Every layer uses it with its own error
 * class, so the config file, the flags and the options objects agree on what is allowed.
 */

export interface Range {
  min: number;
  /** Infinity: no upper bound. */
  max: number;
  /** Whole numbers only. */
  whole?: boolean;
  /** min itself is not allowed ("above 0"). */
  exclusiveMin?: boolean;
  /** Say "a number of seconds" in messages. */
  seconds?: boolean;
}

/** A number from a typed value or a string (flags, environment); anything else, and "", is NaN. */
export function toNumber(raw: unknown): number {
  if (typeof raw === "number") return raw;
  return typeof raw === "string" && raw.trim() !== "" ? Number(raw) : NaN;
}

export function inRange(n: unknown, r: Range): n is number {
  if (typeof n !== "number" || !Number.isFinite(n) || (r.whole === true && !Number.isInteger(n)))
    return false;
  return (r.exclusiveMin === true ? n > r.min : n >= r.min) && n <= r.max;
}

/** Calls `fail` with "<name> must be <range>, got <v>" unless v is in the range (each layer its own error). */
export function checkRange(name: string, v: number, r: Range, fail: (why: string) => never): void {
  if (!inRange(v, r)) fail(`${name} must be ${rangePhrase(r)}, got ${v}`);
}

/** What must-be says: "a whole number from 0 to 65535", "a number of seconds above 0 and at most 3600". */
export function rangePhrase(r: Range): string {
  const what = r.whole === true ? "a whole number" : r.seconds === true ? "a number of seconds" : "a number";
  const low =
    r.exclusiveMin === true ? `above ${r.min}` : r.max === Infinity ? `>= ${r.min}` : `from ${r.min}`;
  if (r.max === Infinity) return `${what} ${low}`;
  return `${what} ${low} ${r.seconds === true ? "and at most" : "to"} ${r.max}`;
}
