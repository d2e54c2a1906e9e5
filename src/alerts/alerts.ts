/**
 * Alerts: watches one bridge and tells the operator when something breaks (docs/alerts.md). It is an
 * EventSink (the composition root tees the core's events into it: failover and block_found come from
 * upstream and block events, the reject rate from share verdicts) and looks at the core's stats()
 * and health() every checkMs (pool down, no shares while miners are connected).
 *
 * Mining never waits for it: publish() is synchronous, O(1) and never throws; alerts go to the
 * webhook through WebhookSender's capped queue. Each kind is rate-limited (one per min_interval);
 * a condition that lasts (pool down, reject rate, no shares) alerts once per episode, and pool_down
 * also says when it ends ("recovered", never held back).
 */
import type { BridgeHealth, BridgeStats, EventSink } from "../bridge/contract.ts";
import type { BridgeEvent } from "../events/schema.ts";
import { checkOptions, scrub } from "./options.ts";
import {
  ALERT_KINDS,
  type Alert,
  type AlertCounters,
  type AlertKind,
  type AlertsOptions,
  type Severity,
} from "./types.ts";
import { WebhookSender } from "./webhook.ts";
import { ShareWindow } from "./window.ts";

/** What watch() reads: the bridge core (Bridge) or anything shaped like it. */
export interface AlertSource {
  stats(): BridgeStats;
  health(): BridgeHealth;
}

/** recent() keeps this many. */
export const RECENT = 20;
/** reject_rate needs at least this many shares in the window: 1 of 3 rejected is no trend. */
export const MIN_SHARES = 20;
const CHECK_MS = 5_000;
const MESSAGE_MAX = 300;

/** A lasting condition: alerted once per episode; held back by the rate limit until it may be. */
interface Episode {
  announced: boolean;
  heldBack: boolean;
}

export class Alerts implements EventSink {
  private readonly clock: () => number;
  private readonly webhook: WebhookSender | null;
  private readonly window: ShareWindow;
  private readonly recentAlerts: Alert[] = [];
  private readonly lastAt = new Map<AlertKind, number>();
  private readonly byKind = Object.fromEntries(ALERT_KINDS.map((k) => [k, 0])) as Record<AlertKind, number>;
  private readonly episodes = new Map<AlertKind, Episode>();
  private raised = 0;
  private suppressed = 0;
  private timer: ReturnType<typeof setInterval> | null = null;
  private closed: Promise<void> | null = null;
  private sourceFailing = false;
  /** First check that saw no upstream with work, while it lasts. */
  private downSince: number | null = null;
  /** When miners were first seen connected (reset when none are), and the last accepted share. */
  private minersSince: number | null = null;
  private lastAccepted: number | null = null;
  private statsAccepted: number | null = null;

  /** Checks the options (E_ALERTS_CONFIG). Nothing starts until watch(). */
  static open(o: AlertsOptions): Alerts {
    checkOptions(o, CHECK_MS);
    return new Alerts(o);
  }

  private constructor(private readonly o: AlertsOptions) {
    this.clock = o.clock ?? Date.now;
    this.window = new ShareWindow(Math.ceil(o.rejectWindowSeconds));
    this.webhook =
      o.webhook.trim() === ""
        ? null
        : new WebhookSender({ url: o.webhook.trim(), log: o.log, timeoutMs: o.timeoutMs, queue: o.queue });
  }

  /** Never throws, never waits: counts shares, raises failover and block_found. */
  publish(e: BridgeEvent): void {
    if (this.closed !== null) return;
    const at = e.at ?? this.clock();
    switch (e.type) {
      case "share":
        if (e.verdict === "accepted") {
          this.window.add(at, "accepted", e.stale);
          this.lastAccepted = Math.max(this.lastAccepted ?? at, at);
        } else this.window.add(at, "rejected", e.stale, e.code);
        return;
      case "upstream":
        if (e.state !== "failover") return;
        return this.limited(
          "failover",
          "warning",
          at,
          `upstream #${e.upstream} failed over to ${scrub(e.pool)}`,
          {
            upstream: e.upstream,
            pool: scrub(e.pool),
            ...(e.detail === undefined ? {} : { detail: scrub(e.detail) }),
          },
        );
      case "block":
        if (!this.o.blockFound) return;
        return this.limited(
          "block_found",
          "info",
          at,
          `block found by ${e.worker}${e.height === null ? "" : ` at height ${e.height}`}: ${e.result}`,
          { worker: e.worker, height: e.height, hash: e.hash, result: e.result },
        );
      default:
        return;
    }
  }

