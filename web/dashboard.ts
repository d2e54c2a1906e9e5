// dashboard.ts — the operator's dashboard (/dashboard): reads /api/v1/summary, /history, /upstreams
// and /workers, draws them (charts.ts, dashboard-panels.ts), then follows /api/v1/live (SSE, one
// summary a second): the numbers update and the charts get the new points at once — the total
// hashrate a point per update, the shares per minute the accepted / stale / rejected since the last
// update. The history is read again every minute, the upstreams every 5 s, the workers every 10 s.

import {
  Bars,
  barList,
  formatCount,
  formatHashrate,
  legend,
  stackedBars,
  timeChart,
  type Point,
} from "./charts.ts";
import {
  ApiError,
  apiUrl,
  getJson,
  workerView,
  type History,
  type HistoryPoint,
  type Summary,
  type Upstream,
  type WorkerRow,
} from "./dashboard-api.ts";
import { renderSummary, renderUpstreams, renderWorkers } from "./dashboard-panels.ts";

type Range = "1h" | "24h";
const RANGE_MS: Record<Range, number> = { "1h": 3_600_000, "24h": 86_400_000 };
const MINUTE = 60_000;
/** Live points kept beyond the last history read (one a second: ten minutes' worth). */
const LIVE_CAP = 600;
/** Per-worker lines drawn (the busiest); more would be noise on a phone. */
const WORKER_LINES = 6;
const PALETTE = ["#2f6fdf", "#e8871e", "#2a9d63", "#c2417a", "#7b5cd6", "#1e9bb0"];
const CODE_COLORS = ["#d64545", "#e8871e", "#7b5cd6", "#c2417a", "#1e9bb0", "#8a6d3b"];
const SHARE_SERIES = [
  { name: "accepted", color: "#2a9d63" },
  { name: "stale", color: "#e8b21e" },
  { name: "rejected", color: "#d64545" },
];
const CODE_NAMES: Record<string, string> = {
  "20": "20 other",
  "21": "21 job not found",
  "22": "22 duplicate",
  "23": "23 low difficulty",
  "24": "24 unauthorized",
  "25": "25 not subscribed",
};

let range: Range = "1h";
let history: History | null = null;
let summary: Summary | null = null;
/** Total hashrate from the live stream, after the history's last minute. */
let livePoints: Point[] = [];
/** Shares per minute counted from the live stream: minute → [accepted, stale, rejected]. */
const liveShares = new Map<number, number[]>();
/** Rejects per minute by code, from the live stream. */
const liveCodes = new Map<number, Record<string, number>>();
/** Each worker's 1-minute hashrate as /api/v1/workers said (every 10 s): its line goes on between history reads. */
const workerLive = new Map<string, Point[]>();
let historyReadAt = 0;
/** When the bridge started (from the summary's uptime). */
let startedAt = 0;
let upstreams: Upstream[] = [];
let upstreamsReadAt = 0;

const svg = (id: string) => document.getElementById(id) as unknown as SVGSVGElement;
const minuteOf = (t: number) => Math.floor(t / MINUTE) * MINUTE;

function status(text: string, bad = false): void {
  const e = document.getElementById("status")!;
  e.textContent = text;
  e.classList.toggle("bad", bad);
}

function span(): { from: number; to: number } {
  const to = Date.now();
  return { from: to - RANGE_MS[range], to };
}

/**
 * A history's per-minute hashrates; the current minute was still filling up when it was read, so its
 * rate is over the seconds it had had (at least 10: a few shares are no rate).
 */
function rates(points: HistoryPoint[]): Point[] {
  return points.map((p): Point => {
    // The bridge may have started within the minute: its rate is over the seconds since then.
    const part = historyReadAt - Math.max(p.t, startedAt);
    return [p.t, part < MINUTE ? (p.hashrate * MINUTE) / Math.max(10_000, part) : p.hashrate];
  });
}

