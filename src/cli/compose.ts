/**
 * The composition root: builds vbridge's objects from the configuration and wires them together.
 * The layers below take options of their own and never read the Config; this file maps one onto
 * the other, once: the pool client's settings (for the bridge and the miner alike), the built-in
 * pool in this process for "builtin" in upstream.pools, the bridge core, the downstream servers.
 */
import { hostname } from "node:os";
import { Bridge, type BridgeCoreOptions } from "../bridge/index.ts";
import { BUILTIN_POOL, type Config } from "../config/index.ts";
import type { DownstreamOptions, TlsPair } from "../downstream/index.ts";
import { DaemonJobSource } from "../daemon/source.ts";
import { DaemonRpc, readDaemonConf } from "../daemon/index.ts";
import { Alerts } from "../alerts/index.ts";
import type { EventSink } from "../bridge/contract.ts";
import { EventStream } from "../events/index.ts";
import { PoolServer, type PoolOptions } from "../pool/index.ts";
import type { PoolClientOptions } from "../upstream/index.ts";
import { silentLogger, type Logger } from "../util/log.ts";

/**
 * The built-in pool in this process when upstream.pools has "builtin" (the shipped config mines
 * offline), else null. It listens on an ephemeral loopback port (never exposed) with the
 * [builtin_pool] settings, and the pool client connects to it like to any pool. The caller stops it.
 */
export function startInProcessPool(
  config: Readonly<Config>,
  log: Logger,
  overrides: Partial<PoolOptions> = {},
): PoolServer | null {
  if (!config.upstream.pools.includes(BUILTIN_POOL)) return null;
  const p = config.builtin_pool;
  const daemon =
    overrides.daemon === undefined ? openDaemon(config, inProcessPoolLog(log)) : overrides.daemon;
  return PoolServer.start({
    daemon,
    host: "127.0.0.1",
    port: 0,
    difficulty: p.difficulty,
    vardiff: p.vardiff ? {} : null,
    jobIntervalSeconds: p.job_interval,
    blockIntervalSeconds: p.block_interval,
    impl: config.impl,
    summaryIntervalSeconds: null,
    log: inProcessPoolLog(log),
    ...overrides,
  });
}

/**
 * [builtin_pool] daemon settings → the job source on the operator's verusd, or null (synthetic
 * jobs). Throws E_DAEMON_URL / E_DAEMON_CONF (exit 2). It starts talking to the daemon at once; the
 * caller awaits `ready` for the fatal errors (401, no mining address) and stops it after the pool.
 */
export function openDaemon(config: Readonly<Config>, log: Logger): DaemonJobSource | null {
  const p = config.builtin_pool;
  if (p.daemon === "" && p.daemon_conf === "") return null;
  // Empty keys: the credentials in the URL (user:password@), if any.
  const where =
    p.daemon_conf !== ""
      ? readDaemonConf(p.daemon_conf)
      : {
          url: p.daemon,
          ...(p.daemon_user === "" ? {} : { user: p.daemon_user }),
          ...(p.daemon_pass === "" ? {} : { pass: p.daemon_pass }),
        };
  const rpc = new DaemonRpc(where);
  return new DaemonJobSource({ rpc, pollIntervalMs: p.daemon_poll_interval * 1000, log });
}

/**
 * Its start line and blocks at info, its daemon's trouble at warn; the rest under debug: the
 * bridge's or the miner's own lines cover it.
 */
function inProcessPoolLog(log: Logger): Logger {
  const note = (m: string, f?: Record<string, unknown>) => log.debug(`builtin pool: ${m}`, f);
  const loud = (m: string) => /^(BLOCK|block|daemon|no work)/.test(m);
  return {
    debug: note,
    info: (m, f) =>
      m.startsWith("pool listening")
        ? log.info(`builtin ${m}`, f)
        : loud(m)
          ? log.info(`builtin pool: ${m}`, f)
          : note(m, f),
    warn: (m, f) => (loud(m) ? log.warn(`builtin pool: ${m}`, f) : note(m, f)),
    error: (m, f) => log.error(`builtin pool: ${m}`, f),
  };
}

