// index.ts — the downstream layer's entry point: the HTTP/WebSocket server (Bun.serve) and, when
// stratumPort > 0, the Stratum TCP server (Bun.listen), both onto one BridgeCore, with the
// shared connection caps and one sweep timer for every connection's handshake and idle deadlines.

import type { Server } from "bun";
import type { BridgeCore } from "../bridge/contract.ts";
import type { Logger } from "../util/log.ts";
import { DownstreamError } from "./errors.ts";
import { ConnectionGate } from "./gate.ts";
import { messageRateFor, type GuardLimits } from "../net/guard.ts";
import { route } from "./http.ts";
import { DownstreamCounters, type DownstreamSnapshot } from "./metrics.ts";
import { StratumServer } from "./stratum-server.ts";
import { PAGE_HTML } from "./web-assets.ts";
import { WsServer, type WsData } from "./ws-server.ts";

export { DownstreamError, type CloseReason, type DownstreamErrorCode } from "./errors.ts";
export type { DownstreamSnapshot } from "./metrics.ts";

/** A seed share echoes its whole work object (≈ 6 KB of JSON): JSON messages may be this large. */
export const JSON_FRAME_BYTES = 16 * 1024;

/** The servers' settings (the composition root in src/cli/ maps [bridge] of the configuration). */
export interface DownstreamOptions {
  host: string;
  /** HTTP/WebSocket port (0: any free port). */
  port: number;
  /** Stratum TCP port; 0: off. */
  stratumPort: number;
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
  maxSharesPerSecond: number;
  /** Serve /stats and /metrics beyond loopback. */
  statsPublic: boolean;
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
}

export interface Downstream {
  /** The HTTP/WebSocket port (the real one when 0 was asked). */
  readonly port: number;
  /** The Stratum port, or null when the Stratum server is off. */
  readonly stratumPort: number | null;
  stats(): DownstreamSnapshot;
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
  const ws = new WsServer(
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
    gate,
    // Bun's own caps sit just above ours, so ours (with coded reasons) act first.
    {
      origins: options.origins,
      token: options.token,
      maxPayloadBytes: jsonFrameBytes,
      backpressureLimit: 2 * maxBufferedBytes,
    },
  );
  let http: Server<WsData>;
  try {
    http = Bun.serve<WsData>({
      hostname: options.host,
      port: options.port,
      fetch: (req, server) =>
        route(req, server, { core, ws, counters, statsPublic: options.statsPublic, page: PAGE_HTML }),
      websocket: ws.handlers(),
    });
  } catch (e) {
    throw new DownstreamError(
      "E_DOWNSTREAM_LISTEN",
      `cannot listen on ${options.host}:${options.port}: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    );
  }
  let stratum: StratumServer | null = null;
  if (options.stratumPort > 0 || tuning.stratumEphemeral === true) {
    try {
      stratum = new StratumServer(
        options.host,
        options.stratumPort,
        {
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
          random: Math.random,
        },
        gate,
      );
    } catch (e) {
      void http.stop(true);
      throw e;
    }
  }
  const port = http.port ?? options.port;
  log.info(
    `miners: http://${options.host}:${port}/ (WebSocket /ws)${stratum === null ? "" : `, Stratum stratum+tcp://${options.host}:${stratum.port}`}`,
  );
  const sweep = setInterval(() => {
    const t = now();
    ws.tick(t);
    stratum?.tick(t);
  }, tuning.sweepMs ?? 1000);
  let stopped: Promise<void> | null = null;
  return {
    port,
    stratumPort: stratum?.port ?? null,
    stats: () => counters.snapshot(),
    stop() {
      stopped ??= (async () => {
        clearInterval(sweep);
        ws.stop();
        stratum?.stop();
        await http.stop(true);
      })();
      return stopped;
    },
  };
}