function drawHashrate(): void {
  const { from, to } = span();
  const points = rates(history?.total ?? []);
  const last = points.at(-1)?.[0] ?? 0;
  points.push(...livePoints.filter(([t]) => t > last));
  timeChart(svg("chart-hashrate"), [{ name: "total", color: PALETTE[0]!, points }], {
    kind: "area",
    from,
    to,
    format: formatHashrate,
    empty: "no hashrate in this range",
  });
  const workers = Object.entries(history?.workers ?? {})
    .map(([name, ps]) => {
      const points = rates(ps);
      const last = points.at(-1)?.[0] ?? 0;
      points.push(...(workerLive.get(name) ?? []).filter(([t]) => t > last));
      return { name, points };
    })
    .map((w) => ({ ...w, sum: w.points.reduce((a, [, v]) => a + v, 0) }))
    .sort((a, b) => b.sum - a.sum)
    .slice(0, WORKER_LINES)
    .map((w, i) => ({ name: w.name, color: PALETTE[i % PALETTE.length]!, points: w.points }));
  legend(document.getElementById("legend-workers")!, workers);
  timeChart(svg("chart-workers"), workers, {
    kind: "line",
    from,
    to,
    format: formatHashrate,
    empty: "no worker hashrate in this range",
  });
}

/** Shares and rejects by code per minute (24 h: per 15 minutes): the history, then the stream's. */
function drawShares(): void {
  const { from, to } = span();
  const step = range === "1h" ? MINUTE : 15 * MINUTE;
  const shares = new Bars(step);
  const codes = new Bars(step);
  // The history's rejected include the stale (code 21, dead work): drawn apart.
  for (const p of history?.total ?? []) {
    shares.add(p.t, { accepted: p.accepted, stale: p.stale, rejected: Math.max(0, p.rejected - p.stale) });
    codes.add(p.t, Object.fromEntries(Object.entries(p.byCode ?? {}).filter(([, n]) => n > 0)));
  }
  for (const [t, v] of liveShares) shares.add(t, { accepted: v[0]!, stale: v[1]!, rejected: v[2]! });
  for (const [t, c] of liveCodes) codes.add(t, c);
  const o = { step, from, to, format: formatCount, integer: true };
  const shareBuckets = shares.buckets(SHARE_SERIES.map((s) => s.name));
  stackedBars(svg("chart-shares"), SHARE_SERIES, shareBuckets, { ...o, empty: "no shares in this range" });
  const codeKeys = codes.keys();
  const codeSeries = codeKeys.map((c, i) => ({
    name: CODE_NAMES[c] ?? c,
    color: CODE_COLORS[i % CODE_COLORS.length]!,
  }));
  legend(document.getElementById("legend-codes")!, codeSeries);
  stackedBars(svg("chart-codes"), codeSeries, codes.buckets(codeKeys), {
    ...o,
    empty: "no rejects in this range",
  });
}

function drawSummaryCharts(s: Summary): void {
  const codes = Object.entries(s.results.byCode).map(([c, n]): [string, number] => [CODE_NAMES[c] ?? c, n]);
  barList(svg("chart-code-totals"), codes, "#d64545");
  barList(svg("chart-transport"), Object.entries(s.miners.byTransport), PALETTE[0]!);
  barList(svg("chart-agent"), Object.entries(s.miners.byAgent), PALETTE[4]!);
}

function drawAll(): void {
  drawHashrate();
  drawShares();
  if (summary !== null) drawSummaryCharts(summary);
  renderUpstreams(upstreams, Date.now() - upstreamsReadAt);
}

/** A summary from the live stream (or the first read): numbers, then the points it adds. */
function onSummary(s: Summary): void {
  const prev = summary;
  summary = s;
  startedAt = Date.now() - s.uptime * 1000;
  renderSummary(s);
  drawSummaryCharts(s);
  const now = Date.now();
  livePoints.push([now, s.hashrate.total[0] ?? 0]);
  if (livePoints.length > LIVE_CAP) livePoints = livePoints.slice(-LIVE_CAP);
  if (prev !== null) {
    const r = s.results;
    const p = prev.results;
    // A restarted bridge starts its counters again: never a negative bar.
    const d = (a: number, b: number) => Math.max(0, a - b);
    const stale = d(r.stale, p.stale);
    const m = minuteOf(now);
    const bucket = liveShares.get(m) ?? [0, 0, 0];
    bucket[0]! += d(r.accepted, p.accepted);
    bucket[1]! += stale;
    bucket[2]! += Math.max(0, d(r.rejected, p.rejected) - stale);
    liveShares.set(m, bucket);
    const codes = liveCodes.get(m) ?? {};
    for (const [c, n] of Object.entries(r.byCode)) {
      const delta = d(n, p.byCode[c] ?? 0);
      if (delta > 0) codes[c] = (codes[c] ?? 0) + delta;
    }
    liveCodes.set(m, codes);
  }
  drawHashrate();
  drawShares();
}