/** What [upstream] sets of the pool client's options (the rest keep their defaults). */
type PoolSettings = Required<
  Pick<
    PoolClientOptions,
    "user" | "password" | "tls" | "returnToPrimary" | "urgentBackoff" | "noJobTimeoutMs"
  >
> & {
  pools: string[];
};

/**
 * [upstream] → the pool client's settings, "builtin" replaced by the in-process pool's URL.
 * `defaultUser` stands in for an empty upstream.user, which only the built-in pool accepts (the
 * config layer refuses an empty user for a real pool); it takes any name.
 */
export function poolClientOptions(
  config: Readonly<Config>,
  builtin: PoolServer | null,
  defaultUser: string,
): PoolSettings {
  const u = config.upstream;
  return {
    pools: u.pools.map((p) =>
      p === BUILTIN_POOL && builtin !== null ? `stratum+tcp://127.0.0.1:${builtin.port}` : p,
    ),
    user: u.user.trim() === "" ? defaultUser : u.user,
    password: u.pass,
    tls: {
      ...(u.tls_ca_file === "" ? {} : { caFile: u.tls_ca_file }),
      ...(u.tls_fingerprint === "" ? {} : { fingerprint: u.tls_fingerprint }),
    },
    returnToPrimary: u.return_to_primary,
    urgentBackoff: { maxMs: u.reconnect_max_delay * 1000 },
    noJobTimeoutMs: u.job_timeout * 1000,
  };
}

/**
 * [bridge] and the pool client's settings → the bridge core's options. `maxConnections`: the cap
 * that fits the fd limit (net/fd-limit.ts), when the caller has worked it out.
 */
export function bridgeCoreOptions(
  config: Readonly<Config>,
  client: PoolClientOptions,
  maxConnections = config.bridge.max_connections,
): BridgeCoreOptions {
  const b = config.bridge;
  return {
    client,
    impl: config.impl,
    ledgerPath: b.ledger,
    ledger: { maxQueued: b.ledger_queue, retentionDays: b.ledger_retention_days },
    fleetId: fleetId(b),
    leaseBytes: b.lease_bytes,
    difficulty: {
      ws: { start: b.ws_difficulty, shareSeconds: b.ws_share_interval },
      stratum: { start: b.tcp_difficulty, shareSeconds: b.tcp_share_interval },
      min: b.min_difficulty,
      max: b.max_difficulty,
    },
    maxSharesPerSecond: b.max_shares_per_second,
    maxConnections,
  };
}

/**
 * This process in the fleet view: bridge.name (or the host name) and the HTTP port, so two bridges
 * on one box differ; a worker process (src/cluster) adds its index.
 */
export function fleetId(b: Readonly<Config["bridge"]>): string {
  const worker = process.env.VBRIDGE_WORKER;
  return `${b.name.trim() || hostname()}:${b.port}${worker === undefined ? "" : `/w${worker}`}`;
}

/** The event stream of [events], or null when events.redis is empty. Throws E_EVENTS_* on a bad URL. */
export function openEvents(config: Readonly<Config>, source: string, log: Logger): EventStream | null {
  const e = config.events;
  if (e.redis.trim() === "") return null;
  return EventStream.open({
    url: e.redis,
    stream: e.stream,
    maxLen: e.max_len,
    buffer: e.buffer,
    log,
    source,
  });
}

/**
 * [alerts] → Alerts, always built (with no webhook they are kept for /api/v1 and the dashboard).
 * With worker processes only worker 0 posts them: every worker watches only its own pool session(s),
 * and N copies of one outage would be noise.
 */
export function openAlerts(config: Readonly<Config>, bridge: string, log: Logger): Alerts {
  const a = config.alerts;
  const worker = process.env.VBRIDGE_WORKER;
  return Alerts.open({
    webhook: worker === undefined || worker === "0" ? a.webhook : "",
    bridge,
    poolDownSeconds: a.pool_down_seconds,
    rejectPercent: a.reject_percent,
    rejectWindowSeconds: a.reject_window_seconds,
    noSharesMinutes: a.no_shares_minutes,
    minIntervalSeconds: a.min_interval_seconds,
    blockFound: a.block_found,
    log,
  });
}

