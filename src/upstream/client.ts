// client.ts — PoolClient: keeps one live Stratum session to the best available pool.
//
// It wires the pieces and owns the timers: transport.ts (bytes), LineDecoder (lines, capped),
// session.ts (the protocol, sans-IO), reconnect-policy.ts (backoff, failover) and probe.ts
// (is the primary back?). Every connection is a fresh session with a fresh epoch; when one ends,
// its work is invalidated (`invalidate`), its pending shares are reported (`result`: lost or
// stale, never silently forgotten) and the next attempt is scheduled (`state: waiting`).
// The caller sees only UpstreamEvents and calls submit(); it never touches a socket.
//
// Issue 10: while miners are attached (setUrgent) the retries follow the fast policy and a
// handshake must produce work within urgentWorkTimeoutMs; a pool that cannot be used (abandon(),
// a protocol error, a refused user, no job) is left for the next one at once, and a primary found
// unusable is not returned to at the next probe.

import { isProtocolError, LineDecoder } from "../protocol/index.ts";
import { poolProtocolError, UNUSABLE_CODES, UpstreamError, type UpstreamErrorCode } from "./errors.ts";
import type { SubmitFate, UpstreamListener, UpstreamShare } from "./events.ts";
import {
  resolveOptions,
  sessionOptions,
  watchOptions,
  type PoolClientOptions,
  type PoolSlot,
  type ResolvedOptions,
} from "./options.ts";
import { PrimaryWatch } from "./probe.ts";
import { backoffDelay, PoolRotation, retryPolicy } from "./reconnect-policy.ts";
import { StratumSession, type SessionEvent } from "./session.ts";
import type { Transport } from "./transport.ts";
import { isValidHost, redirectEndpoint, type PoolEndpoint } from "./url.ts";

/** Probe intervals to stay away from a primary that was found unusable (5 min by default). */
const PRIMARY_HOLD_PROBES = 5;

interface Connection<T> {
  readonly slot: PoolSlot;
  readonly endpoint: PoolEndpoint;
  readonly session: StratumSession<T>;
  readonly decoder: LineDecoder;
  transport: Transport | null;
  authorizedAt: number | null;
  /** A job came on this connection: the pool is usable. */
  hadJob: boolean;
  /** Set when leaving a backup for the primary: close as soon as no submit is in flight. */
  switching: boolean;
}

export class PoolClient<T = unknown> {
  readonly #o: ResolvedOptions;
  readonly #listener: UpstreamListener<T>;
  readonly #rotation: PoolRotation;
  /** Subscription ids per pool index: offered as session id on the next connect (ccminer does). */
  readonly #subscriptionIds = new Map<number, string>();
  #conn: Connection<T> | null = null;
  #started = false;
  #urgent = false;
  /** abandon() was called: the connection's end moves on to the next pool at once. */
  #abandoned = false;
  #closing = false;
  #closed: Promise<void> | null = null;
  #resolveClosed: (() => void) | null = null;
  #failures = 0;
  /** Pools found unusable in a row (no usable session between): a whole round of them backs off. */
  #unusable = 0;
  /** The code that ended the last connection, and when the scheduled retry is due (setUrgent). */
  #lastCode: UpstreamErrorCode | null = null;
  #retryDueAt = 0;
  /** When the primary was last found unusable: the way back to it is held for a while. */
  #primaryUnusableAt: number | null = null;
  #retryReason: "backoff" | "redirect" | "failover" | "primary" = "backoff";
  #attempt = 0;
  #epoch = 0;
  #redirect: PoolEndpoint | null = null;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  #deadlineTimer: ReturnType<typeof setTimeout> | null = null;
  /** Null when returnToPrimary is off or there is no backup. */
  readonly #watch: PrimaryWatch | null;

  /** Throws E_POOL_URL / E_POOL_CONFIG / E_TLS_* for bad options; connects on start(). */
  constructor(options: PoolClientOptions, listener: UpstreamListener<T>) {
    this.#o = resolveOptions(options);
    this.#listener = listener;
    this.#rotation = new PoolRotation(this.#o.pools.length, this.#o.failoverAfter);
    this.#watch =
      this.#o.returnToPrimary && this.#o.pools.length > 1 ? new PrimaryWatch(watchOptions(this.#o)) : null;
  }

