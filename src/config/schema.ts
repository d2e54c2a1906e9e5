/**
 * Every configuration key vbridge knows: its kind, default, environment variable and meaning.
 * config.toml at the top of the repository documents each of them (a test holds the two
 * together). Add a key here, to the Config type below, and to config.toml.
 */
import { availableParallelism } from "node:os";
import type { FieldKind, Value } from "./fields.ts";

export interface Field {
  /** Dotted path: "mode", "upstream.pools", "bridge.port". */
  key: string;
  kind: FieldKind;
  default: Value;
  /** Environment variables read for it, in order of preference (the seed's names included). */
  env?: readonly string[];
  doc: string;
}

const IMPLS = ["auto", "portable", "aesni", "armv8"] as const;
const PORT = { type: "int", min: 0, max: 65535 } as const;
const SECONDS = { type: "number", min: 0, max: 86_400, exclusiveMin: true } as const;

/** The upstream list's stand-in for the built-in pool in this process ([builtin_pool]). */
export const BUILTIN_POOL = "builtin";

export const FIELDS: readonly Field[] = [
  { key: "mode", kind: { type: "enum", values: ["bridge", "miner", "pool"] }, default: "bridge", doc: "what `vbridge` with no command runs" },
  { key: "impl", kind: { type: "enum", values: IMPLS }, default: "auto", env: ["VBRIDGE_IMPL"], doc: "VerusHash implementation" },
  { key: "debug", kind: { type: "bool" }, default: false, env: ["DEBUG"], doc: "protocol traces in the log (secrets redacted)" },

  { key: "upstream.pools", kind: { type: "strings", min: 1, max: 16 }, default: [BUILTIN_POOL], env: ["POOL_URL"], doc: "ordered failover list of pool URLs, or \"builtin\"" },
  { key: "upstream.user", kind: { type: "string", allowEmpty: true }, default: "", env: ["POOL_USER"], doc: "ADDRESS.WORKER (required for a real pool)" },
  { key: "upstream.pass", kind: { type: "string", allowEmpty: true }, default: "x", env: ["POOL_PASS"], doc: "pool password" },
  { key: "upstream.tls_ca_file", kind: { type: "string", allowEmpty: true }, default: "", doc: "PEM file of CAs for stratum+ssl pools" },
  { key: "upstream.tls_fingerprint", kind: { type: "string", allowEmpty: true }, default: "", doc: "SHA-256 pin of the pool's certificate" },
  { key: "upstream.return_to_primary", kind: { type: "bool" }, default: true, doc: "go back to the first pool once it is healthy" },

  { key: "builtin_pool.host", kind: { type: "string" }, default: "127.0.0.1", doc: "listen address of `vbridge pool`" },
  { key: "builtin_pool.port", kind: PORT, default: 3956, doc: "its Stratum port (0: any free port)" },
  { key: "builtin_pool.difficulty", kind: { type: "number", min: 0, max: 1e15, exclusiveMin: true }, default: 1000, doc: "share difficulty" },
  { key: "builtin_pool.vardiff", kind: { type: "bool" }, default: false, doc: "steer each miner's difficulty" },
  { key: "builtin_pool.job_interval", kind: SECONDS, default: 5, doc: "seconds between jobs of a block" },
  { key: "builtin_pool.block_interval", kind: SECONDS, default: 60, doc: "seconds between blocks" },

  { key: "miner.threads", kind: { type: "int", min: 1, max: 256 }, default: availableParallelism(), env: ["VBRIDGE_THREADS"], doc: "worker threads (default: all cores)" },
  { key: "miner.report_interval", kind: SECONDS, default: 10, doc: "seconds between hashrate lines" },
  { key: "miner.api_port", kind: PORT, default: 0, doc: "loopback HTTP stats port (0: off)" },

  { key: "bridge.host", kind: { type: "string" }, default: "127.0.0.1", doc: "HTTP/WebSocket listen address" },
  { key: "bridge.port", kind: { type: "int", min: 1, max: 65535 }, default: 8080, env: ["WS_PORT"], doc: "HTTP/WebSocket port" },
  { key: "bridge.stratum_port", kind: PORT, default: 0, doc: "Stratum TCP port for native miners (0: off)" },
  { key: "bridge.lease_bytes", kind: { type: "int", min: 1, max: 3 }, default: 2, doc: "bytes added to the pool's extranonce1 per miner session" },
  { key: "bridge.ws_difficulty", kind: { type: "number", min: 0, max: 1e15, exclusiveMin: true }, default: 8, doc: "starting share difficulty of a browser miner" },
  { key: "bridge.ws_share_interval", kind: SECONDS, default: 15, doc: "vardiff goal for browser miners, seconds per share" },
  { key: "bridge.tcp_difficulty", kind: { type: "number", min: 0, max: 1e15, exclusiveMin: true }, default: 64, doc: "starting share difficulty of a Stratum TCP miner" },
  { key: "bridge.tcp_share_interval", kind: SECONDS, default: 10, doc: "vardiff goal for Stratum TCP miners" },
  { key: "bridge.min_difficulty", kind: { type: "number", min: 0, max: 1e15, exclusiveMin: true }, default: 0.001, doc: "lowest per-miner difficulty" },
  { key: "bridge.max_difficulty", kind: { type: "number", min: 0, max: 1e15, exclusiveMin: true }, default: 1e9, doc: "highest per-miner difficulty (never harder than the pool's)" },
  { key: "bridge.origins", kind: { type: "strings", max: 64 }, default: [], doc: "WebSocket Origin allowlist (empty: same origin only; \"*\": any)" },
  { key: "bridge.token", kind: { type: "string", allowEmpty: true }, default: "", env: ["VBRIDGE_TOKEN"], doc: "access token miners must present (empty: none)" },
  { key: "bridge.max_connections", kind: { type: "int", min: 1, max: 1_000_000 }, default: 20_000, doc: "miner connections in total (kept below the fd limit)" },
  { key: "bridge.max_connections_per_ip", kind: { type: "int", min: 1, max: 1_000_000 }, default: 64, doc: "miner connections from one address" },
  { key: "bridge.max_frame_bytes", kind: { type: "int", min: 256, max: 1 << 20 }, default: 4096, doc: "largest WebSocket message accepted" },
  { key: "bridge.max_line_bytes", kind: { type: "int", min: 4096, max: 1 << 20 }, default: 16_384, doc: "longest Stratum line accepted" },
  { key: "bridge.handshake_timeout", kind: SECONDS, default: 10, doc: "seconds to subscribe/authorize before being closed" },
  { key: "bridge.idle_timeout", kind: SECONDS, default: 300, doc: "seconds without any message before being closed" },
  { key: "bridge.max_shares_per_second", kind: { type: "number", min: 0, max: 1e6, exclusiveMin: true }, default: 20, doc: "per-session share rate limit" },
  { key: "bridge.stats_public", kind: { type: "bool" }, default: false, doc: "serve /stats and /metrics beyond loopback" },
  { key: "bridge.ledger", kind: { type: "string", allowEmpty: true }, default: "vbridge-ledger.sqlite", doc: "SQLite share ledger (\"\": in memory, lost at exit)" },
];

export interface Config {
  mode: "bridge" | "miner" | "pool";
  impl: (typeof IMPLS)[number];
  debug: boolean;
  upstream: {
    pools: readonly string[];
    user: string;
    pass: string;
    tls_ca_file: string;
    tls_fingerprint: string;
    return_to_primary: boolean;
  };
  builtin_pool: {
    host: string;
    port: number;
    difficulty: number;
    vardiff: boolean;
    job_interval: number;
    block_interval: number;
  };
  miner: { threads: number; report_interval: number; api_port: number };
  bridge: {
    host: string;
    port: number;
    stratum_port: number;
    lease_bytes: number;
    ws_difficulty: number;
    ws_share_interval: number;
    tcp_difficulty: number;
    tcp_share_interval: number;
    min_difficulty: number;
    max_difficulty: number;
    origins: readonly string[];
    token: string;
    max_connections: number;
    max_connections_per_ip: number;
    max_frame_bytes: number;
    max_line_bytes: number;
    handshake_timeout: number;
    idle_timeout: number;
    max_shares_per_second: number;
    stats_public: boolean;
    ledger: string;
  };
}
