// index.ts — the downstream layer's entry point: the HTTP/WebSocket server (http-server.ts; TLS
// with a certificate) and, when asked, the Stratum ports (plain and TLS), all onto one BridgeCore,
// with the shared connection caps (every accepted socket counts), who is a trusted proxy, and one
// sweep timer for every socket's deadlines. With worker processes (bridge.workers > 1) every
// worker binds the same ports (SO_REUSEPORT) and /stats, /metrics, /health show the whole box.

import { Api, type AlertFeed } from "./api/routes.ts";
import type { BridgeCore } from "../bridge/contract.ts";
import { AddressSet } from "../net/addresses.ts";
import { messageRateFor, type GuardLimits } from "../net/guard.ts";
import type { TlsPair } from "../net/listener.ts";
import type { Logger } from "../util/log.ts";
import type { DoorPolicy, ProxyProtocolMode } from "./doorway.ts";
import { DownstreamError } from "./errors.ts";
import { ConnectionGate } from "./gate.ts";
import { HttpServer } from "./http-server.ts";
import type { BoxView } from "./http.ts";
import { DownstreamCounters, type DownstreamSnapshot, type SocketCounts } from "./metrics.ts";
import { StratumServer, type StratumPort } from "./stratum-server.ts";
import { PAGE_HTML } from "./web-assets.ts";

export { DownstreamError, type CloseReason, type DownstreamErrorCode } from "./errors.ts";
export type {
  BoxNumbers,
  DownstreamSnapshot,
  ProcessNumbers,
  SocketCounts,
  WorkerSummary,
} from "./metrics.ts";
export type { BoxView } from "./http.ts";
export type { ProxyProtocolMode } from "./doorway.ts";
export type { TlsPair } from "../net/listener.ts";

/** A seed share echoes its whole work object (≈ 6 KB of JSON): JSON messages may be this large. */
export const JSON_FRAME_BYTES = 16 * 1024;

/** The servers' settings (the composition root in src/cli/ maps [bridge] of the configuration). */
export interface DownstreamOptions {
  host: string;
  /** HTTP/WebSocket port (0: any free port). */
  port: number;
  /** Stratum TCP port; 0: off. */
  stratumPort: number;
  /** Stratum over TLS (stratum+ssl://) port; 0: off. Needs `tls`. */
  stratumTlsPort: number;
  /** The certificate: the HTTP port serves https/wss and stratumTlsPort opens; null: plain. */
  tls: TlsPair | null;
  /** Peers whose forwarding headers and PROXY headers name the real client (addresses, CIDRs). */
  trustedProxies: readonly string[];
  /** PROXY protocol from trusted peers on the plain ports. */
  proxyProtocol: ProxyProtocolMode;
  /**
   * The host name miners reach this bridge by, for client.reconnect (behind a proxy or NAT the
   * socket's own address is not one they can reach); "": the address the miner connected to.
   */
  publicHost: string;
  /** WebSocket Origin allowlist (empty: same origin only; "*": any). */
  origins: readonly string[];
  /** Access token miners must present; "": none. */
  token: string;
  maxConnections: number;
  maxConnectionsPerIp: number;
  maxFrameBytes: number;
  maxLineBytes: number;
  handshakeTimeoutSeconds: number;
  idleTimeoutSeconds: number;
  /** An idle keep-alive HTTP connection is closed after this long. */
  keepAliveSeconds: number;
  maxSharesPerSecond: number;
  /** Serve /stats and /metrics beyond loopback. */
  statsPublic: boolean;
  /**
   * bridge.admin_token: the operator API (/api/v1/*) answers non-loopback clients that give it
   * (Authorization: Bearer, or ?token=); "" or absent: loopback clients only.
   */
  adminToken?: string;
  /** Recent alerts for /api/v1/summary (src/alerts' recent()); absent: none. */
  alerts?: AlertFeed | null;
  /**
   * Bind with SO_REUSEPORT: sibling worker processes share every port (the kernel spreads the
   * connections). Their supervisor has checked that no other program holds the ports.
   */
  reusePort?: boolean;
  /** The other worker processes' numbers for /stats, /metrics, /health; absent: this process alone. */
  box?: BoxView | null;
}