  /** Looks at `source` every checkMs (replacing an earlier source) until close(). */
  watch(source: AlertSource): void {
    if (this.closed !== null) return;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = setInterval(() => this.check(source), this.o.checkMs ?? CHECK_MS);
    this.timer.unref();
  }

  /** One look at the bridge (watch() calls it; tests call it with their own clock). Never throws. */
  check(source: AlertSource): void {
    if (this.closed !== null) return;
    let health: BridgeHealth;
    let stats: BridgeStats;
    try {
      health = source.health();
      stats = source.stats();
      this.sourceFailing = false;
    } catch (e) {
      // A bug in the core, not an alert condition: say so once, keep the last state.
      if (!this.sourceFailing)
        this.o.log.error("alerts: reading the bridge's state failed", { error: String(e) });
      this.sourceFailing = true;
      return;
    }
    const now = this.clock();
    this.checkPool(now, health, stats);
    this.checkNoShares(now, stats);
    this.checkRejects(now);
  }

  /** The last RECENT alerts, oldest first (copies). */
  recent(): Alert[] {
    return this.recentAlerts.map((a) => ({ ...a, details: { ...a.details } }));
  }

  counters(): AlertCounters {
    const w = this.webhook;
    return {
      raised: this.raised,
      suppressed: this.suppressed,
      published: w?.published ?? 0,
      failed: w?.failed ?? 0,
      dropped: w?.dropped ?? 0,
      buffered: w?.buffered ?? 0,
      connected: w?.healthy ?? true,
      byKind: { ...this.byKind },
    };
  }

  /** Stops watching, takes no more events, lets queued alerts go out (bounded). Idempotent. */
  close(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    return (this.closed ??= this.webhook?.close() ?? Promise.resolve());
  }

  private checkPool(now: number, health: BridgeHealth, stats: BridgeStats): void {
    if (!health.ok) {
      this.downSince ??= now;
      const downMs = now - this.downSince;
      if (downMs <= this.o.poolDownSeconds * 1000) return;
      this.lasting("pool_down", true, now, () => ({
        severity: "critical",
        message: `no pool is serving work for ${Math.round(downMs / 1000)} s: ${scrub(health.reason)}`,
        details: {
          state: "down",
          since: this.downSince,
          downSeconds: Math.round(downMs / 1000),
          reason: scrub(health.reason),
          upstreams: upstreams(stats),
          sessions: totalSessions(stats),
        },
      }));
      return;
    }
    if (this.downSince === null) return;
    const since = this.downSince;
    this.downSince = null;
    if (!this.lasting("pool_down", false, now)) return;
    // The end of an announced outage: never held back by the rate limit.
    const downSeconds = Math.round((now - since) / 1000);
    this.raise("pool_down", "info", now, `pool serving work again after ${downSeconds} s`, {
      state: "recovered",
      since,
      downSeconds,
      upstreams: upstreams(stats),
    });
  }

