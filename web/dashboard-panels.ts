// dashboard-panels.ts — the dashboard's non-chart parts, drawn from the API's answers: the summary
// numbers (each with a data-value a test can read), the upstream cards, the workers table and the
// recent alerts. Every name a miner or a pool chose is set as textContent only.

import { formatCount, formatHashrate } from "./charts.ts";
import type { Alert, Summary, Upstream, WorkerView } from "./dashboard-api.ts";

function byId(id: string): HTMLElement {
  const e = document.getElementById(id);
  if (e === null) throw new Error(`E_DASHBOARD_MARKUP: #${id} is missing`);
  return e;
}

/** Sets a readout's text and its machine-readable value. */
export function setValue(id: string, value: number | string, shown: string): void {
  const e = byId(id);
  e.dataset.value = String(value);
  e.textContent = shown;
}

export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

/** The numbers at the top. */
export function renderSummary(s: Summary): void {
  const [h1m = 0, h10m = 0, h1h = 0] = s.hashrate.total;
  setValue("hashrate", h1m, formatHashrate(h1m));
  byId("hashrate-sub").textContent = `10 min ${formatHashrate(h10m)}\n1 h ${formatHashrate(h1h)}`;
  setValue("workers", s.workers.online, `${s.workers.online} / ${s.workers.total}`);
  setValue("miners", s.miners.total, String(s.miners.total));
  setValue("accepted", s.results.accepted, formatCount(s.results.accepted));
  setValue("stale", s.results.stale, formatCount(s.results.stale));
  setValue("rejected", s.results.rejected, formatCount(s.results.rejected));
  const total = s.results.accepted + s.results.rejected;
  byId("rejected-sub").textContent =
    total > 0 ? `${((100 * s.results.rejected) / total).toFixed(1)} % of shares` : "–";
  setValue("upstreams", s.upstreams.active, `${s.upstreams.active} / ${s.upstreams.total}`);
  setValue("blocks", s.blocks.found, String(s.blocks.found));
  byId("blocks-sub").textContent = `${s.blocks.accepted} accepted`;
  setValue("uptime", s.uptime, duration(s.uptime * 1000));
  const l = s.ledger;
  byId("ledger").textContent =
    l === null ? "no ledger" : `ledger ${l.kind}${l.failing ? " FAILING" : ""} · queued ${l.queued}`;
  byId("version").textContent = `vbridge ${s.version}`;
  renderAlerts(s.alerts);
}

function dl(rows: [string, string][]): HTMLDListElement {
  const list = document.createElement("dl");
  for (const [k, v] of rows) {
    const dt = document.createElement("dt");
    dt.textContent = k;
    const dd = document.createElement("dd");
    dd.textContent = v;
    list.append(dt, dd);
  }
  return list;
}

/** One card per upstream; `ageNow` is how long ago the list was read (the job age keeps counting). */
export function renderUpstreams(ups: Upstream[], readAgoMs: number): void {
  const box = byId("upstream-list");
  box.dataset.count = String(ups.length);
  if (ups.length === 0) {
    box.replaceChildren(Object.assign(document.createElement("p"), { textContent: "no upstream" }));
    return;
  }
  box.replaceChildren(
    ...ups.map((u) => {
      const card = document.createElement("div");
      card.className = "upstream";
      card.dataset.state = u.state;
      const head = document.createElement("div");
      head.className = "uphead";
      const badge = document.createElement("span");
      badge.className = `badge ${/subscribed|authorized|serving|up/.test(u.state) ? "ok" : "bad"}`;
      badge.textContent = u.state;
      const index = document.createElement("b");
      index.textContent = `upstream ${u.index}`;
      const url = document.createElement("span");
      url.className = "url";
      url.textContent = u.url;
      head.append(index, badge, url);
      card.append(
        head,
        dl([
          ["latency", u.latencyMs === null ? "–" : `${Math.round(u.latencyMs)} ms`],
          ["difficulty", u.difficulty === null ? "–" : String(u.difficulty)],
          ["failovers", String(u.failovers)],
          ["last job", u.lastJobAgeMs === null ? "–" : `${duration(u.lastJobAgeMs + readAgoMs)} ago`],
          ["sessions", String(u.sessions)],
        ]),
      );
      return card;
    }),
  );
}

/** The workers, busiest first (at most 50 rows). */
export function renderWorkers(workers: WorkerView[]): void {
  const body = byId("worker-rows");
  const sorted = [...workers].sort((a, b) => b.hashrate[0]! - a.hashrate[0]!).slice(0, 50);
  body.parentElement!.dataset.count = String(workers.length);
  body.replaceChildren(
    ...sorted.map((w) => {
      const tr = document.createElement("tr");
      const cells = [
        w.name,
        formatHashrate(w.hashrate[0]!),
        formatHashrate(w.hashrate[2]!),
        String(w.accepted),
        String(w.stale),
        String(w.rejected),
        w.lastShareMs > 0 ? `${duration(Date.now() - w.lastShareMs)} ago` : "–",
      ];
      for (const c of cells) {
        const td = document.createElement("td");
        td.textContent = c;
        tr.append(td);
      }
      return tr;
    }),
  );
}

function renderAlerts(alerts: Alert[]): void {
  const list = byId("alert-list");
  list.dataset.count = String(alerts.length);
  if (alerts.length === 0) {
    list.replaceChildren(
      Object.assign(document.createElement("li"), { textContent: "no alerts", className: "none" }),
    );
    return;
  }
  list.replaceChildren(
    ...[...alerts]
      .sort((a, b) => b.at - a.at)
      .slice(0, 10)
      .map((a) => {
        const li = document.createElement("li");
        const when = document.createElement("time");
        when.textContent = new Date(a.at).toLocaleString();
        const kind = document.createElement("span");
        kind.className = `badge ${a.severity === "info" ? "ok" : "bad"}`;
        kind.textContent = a.alert;
        const msg = document.createElement("span");
        msg.textContent = a.message;
        li.append(when, kind, msg);
        return li;
      }),
  );
}
