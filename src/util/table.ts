/**
 * Plain-text table rows for human-readable command output: the first column left-aligned (a name),
 * the others right-aligned (numbers).
 */
export function row(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ");
}

/** An integer with thousands separators: 1,523,846. */
export function thousands(x: number): string {
  return Math.round(x).toLocaleString("en-US");
}
