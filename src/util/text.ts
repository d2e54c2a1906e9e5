// text.ts — peer-supplied text made safe for one log line: no control characters (no forged
// lines, no terminal escapes), bounded length.

/** The text on one line, cut at `max` characters with "…". */
export function oneLine(s: string, max = 80): string {
  const clean = s.replace(/[\u0000-\u001f\u007f-\u009f]/g, "?");
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

/** oneLine, quoted: where the text sits among other words of a log line. */
export function printable(s: string, max = 80): string {
  return JSON.stringify(oneLine(s, max));
}