  /** The canonical URL of the pool in use (or being connected to). */
  get pool(): string {
    return (this.#conn?.endpoint ?? this.#o.pools[this.#rotation.current]!.endpoint).url;
  }
  get poolIndex(): number {
    return this.#rotation.current;
  }
  /** The epoch of the live session's extranonce1, or null between connections. */
  get epoch(): number | null {
    return this.#conn?.session.epoch ?? null;
  }
  get extranonce1(): string | null {
    return this.#conn?.session.extranonce1 ?? null;
  }
  get authorized(): boolean {
    return this.#conn?.session.phase === "authorized";
  }

  start(): void {
    if (this.#started) throw new RangeError("PoolClient already started");
    this.#started = true;
    this.#connect();
  }

  /** Forward a share; its one `result` event carries `token`. Never throws for pool reasons. */
  submit(share: UpstreamShare, token: T): void {
    const conn = this.#conn;
    const report = (outcome: SubmitFate) =>
      this.#listener({ type: "result", token, jobId: share.jobId, pool: this.pool, outcome });
    if (this.#closing) return report({ status: "dropped", reason: "closed" });
    // Between connections every epoch is dead: the work was built on an extranonce1 that is gone.
    if (conn === null || conn.session.phase === "closed")
      return report({ status: "stale", reason: "old-epoch" });
    conn.session.submit(share, token, this.#o.now());
    this.#scheduleDeadline();
  }

  /**
   * Miners are attached (true) or not: while they are, a lost pool is retried fast (they are
   * hashing on dead work); without them the long backoff is fine.
   */
  setUrgent(urgent: boolean): void {
    if (urgent === this.#urgent) return;
    this.#urgent = urgent;
    if (!urgent || this.#closing) return;
    // Miners just arrived during a handshake: a silent pool gets urgentWorkTimeoutMs, not 30 s.
    const conn = this.#conn;
    if (conn !== null && conn.session.phase !== "idle") {
      conn.session.hurry(this.#o.now() + this.#o.urgentWorkTimeoutMs);
      this.#scheduleDeadline();
    }
    // Miners just arrived while a long wait runs: wait no longer than the fast policy would.
    if (this.#retryTimer === null) return;
    if (this.#retryReason !== "backoff" && this.#retryReason !== "failover") return;
    const delay = this.#backoff();
    if (this.#retryDueAt - this.#o.now() <= delay) return;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#retry(delay, this.#retryReason);
  }

  /**
   * The pool in use cannot serve us (e.g. an extranonce1 too long for the caller's leases): the
   * connection is closed with `error` and the next pool of the list is tried at once.
   */
  abandon(error: UpstreamError): void {
    const conn = this.#conn;
    if (conn === null || this.#closing || conn.session.phase === "closed") return;
    this.#abandoned = true;
    // Not "authorized" a moment longer: the session ends here, the transport's close follows.
    conn.session.close(error);
    if (conn.transport !== null) conn.transport.close(error);
    else this.#onClose(conn, error);
  }

  /** Close the connection and stop reconnecting; pending shares are reported. */
  close(): Promise<void> {
    if (this.#closed !== null) return this.#closed;
    this.#closing = true;
    this.#closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    this.#clearTimers();
    this.#watch?.stop();
    if (this.#conn?.transport)
      this.#conn.transport.close(new UpstreamError("E_CLIENT_CLOSED", "the pool client was closed"));
    else this.#finishClose();
    return this.#closed;
  }

  #connect(): void {
    if (this.#closing) return;
    const index = this.#rotation.current;
    const slot = this.#o.pools[index]!;
    const endpoint = this.#redirect ?? slot.endpoint;
    this.#redirect = null;
    const o = this.#o;
    const session: StratumSession<T> = new StratumSession<T>(
      sessionOptions(o, slot, endpoint, this.#subscriptionIds.get(index) ?? null, () => ++this.#epoch),
      (e) => this.#onSession(conn, e),
      (line) => conn.transport?.write(line),
    );
    const conn: Connection<T> = {
      slot,
      endpoint,
      session,
      decoder: new LineDecoder({ maxLineBytes: o.maxLineBytes }),
      transport: null,
      authorizedAt: null,
      hadJob: false,
      switching: false,
    };
    this.#conn = conn;
    this.#attempt++;
    o.log.info("connecting to pool", { pool: endpoint.url, attempt: this.#attempt });
    this.#listener({ type: "state", state: "connecting", pool: endpoint.url, attempt: this.#attempt });
    conn.transport = o.connect(
      {
        endpoint,
        tls: slot.tls,
        connectTimeoutMs: o.connectTimeoutMs,
        maxWriteBufferBytes: o.maxWriteBufferBytes,
      },
      {
        onOpen: () => {
          this.#listener({ type: "state", state: "connected", pool: endpoint.url });
          session.start(o.now());
          if (this.#urgent) session.hurry(o.now() + o.urgentWorkTimeoutMs);
          this.#scheduleDeadline();
        },
        onData: (bytes) => this.#onData(conn, bytes),
        onClose: (reason) => this.#onClose(conn, reason),
      },
    );
  }

  #onData(conn: Connection<T>, bytes: Uint8Array): void {
    try {
      for (const line of conn.decoder.feed(bytes)) {
        conn.session.receive(line, this.#o.now());
        if (conn.session.phase === "closed") break;
      }
    } catch (e) {
      if (!isProtocolError(e)) throw e;
      conn.transport?.close(poolProtocolError(e));
    }
    if (this.#conn === conn) this.#scheduleDeadline();
  }

  #onSession(conn: Connection<T>, e: SessionEvent<T>): void {
    const pool = conn.endpoint.url;
    switch (e.type) {
      case "subscribed":
      case "extranonce":
        if (e.type === "extranonce")
          this.#listener({ type: "invalidate", epoch: e.previousEpoch, reason: "extranonce-changed" });
        else {
          if (e.subscriptionId !== null)
            this.#subscriptionIds.set(this.#o.pools.indexOf(conn.slot), e.subscriptionId);
          this.#listener({ type: "state", state: "subscribed", pool });
        }
        return this.#listener({
          type: "extranonce",
          epoch: e.epoch,
          extranonce1: e.extranonce1,
          extranonce2Size: e.extranonce2Size,
          pool,
        });
      case "authorized":
        conn.authorizedAt = this.#o.now();
        if (conn.hadJob) this.#unusable = 0;
        this.#o.log.info("authorized", { pool, user: conn.slot.user });
        this.#listener({ type: "state", state: "authorized", pool });
        if (this.#rotation.onBackup && !this.#closing) this.#watch?.start(() => this.#primaryHealthy());
        return;
      case "target":
        return this.#listener(e);
      case "job":
        conn.hadJob = true;
        if (conn.authorizedAt !== null) this.#unusable = 0;
        return this.#listener(e);
      case "warning":
        this.#o.log.warn("pool sent something unusable: ignored", {
          pool,
          code: e.error.code,
          message: e.error.message,
        });
        return this.#listener({ type: "warning", pool, error: e.error });
      case "result":
        if (e.outcome.status === "rejected")
          this.#o.log.info("share rejected", {
            pool,
            code: e.outcome.reject.code,
            reason: e.outcome.reject.message,
          });
        this.#listener({ ...e, pool });
        if (conn.switching && conn.session.idle && this.#conn === conn) this.#switchNow(conn);
        return;
      case "message":
        return this.#listener({ type: "message", pool, text: e.text });
      case "end": {
        const to = e.redirect;
        if (to !== null && to.host !== null && !isValidHost(to.host))
          this.#o.log.warn("client.reconnect to an invalid host ignored", { host: to.host.slice(0, 64) });
        else if (to !== null) this.#redirect = redirectEndpoint(conn.endpoint, to.host, to.port);
        conn.transport?.close(e.reason);
        return;
      }
    }
  }

  #onClose(conn: Connection<T>, reason: UpstreamError): void {
    if (this.#conn !== conn) return;
    const now = this.#o.now();
    const unusable = this.#abandoned || UNUSABLE_CODES.has(reason.code);
    this.#abandoned = false;
    this.#lastCode = reason.code;
    const epoch = conn.session.epoch;
    conn.session.close(reason);
    this.#conn = null;
    this.#clearDeadline();
    this.#watch?.stop();
    if (epoch !== null) this.#listener({ type: "invalidate", epoch, reason: reason.code });
    this.#o.log.warn("pool connection ended", {
      pool: conn.endpoint.url,
      code: reason.code,
      message: reason.message,
    });
    this.#listener({ type: "state", state: "disconnected", pool: conn.endpoint.url, error: reason });
    if (this.#closing) return this.#finishClose();

    const healthy =
      !unusable && conn.authorizedAt !== null && now - conn.authorizedAt >= this.#o.healthyAfterMs;
    if (healthy) this.#failures = 0;
    if (conn.switching || reason.code === "E_SWITCH_PRIMARY") return this.#retry(0, "primary");
    if (unusable) {
      if (conn.slot === this.#o.pools[0]) this.#primaryUnusableAt = now;
      // No retry of the same pool: the next one at once — unless a whole round of pools was
      // unusable, or there is only one, when the backoff applies (never a tight loop).
      this.#failures++;
      this.#unusable++;
      const moved = this.#rotation.next();
      const atOnce = moved && this.#unusable < this.#o.pools.length;
      return this.#retry(atOnce ? 0 : this.#backoff(), moved ? "failover" : "backoff");
    }
    if (reason.code === "E_POOL_RECONNECT") {
      // Not a failure: the pool chose to move us (client.reconnect). The wait it asked for, but at
      // least the backoff base, so that a pool redirecting every connection cannot spin us.
      const wait = Number((reason.detail as { waitMs?: number }).waitMs ?? 0);
      return this.#retry(Math.max(wait, this.#o.backoff.baseMs), "redirect");
    }
    if (healthy) this.#rotation.healthy();
    this.#failures++;
    const moved = this.#rotation.fail();
    // With miners waiting, a move to another pool is not held back: the backoff spares the pool
    // that failed, and the next one has not failed yet.
    this.#retry(moved && this.#urgent ? 0 : this.#backoff(), moved ? "failover" : "backoff");
  }

  /** The wait before retrying after this.#failures failures, by the policy in force. */
  #backoff(): number {
    const policy = retryPolicy(this.#o.backoff, this.#urgent ? this.#o.urgentBackoff : null, this.#lastCode);
    return backoffDelay(policy, Math.max(1, this.#failures), this.#o.random());
  }

  #retry(delayMs: number, reason: "backoff" | "redirect" | "failover" | "primary"): void {
    const pool = (this.#redirect ?? this.#o.pools[this.#rotation.current]!.endpoint).url;
    this.#retryDueAt = this.#o.now() + delayMs;
    this.#retryReason = reason;
    this.#listener({ type: "state", state: "waiting", pool, delayMs, reason });
    if (this.#closing) return; // a listener closed us
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      this.#connect();
    }, delayMs);
  }

  // ---- return to the primary -------------------------------------------------------------

  /** The watch found the primary healthy: leave the backup once no submit is in flight. */
  #primaryHealthy(): void {
    // A probe only subscribes: it cannot see why the primary was unusable (an extranonce1 too
    // long, a refused user, no jobs). Going back at every probe would move the miners off and on
    // the backup once a minute, so a primary found unusable waits PRIMARY_HOLD_PROBES intervals.
    const at = this.#primaryUnusableAt;
    if (at !== null && this.#o.now() - at < PRIMARY_HOLD_PROBES * this.#o.primaryProbeIntervalMs) {
      this.#o.log.debug("primary answers again, but was unusable recently: staying on the backup");
      return this.#watch?.start(() => this.#primaryHealthy());
    }
    this.#o.log.info("primary pool is healthy again: switching back", {
      pool: this.#o.pools[0]!.endpoint.url,
    });
    this.#rotation.toPrimary();
    const conn = this.#conn;
    if (conn === null) return; // between connections: the next attempt goes to the primary
    conn.switching = true;
    conn.session.drain();
    if (conn.session.idle) this.#switchNow(conn);
  }

  #switchNow(conn: Connection<T>): void {
    conn.transport?.close(
      new UpstreamError("E_SWITCH_PRIMARY", "leaving the backup pool: the primary is healthy again", {
        pool: conn.endpoint.url,
      }),
    );
  }

  // ---- timers and plumbing ----------------------------------------------------------------

  #scheduleDeadline(): void {
    this.#clearDeadline();
    const conn = this.#conn;
    const at = conn?.session.nextDeadline() ?? null;
    if (conn === null || at === null) return;
    this.#deadlineTimer = setTimeout(
      () => {
        this.#deadlineTimer = null;
        if (this.#conn !== conn) return;
        conn.session.tick(this.#o.now());
        if (this.#conn === conn) this.#scheduleDeadline();
      },
      Math.max(0, at - this.#o.now()),
    );
  }

  #clearDeadline(): void {
    if (this.#deadlineTimer !== null) clearTimeout(this.#deadlineTimer);
    this.#deadlineTimer = null;
  }

  #clearTimers(): void {
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#clearDeadline();
  }

  #finishClose(): void {
    this.#clearTimers();
    this.#watch?.stop();
    this.#listener({ type: "state", state: "closed", pool: null });
    this.#resolveClosed?.();
  }
}