  private checkNoShares(now: number, stats: BridgeStats): void {
    // Shares seen through stats too, so no_shares works without the event tee.
    const accepted = stats.shares.accepted;
    if (this.statsAccepted !== null && accepted !== this.statsAccepted) this.lastAccepted = now;
    this.statsAccepted = accepted;
    const sessions = totalSessions(stats);
    if (sessions === 0) {
      this.minersSince = null;
      this.lasting("no_shares", false, now);
      return;
    }
    this.minersSince ??= now;
    const quietSince = Math.max(this.minersSince, this.lastAccepted ?? -Infinity);
    const quietMs = now - quietSince;
    const active = quietMs >= this.o.noSharesMinutes * 60_000;
    this.lasting("no_shares", active, now, () => ({
      severity: "warning",
      message: `${sessions} miner${sessions === 1 ? "" : "s"} connected, no accepted share for ${Math.round(quietMs / 60_000)} min`,
      details: {
        sessions,
        byTransport: { ...stats.sessions },
        quietSeconds: Math.round(quietMs / 1000),
        lastShareAt: this.lastAccepted,
      },
    }));
  }

  private checkRejects(now: number): void {
    const s = this.window.sum(now);
    const total = s.accepted + s.rejected;
    const percent = total === 0 ? 0 : (s.rejected / total) * 100;
    const active = total >= MIN_SHARES && percent > this.o.rejectPercent;
    this.lasting("reject_rate", active, now, () => ({
      severity: "warning",
      message: `${percent.toFixed(1)} % of shares rejected in the last ${this.o.rejectWindowSeconds} s (${s.rejected} of ${total})`,
      details: {
        percent: Math.round(percent * 10) / 10,
        threshold: this.o.rejectPercent,
        windowSeconds: this.o.rejectWindowSeconds,
        accepted: s.accepted,
        rejected: s.rejected,
        stale: s.stale,
        byCode: s.byCode,
      },
    }));
  }

  /**
   * A lasting condition's state. Active: alert once per episode (if the rate limit holds it back,
   * count it once and try again on later checks). Inactive: end the episode; returns whether it
   * had been announced.
   */
  private lasting(
    kind: AlertKind,
    active: boolean,
    now: number,
    make?: () => { severity: Severity; message: string; details: Record<string, unknown> },
  ): boolean {
    const ep = this.episodes.get(kind) ?? { announced: false, heldBack: false };
    this.episodes.set(kind, ep);
    if (!active) {
      const was = ep.announced;
      ep.announced = ep.heldBack = false;
      return was;
    }
    if (ep.announced || make === undefined) return true;
    if (!this.allowed(kind, now)) {
      if (!ep.heldBack) this.suppressed++;
      ep.heldBack = true;
      return false;
    }
    const a = make();
    ep.announced = true;
    this.lastAt.set(kind, now);
    this.raise(kind, a.severity, now, a.message, a.details);
    return true;
  }

  /** An event-driven alert, subject to the rate limit. */
  private limited(
    kind: AlertKind,
    severity: Severity,
    at: number,
    message: string,
    details: Record<string, unknown>,
  ): void {
    const now = this.clock();
    if (!this.allowed(kind, now)) {
      this.suppressed++;
      return;
    }
    this.lastAt.set(kind, now);
    this.raise(kind, severity, at, message, details);
  }

  private allowed(kind: AlertKind, now: number): boolean {
    const last = this.lastAt.get(kind);
    return last === undefined || now - last >= this.o.minIntervalSeconds * 1000;
  }

  private raise(
    kind: AlertKind,
    severity: Severity,
    at: number,
    message: string,
    details: Record<string, unknown>,
  ): void {
    const line = message.replace(/[\r\n\t]+/g, " ").slice(0, MESSAGE_MAX);
    const alert: Alert = { alert: kind, severity, message: line, bridge: this.o.bridge, at, details };
    this.recentAlerts.push(alert);
    if (this.recentAlerts.length > RECENT) this.recentAlerts.shift();
    this.raised++;
    this.byKind[kind]++;
    const log = severity === "info" ? this.o.log.info : this.o.log.warn;
    log.call(this.o.log, `alert ${kind}: ${line}`, { severity });
    this.webhook?.send(alert);
  }
}

function upstreams(stats: BridgeStats): { url: string; state: string }[] {
  return stats.upstreams.map((u) => ({ url: scrub(u.url), state: u.state }));
}

function totalSessions(stats: BridgeStats): number {
  let n = 0;
  for (const v of Object.values(stats.sessions)) n += v;
  return n;
}