/** [bridge] → the downstream servers' options, with the certificate read from tls_cert/tls_key. */
export function downstreamOptions(
  b: Readonly<Config["bridge"]>,
  tls: TlsPair | null = null,
  maxConnections = b.max_connections,
): DownstreamOptions {
  return {
    host: b.host,
    port: b.port,
    stratumPort: b.stratum_port,
    stratumTlsPort: b.stratum_tls_port,
    tls,
    trustedProxies: b.trusted_proxies,
    proxyProtocol: b.proxy_protocol,
    publicHost: b.public_host,
    keepAliveSeconds: b.keepalive_timeout,
    origins: b.origins,
    token: b.token,
    maxConnections,
    maxConnectionsPerIp: b.max_connections_per_ip,
    maxFrameBytes: b.max_frame_bytes,
    maxLineBytes: b.max_line_bytes,
    handshakeTimeoutSeconds: b.handshake_timeout,
    idleTimeoutSeconds: b.idle_timeout,
    maxSharesPerSecond: b.max_shares_per_second,
    statsPublic: b.stats_public,
    adminToken: b.admin_token,
  };
}

export interface BridgeStackOptions extends Pick<BridgeCoreOptions, "log" | "clock" | "tuning"> {
  /** The session cap that fits the fd limit (default: bridge.max_connections). */
  maxConnections?: number;
  /** Overrides for every PoolClient (tests: backoff, timeouts). */
  client?: Partial<PoolClientOptions>;
  /** Overrides for the in-process pool when upstream.pools has "builtin" (tests: seed, difficulty). */
  builtinPool?: Partial<PoolOptions>;
}

/** The bridge core and, for "builtin", the pool it mines on (tests drive that pool's jobs). */
export interface BridgeStack {
  readonly bridge: Bridge;
  readonly builtinPool: PoolServer | null;
  /** The Redis event stream when [events] redis is set. */
  readonly events: EventStream | null;
  /** The alerts ([alerts]); with no webhook they are still kept for the API and the dashboard. */
  readonly alerts: Alerts;
  /** The core first (it drains forwarded shares into the pool), then the pool. Idempotent. */
  stop(): Promise<void>;
}

/** Starts the in-process pool if configured, then the core; undoes the pool if the core fails. */
export function startBridgeStack(config: Readonly<Config>, o: BridgeStackOptions = {}): BridgeStack {
  const log = o.log ?? silentLogger;
  const builtinPool = startInProcessPool(config, log, o.builtinPool);
  let bridge: Bridge;
  let events: EventStream | null = null;
  let alerts: Alerts | null = null;
  try {
    const fleet = fleetId(config.bridge);
    events = openEvents(config, fleet, log);
    alerts = openAlerts(config, fleet, log);
    const stream = events;
    const watcher = alerts;
    // The core's events go to the Redis stream (if any) and to the alerts.
    const sink: EventSink = {
      publish(e) {
        stream?.publish(e);
        watcher.publish(e);
      },
      ...(stream === null ? {} : { counters: () => stream.counters() }),
    };
    // The built-in pool takes any name; "vbridge" is the bridge's when upstream.user is empty.
    const client = { ...poolClientOptions(config, builtinPool, "vbridge"), ...o.client };
    bridge = Bridge.start({
      ...bridgeCoreOptions(config, client, o.maxConnections),
      events: sink,
      log,
      clock: o.clock,
      tuning: o.tuning,
    });
    alerts.watch(bridge);
  } catch (e) {
    void events?.close();
    void alerts?.close();
    builtinPool?.stop();
    throw e;
  }
  const watcher = alerts;
  let stopped: Promise<void> | null = null;
  return {
    bridge,
    builtinPool,
    events,
    alerts: watcher,
    stop() {
      // Alerts first: a stopping core says "not healthy", which is no pool outage.
      stopped ??= watcher
        .close()
        .then(() => bridge.stop())
        .then(() => events?.close())
        .then(() => void builtinPool?.stop());
      return stopped;
    },
  };
}
