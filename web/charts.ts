// charts.ts — the dashboard's charts: small inline SVG drawn here (no library, nothing loaded from
// elsewhere): a time chart (lines or areas), stacked bars over time and a horizontal bar list.
// Each draw replaces the SVG's children and puts the data it drew on the element itself
// (data-points: JSON, data-count: points, data-max: the largest value) so that a test reads the
// data and not the pixels. Labels come from miners (worker names, user agents): they are only ever
// set as textContent, never parsed as markup.

const SVG_NS = "http://www.w3.org/2000/svg";

/** A point in time (unix ms) and its value. */
export type Point = [t: number, v: number];

export interface Series {
  name: string;
  color: string;
  points: Point[];
}

export interface TimeChartOptions {
  /** "area" fills under each line (meant for one series). */
  kind: "line" | "area";
  from: number;
  to: number;
  format(v: number): string;
  height?: number;
  /** Shown across the plot when nothing in it is above 0. */
  empty?: string;
}

export interface StackedOptions {
  /** Each bar's width in time (ms): a bucket [t, t + step). */
  step: number;
  from: number;
  to: number;
  format(v: number): string;
  height?: number;
  /** Counts: the axis ticks are whole numbers. */
  integer?: boolean;
  /** Shown across the plot when nothing in it is above 0. */
  empty?: string;
}

/** One bar of a stacked chart: its start time and one value per series, in series order. */
export interface Bucket {
  t: number;
  values: number[];
}

const PAD = { left: 56, right: 10, top: 10, bottom: 22 };

function el<K extends keyof SVGElementTagNameMap>(
  parent: Element,
  tag: K,
  attrs: Record<string, string | number>,
  text?: string,
): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  parent.appendChild(e);
  return e;
}

/** Sizes the SVG to its container's width (charts are redrawn on resize, so text keeps its size). */
function frame(svg: SVGSVGElement, height: number): { w: number; h: number } {
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  const w = Math.max(200, Math.floor(svg.parentElement?.clientWidth ?? 600));
  svg.setAttribute("viewBox", `0 0 ${w} ${height}`);
  svg.setAttribute("width", String(w));
  svg.setAttribute("height", String(height));
  return { w, h: height };
}