/** Knobs the configuration does not expose (tests and benchmarks). */
export interface DownstreamTuning {
  /** Wait for a first frame before taking a client for a seed JSON miner. Default 1000 ms. */
  detectMs?: number;
  /** Period of the deadline sweep. Default 1000 ms. */
  sweepMs?: number;
  /** Bytes waiting to be read by a client before it is cut off as a slow reader. Default 256 KiB. */
  maxBufferedBytes?: number;
  /** Worker name of WebSocket clients that give none. Default "anonymous". */
  defaultWorker?: string;
  /**
   * Stratum miners without mining.extranonce.subscribe, on a new lease: client.reconnect to this
   * bridge with a wait of 0..this many whole seconds at random (spread), closed after it. Default 5.
   */
  reconnectSpreadSeconds?: number;
  /** Milliseconds after that wait before such a miner is closed (E_RELEASED). Default 1000. */
  releaseGraceMs?: number;
  /**
   * Where client.reconnect sends them when the address a miner reached is not one it can reach
   * again (NAT, a container's port mapping). Default: the socket's local address and the Stratum
   * listener's port.
   */
  reconnectTo?: { host: string; port: number };
  /** Listen for Stratum on an ephemeral port even though stratumPort is 0 (0 means off). */
  stratumEphemeral?: boolean;
  /** Milliseconds. Default Date.now. */
  now?: () => number;
  /** Open /api/v1/live streams at most. Default 32. */
  liveMax?: number;
}

export interface Downstream {
  /** The HTTP/WebSocket port (the real one when 0 was asked). */
  readonly port: number;
  /** The Stratum port, or null when the Stratum server is off. */
  readonly stratumPort: number | null;
  /** The Stratum TLS port, or null. */
  readonly stratumTlsPort: number | null;
  stats(): DownstreamSnapshot;
  /** Sockets held now, and the cap (every state: idle, HTTP, WebSocket, Stratum). */
  sockets(): SocketCounts;
  /** A new certificate for new TLS connections (open ones keep theirs). Throws if a port cannot rebind. */
  setCertificate(tls: TlsPair): void;
  /** Closes every miner connection (E_BRIDGE_CLOSING) and both listeners. Idempotent. */
  stop(): Promise<void>;
}

