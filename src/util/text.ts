// text.ts — peer-supplied text made safe for one log line.

/** No control characters (no forged log lines), bounded length, quoted. */
export function printable(s: string, max = 80): string {
  const clean = s.replace(/[\u0000-\u001f\u007f-\u009f]/g, "?");
  return JSON.stringify(clean.length > max ? `${clean.slice(0, max)}…` : clean);
}