/** 1, 2 or 5 × 10^k at or above v: a round top for the y axis. */
export function niceCeil(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function clock(t: number, withDate: boolean): string {
  const d = new Date(t);
  const hm = `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
  return withDate ? `${d.getDate()}/${d.getMonth() + 1} ${hm}` : hm;
}

/** A y-axis top and a number of grid steps; with `integer`, every step is a whole number. */
function scale(max: number, integer: boolean): { top: number; steps: number } {
  const top = niceCeil(max);
  if (!integer) return { top, steps: 4 };
  if (top <= 4) return { top: 4, steps: 4 };
  if (top % 4 === 0) return { top, steps: 4 };
  if (top % 5 === 0) return { top, steps: 5 };
  return { top: Math.ceil(top / 4) * 4, steps: 4 };
}

/** The axes and grid shared by the time charts; returns the value → y and time → x maps. */
function axes(
  svg: SVGSVGElement,
  size: { w: number; h: number },
  from: number,
  to: number,
  range: { top: number; steps: number },
  format: (v: number) => string,
): { x(t: number): number; y(v: number): number } {
  const max = range.top;
  const plotW = size.w - PAD.left - PAD.right;
  const plotH = size.h - PAD.top - PAD.bottom;
  const span = Math.max(1, to - from);
  const x = (t: number) => PAD.left + ((t - from) / span) * plotW;
  const y = (v: number) => PAD.top + plotH - (v / max) * plotH;
  const grid = el(svg, "g", { class: "grid" });
  for (let i = 0; i <= range.steps; i++) {
    const v = (max * i) / range.steps;
    const yy = Math.round(y(v)) + 0.5;
    el(grid, "line", { x1: PAD.left, x2: size.w - PAD.right, y1: yy, y2: yy });
    el(svg, "text", { x: PAD.left - 6, y: yy + 4, "text-anchor": "end", class: "tick" }, format(v));
  }
  // As many time labels as fit (one per ~90 px), evenly spaced.
  const labels = Math.max(2, Math.min(7, Math.floor(plotW / 90)));
  for (let i = 0; i < labels; i++) {
    const t = from + (span * i) / (labels - 1);
    const anchor = i === 0 ? "start" : i === labels - 1 ? "end" : "middle";
    el(
      svg,
      "text",
      { x: x(t), y: size.h - 6, "text-anchor": anchor, class: "tick" },
      clock(t, span > DAY_MS / 2 && i === 0),
    );
  }
  return { x, y };
}

const DAY_MS = 86_400_000;

/** The plot's "nothing here" line, in its middle. */
function emptyNote(svg: SVGSVGElement, size: { w: number; h: number }, top: number, text?: string): void {
  if (top > 0 || text === undefined) return;
  const x = (PAD.left + size.w - PAD.right) / 2;
  el(
    svg,
    "text",
    { x, y: (PAD.top + size.h - PAD.bottom) / 2, "text-anchor": "middle", class: "empty" },
    text,
  );
}

function stamp(svg: SVGSVGElement, data: unknown, count: number, max: number, span?: [number, number]): void {
  svg.dataset.points = JSON.stringify(data);
  if (span !== undefined) [svg.dataset.from, svg.dataset.to] = span.map(String);
  svg.dataset.count = String(count);
  svg.dataset.max = String(max);
}

/** Lines (or one filled area) over [from, to]; points outside are left out. */
export function timeChart(svg: SVGSVGElement, series: Series[], o: TimeChartOptions): void {
  const size = frame(svg, o.height ?? 180);
  const shown = series.map((s) => ({ ...s, points: s.points.filter(([t]) => t >= o.from && t <= o.to) }));
  const top = Math.max(0, ...shown.flatMap((s) => s.points.map(([, v]) => v)));
  const { x, y } = axes(svg, size, o.from, o.to, scale(top, false), o.format);
  for (const s of shown) {
    if (s.points.length === 0) continue;
    const line = s.points.map(([t, v], i) => `${i === 0 ? "M" : "L"}${x(t).toFixed(1)},${y(v).toFixed(1)}`);
    if (o.kind === "area") {
      const first = s.points[0]![0];
      const last = s.points[s.points.length - 1]![0];
      const d = `${line.join("")}L${x(last).toFixed(1)},${y(0)}L${x(first).toFixed(1)},${y(0)}Z`;
      el(svg, "path", { d, fill: s.color, "fill-opacity": 0.18, stroke: "none" });
    }
    const path = el(svg, "path", { d: line.join(""), fill: "none", stroke: s.color, "stroke-width": 1.75 });
    path.setAttribute("stroke-linejoin", "round");
    el(path, "title", {}, s.name);
    // A lone point draws no line: show it as a dot.
    if (s.points.length === 1)
      el(svg, "circle", { cx: x(s.points[0]![0]), cy: y(s.points[0]![1]), r: 3, fill: s.color });
  }
  emptyNote(svg, size, top, o.empty);
  const data = shown.map((s) => ({ name: s.name, points: s.points }));
  const count = shown.reduce((n, s) => n + s.points.length, 0);
  stamp(svg, data, count, top, [o.from, o.to]);
}

/** Stacked bars, one per bucket; `series` names and colours the values of each bucket. */
export function stackedBars(
  svg: SVGSVGElement,
  series: { name: string; color: string }[],
  buckets: Bucket[],
  o: StackedOptions,
): void {
  const size = frame(svg, o.height ?? 180);
  const shown = buckets.filter((b) => b.t + o.step > o.from && b.t <= o.to);
  const top = Math.max(0, ...shown.map((b) => b.values.reduce((a, v) => a + v, 0)));
  const { x, y } = axes(svg, size, o.from, o.to, scale(top, o.integer ?? false), o.format);
  const barW = Math.max(1, x(o.from + o.step) - x(o.from) - 1);
  for (const b of shown) {
    let base = 0;
    const g = el(svg, "g", {});
    const parts = series.map((s, i) => `${s.name} ${o.format(b.values[i] ?? 0)}`).join(", ");
    el(g, "title", {}, `${clock(b.t, false)}: ${parts}`);
    series.forEach((s, i) => {
      const v = b.values[i] ?? 0;
      if (v <= 0) return;
      const y0 = y(base);
      const y1 = y(base + v);
      el(g, "rect", {
        x: x(b.t).toFixed(1),
        y: y1.toFixed(1),
        width: barW.toFixed(1),
        height: Math.max(1, y0 - y1).toFixed(1),
        fill: s.color,
      });
      base += v;
    });
  }
  emptyNote(svg, size, top, o.empty);
  const data = series.map((s, i) => ({ name: s.name, points: shown.map((b) => [b.t, b.values[i] ?? 0]) }));
  stamp(svg, data, shown.length, top, [o.from, o.to]);
}

/** One horizontal bar per entry (label, value), longest first, the value at the end. */
export function barList(svg: SVGSVGElement, entries: [string, number][], color: string): void {
  const sorted = [...entries].sort((a, b) => b[1] - a[1]);
  const row = 24;
  const size = frame(svg, Math.max(row, sorted.length * row) + 4);
  const top = Math.max(0, ...sorted.map(([, v]) => v));
  const labelW = Math.min(160, Math.floor(size.w * 0.4));
  const valueW = 48;
  const barMax = size.w - labelW - valueW - 8;
  if (sorted.length === 0) el(svg, "text", { x: 0, y: 16, class: "tick" }, "none");
  sorted.forEach(([label, v], i) => {
    const yy = i * row + 2;
    // Long names are cut to fit (the full name stays in the title).
    const short =
      label.length > labelW / 7 ? `${label.slice(0, Math.max(3, Math.floor(labelW / 7) - 1))}…` : label;
    const t = el(svg, "text", { x: 0, y: yy + 15, class: "label" }, short);
    el(t, "title", {}, label);
    const w = top > 0 ? Math.max(v > 0 ? 2 : 0, (v / top) * barMax) : 0;
    el(svg, "rect", { x: labelW, y: yy + 3, width: w.toFixed(1), height: row - 8, rx: 2, fill: color });
    el(svg, "text", { x: labelW + w + 6, y: yy + 15, class: "value" }, String(v));
  });
  stamp(svg, sorted, sorted.length, top);
}

/** Sums per-minute values into bars of `step` (keys: what each value is). */
export class Bars {
  readonly #bars = new Map<number, Record<string, number>>();
  constructor(readonly step: number) {}
  add(t: number, values: Record<string, number>): void {
    const k = Math.floor(t / this.step) * this.step;
    const bar = this.#bars.get(k) ?? {};
    for (const [name, v] of Object.entries(values)) bar[name] = (bar[name] ?? 0) + v;
    this.#bars.set(k, bar);
  }
  keys(): string[] {
    return [...new Set([...this.#bars.values()].flatMap((b) => Object.keys(b)))].sort();
  }
  buckets(keys: string[]): { t: number; values: number[] }[] {
    return [...this.#bars]
      .sort((a, b) => a[0] - b[0])
      .map(([t, b]) => ({ t, values: keys.map((k) => b[k] ?? 0) }));
  }
}

/** A legend (HTML) for the series of a chart. */
export function legend(box: HTMLElement, series: { name: string; color: string }[]): void {
  box.replaceChildren(
    ...series.map((s) => {
      const item = document.createElement("span");
      const swatch = document.createElement("i");
      swatch.style.background = s.color;
      item.append(swatch, document.createTextNode(s.name));
      return item;
    }),
  );
}

/** H/s with a unit. */
export function formatHashrate(h: number): string {
  const units = ["H/s", "kH/s", "MH/s", "GH/s", "TH/s"];
  let i = 0;
  let v = h;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v >= 100 || i === 0 ? Math.round(v) : v.toFixed(v >= 10 ? 1 : 2)} ${units[i]}`;
}

/** A count, compact (1.2k). */
export function formatCount(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n * 100) / 100);
}