/** Starts the servers; throws E_DOWNSTREAM_LISTEN when a port cannot be opened. */
export function startDownstream(
  core: BridgeCore,
  options: DownstreamOptions,
  log: Logger,
  tuning: DownstreamTuning = {},
): Downstream {
  const now = tuning.now ?? Date.now;
  const counters = new DownstreamCounters();
  const gate = new ConnectionGate(options.maxConnections, options.maxConnectionsPerIp);
  const limits: GuardLimits = {
    handshakeMs: options.handshakeTimeoutSeconds * 1000,
    idleMs: options.idleTimeoutSeconds * 1000,
    messageRate: messageRateFor(options.maxSharesPerSecond),
  };
  const maxBufferedBytes = tuning.maxBufferedBytes ?? 256 * 1024;
  const jsonFrameBytes = Math.max(options.maxFrameBytes, JSON_FRAME_BYTES);
  if (options.stratumTlsPort > 0 && options.tls === null)
    throw new DownstreamError("E_DOWNSTREAM_OPTIONS", "a Stratum TLS port needs a certificate");
  let trusted: AddressSet;
  try {
    trusted = new AddressSet(options.trustedProxies);
  } catch (e) {
    throw new DownstreamError("E_DOWNSTREAM_OPTIONS", e instanceof Error ? e.message : String(e), {
      cause: e,
    });
  }
  const policy: DoorPolicy = {
    trusted,
    proxyProtocol: options.proxyProtocol,
    headerMs: options.handshakeTimeoutSeconds * 1000,
  };
  const sockets = () => gate.counts();
  // SO_REUSEPORT for the HTTP and Stratum listeners (HttpServerOptions / StratumServerContext
  // `reusePort`, passed to net/listener.ts ListenSpec).
  const share = { reusePort: options.reusePort === true };
  const api = new Api(core, {
    adminToken: options.adminToken ?? "",
    alerts: options.alerts ?? null,
    log,
    now,
    liveMax: tuning.liveMax,
  });
  const http = new HttpServer(
    {
      ...share,
      host: options.host,
      port: options.port,
      tls: options.tls,
      headerMs: options.handshakeTimeoutSeconds * 1000,
      keepAliveMs: options.keepAliveSeconds * 1000,
      maxOutboundBytes: maxBufferedBytes,
      upgrade: { origins: options.origins, token: options.token },
    },
    {
      core,
      counters,
      log,
      now,
      limits,
      maxFrameBytes: options.maxFrameBytes,
      jsonFrameBytes,
      maxBufferedBytes,
      detectMs: tuning.detectMs ?? 1000,
      defaultWorker: tuning.defaultWorker ?? "anonymous",
    },
    {
      core,
      counters,
      statsPublic: options.statsPublic,
      page: PAGE_HTML,
      sockets,
      box: options.box ?? null,
      api,
    },
    gate,
    policy,
  );
  const stratumPorts: StratumPort[] = [];
  if (options.stratumPort > 0 || tuning.stratumEphemeral === true)
    stratumPorts.push({ port: options.stratumPort, tls: null });
  if (options.stratumTlsPort > 0) stratumPorts.push({ port: options.stratumTlsPort, tls: options.tls });
  let stratum: StratumServer | null = null;
  if (stratumPorts.length > 0) {
    try {
      stratum = new StratumServer(
        options.host,
        stratumPorts,
        {
          ...share,
          core,
          token: options.token,
          log,
          counters,
          now,
          limits,
          maxLineBytes: options.maxLineBytes,
          maxOutboundBytes: maxBufferedBytes,
          reconnectSpreadSeconds: tuning.reconnectSpreadSeconds ?? 5,
          releaseGraceMs: tuning.releaseGraceMs ?? 1000,
          reconnectTo: tuning.reconnectTo ?? null,
          publicHost: options.publicHost === "" ? null : options.publicHost,
          random: Math.random,
        },
        gate,
        policy,
      );
    } catch (e) {
      api.live.stop();
      void http.stop();
      throw e;
    }
  }
  const port = http.port;
  const scheme = options.tls === null ? "http" : "https";
  const ports = [
    `${scheme}://${options.host}:${port}/ (WebSocket /ws)`,
    stratum?.port == null ? null : `stratum+tcp://${options.host}:${stratum.port}`,
    stratum?.tlsPort == null ? null : `stratum+ssl://${options.host}:${stratum.tlsPort}`,
  ].filter((p) => p !== null);
  log.info(`miners: ${ports.join(", ")}; at most ${gate.maxTotal} connections, ${gate.maxPerIp} per address`);
  const sweep = setInterval(() => {
    const t = now();
    http.tick(t);
    stratum?.tick(t);
  }, tuning.sweepMs ?? 1000);
  let stopped: Promise<void> | null = null;
  return {
    port,
    stratumPort: stratum?.port ?? null,
    stratumTlsPort: stratum?.tlsPort ?? null,
    stats: () => counters.snapshot(),
    sockets,
    setCertificate(tls) {
      if (http.tls) http.setCertificate(tls);
      stratum?.setCertificate(tls);
    },
    stop() {
      stopped ??= (async () => {
        clearInterval(sweep);
        api.live.stop(); // every event stream ends (its connection closes once written)
        await Promise.all([http.stop(), stratum?.stop()]);
      })();
      return stopped;
    },
  };
}