async function loadHistory(): Promise<void> {
  const h = await getJson<History>(`/api/v1/history?range=${range}`);
  history = h;
  historyReadAt = Date.now();
  // What the ledger now holds replaces what the stream counted up to its last minute.
  const last = h.total.at(-1)?.t ?? 0;
  for (const t of liveShares.keys()) if (t <= last) liveShares.delete(t);
  for (const t of liveCodes.keys()) if (t <= last) liveCodes.delete(t);
  livePoints = livePoints.filter(([t]) => t > last);
  for (const [name, ps] of workerLive)
    workerLive.set(
      name,
      ps.filter(([t]) => t > last),
    );
  drawHashrate();
  drawShares();
}

async function loadUpstreams(): Promise<void> {
  upstreams = (await getJson<{ upstreams: Upstream[] }>("/api/v1/upstreams")).upstreams;
  upstreamsReadAt = Date.now();
  renderUpstreams(upstreams, 0);
}

async function loadWorkers(): Promise<void> {
  const rows = (await getJson<{ workers: WorkerRow[] }>("/api/v1/workers")).workers;
  const views = rows.map(workerView);
  renderWorkers(views);
  const now = Date.now();
  for (const w of views.slice(0, 200)) {
    const points = workerLive.get(w.name) ?? [];
    points.push([now, w.hashrate[0]!]);
    workerLive.set(w.name, points.slice(-LIVE_CAP));
  }
  for (const name of workerLive.keys()) if (!views.some((w) => w.name === name)) workerLive.delete(name);
  drawHashrate();
}

/** Runs `f` now and every `ms`; a failure shows in the status line and is tried again next time. */
function every(ms: number, f: () => Promise<void>): void {
  const run = () =>
    f().catch((e: unknown) => {
      const forbidden = e instanceof ApiError && e.status === 403;
      status(
        forbidden ? "forbidden: open the dashboard from the bridge's host or with ?token=…" : String(e),
        true,
      );
    });
  void run();
  setInterval(run, ms);
}

function follow(): void {
  const live = document.getElementById("live")!;
  const source = new EventSource(apiUrl("/api/v1/live"));
  source.onopen = () => {
    live.dataset.state = "live";
    live.textContent = "live";
  };
  source.onerror = () => {
    // EventSource reconnects by itself (the stream's retry: 2000).
    live.dataset.state = "reconnecting";
    live.textContent = "reconnecting…";
  };
  source.onmessage = (ev: MessageEvent<string>) => {
    live.dataset.updates = String(Number(live.dataset.updates ?? 0) + 1);
    try {
      onSummary(JSON.parse(ev.data) as Summary);
      status("");
    } catch (e) {
      status(`live update: ${(e as Error).message}`, true);
    }
  };
}

function start(): void {
  for (const b of document.querySelectorAll<HTMLButtonElement>("button[data-range]")) {
    b.addEventListener("click", () => {
      range = b.dataset.range as Range;
      for (const o of document.querySelectorAll<HTMLButtonElement>("button[data-range]"))
        o.setAttribute("aria-pressed", String(o === b));
      document.body.dataset.range = range;
      void loadHistory().catch((e: unknown) => status(String(e), true));
    });
  }
  let pending: ReturnType<typeof setTimeout> | null = null;
  addEventListener("resize", () => {
    if (pending !== null) clearTimeout(pending);
    pending = setTimeout(drawAll, 100);
  });
  void getJson<Summary>("/api/v1/summary")
    .then(onSummary)
    .catch((e: unknown) => status(String(e), true));
  every(MINUTE, loadHistory);
  every(5_000, loadUpstreams);
  every(10_000, loadWorkers);
  // The job ages count on between reads.
  setInterval(() => renderUpstreams(upstreams, Date.now() - upstreamsReadAt), 1_000);
  follow();
}

start();
