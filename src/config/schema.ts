/**
 * Every configuration key vbridge knows, in one table: its kind, default, environment variables,
 * meaning and command-line flag. The Config type and each command's flags are derived from it, so
 * a new key is one line here plus its documentation in config.toml (a test holds the two
 * together).
 */
import { availableParallelism } from "node:os";
import type { FieldKind, Value } from "./fields.ts";

/** The commands that read configuration. */
export type Command = "bridge" | "mine" | "pool";

/** A key's command-line flag: `--name`, for the commands listed. */
export interface FlagSpec {
  name: string;
  commands: readonly Command[];
  /** A one-letter alias in some commands (ccminer's -o -u -p -t for `mine`). */
  alias?: Partial<Record<Command, string>>;
}

export interface Field {
  /** Dotted path: "mode", "upstream.pools", "bridge.port". */
  key: string;
  kind: FieldKind;
  default: Value;
  /** Environment variables read for it, in order of preference (the seed's names included). */
  env?: readonly string[];
  doc: string;
  flag?: FlagSpec;
}

const IMPLS = ["auto", "portable", "aesni", "armv8"] as const;
const TEXT = { type: "string" } as const;
const OPTIONAL_TEXT = { type: "string", allowEmpty: true } as const;
const BOOL = { type: "bool" } as const;
const PORT = { type: "int", min: 0, max: 65535 } as const;
const DIFFICULTY = { type: "number", min: 0, max: 1e15, exclusiveMin: true } as const;
const SECONDS = { type: "number", min: 0, max: 86_400, exclusiveMin: true } as const;

/** The upstream list's stand-in for the built-in pool in this process ([builtin_pool]). */
export const BUILTIN_POOL = "builtin";

export const FIELDS = [
  {
    key: "mode",
    kind: { type: "enum", values: ["bridge", "miner", "pool"] },
    default: "bridge",
    doc: "what `vbridge` with no command runs",
  },
  {
    key: "impl",
    kind: { type: "enum", values: IMPLS },
    default: "auto",
    env: ["VBRIDGE_IMPL"],
    doc: "VerusHash implementation",
    flag: { name: "impl", commands: ["mine", "pool"] },
  },
  {
    key: "debug",
    kind: BOOL,
    default: false,
    env: ["DEBUG"],
    doc: "protocol traces in the log (secrets redacted)",
    flag: { name: "debug", commands: ["bridge", "mine"] },
  },

  {
    key: "upstream.pools",
    kind: { type: "strings", min: 1, max: 16 },
    default: [BUILTIN_POOL],
    env: ["POOL_URL"],
    doc: 'ordered failover list of pool URLs, or "builtin"',
    flag: { name: "pool", commands: ["bridge", "mine"], alias: { mine: "o" } },
  },
  {
    key: "upstream.user",
    kind: OPTIONAL_TEXT,
    default: "",
    env: ["POOL_USER"],
    doc: "ADDRESS.WORKER (required for a real pool)",
    flag: { name: "user", commands: ["bridge", "mine"], alias: { mine: "u" } },
  },
  {
    key: "upstream.pass",
    kind: OPTIONAL_TEXT,
    default: "x",
    env: ["POOL_PASS"],
    doc: "pool password",
    flag: { name: "pass", commands: ["bridge", "mine"], alias: { mine: "p" } },
  },
  {
    key: "upstream.tls_ca_file",
    kind: OPTIONAL_TEXT,
    default: "",
    doc: "PEM file of CAs for stratum+ssl pools",
    flag: { name: "tls-ca-file", commands: ["mine"] },
  },
  {
    key: "upstream.tls_fingerprint",
    kind: OPTIONAL_TEXT,
    default: "",
    doc: "SHA-256 pin of the pool's certificate",
    flag: { name: "tls-fingerprint", commands: ["mine"] },
  },
  {
    key: "upstream.return_to_primary",
    kind: BOOL,
    default: true,
    doc: "go back to the first pool once it is healthy",
  },

  {
    key: "builtin_pool.host",
    kind: TEXT,
    default: "127.0.0.1",
    doc: "listen address of `vbridge pool`",
    flag: { name: "host", commands: ["pool"] },
  },
  {
    key: "builtin_pool.port",
    kind: PORT,
    default: 3956,
    doc: "its Stratum port (0: any free port)",
    flag: { name: "port", commands: ["pool"] },
  },
  {
    key: "builtin_pool.difficulty",
    kind: DIFFICULTY,
    default: 1000,
    doc: "share difficulty",
    flag: { name: "diff", commands: ["pool"] },
  },
  {
    key: "builtin_pool.vardiff",
    kind: BOOL,
    default: false,
    doc: "steer each miner's difficulty",
    flag: { name: "vardiff", commands: ["pool"] },
  },
  {
    key: "builtin_pool.job_interval",
    kind: SECONDS,
    default: 5,
    doc: "seconds between jobs of a block",
    flag: { name: "job-interval", commands: ["pool"] },
  },
  {
    key: "builtin_pool.block_interval",
    kind: SECONDS,
    default: 60,
    doc: "seconds between blocks",
    flag: { name: "block-interval", commands: ["pool"] },
  },

  {
    key: "miner.threads",
    kind: { type: "int", min: 1, max: 256 },
    default: availableParallelism(),
    env: ["VBRIDGE_THREADS"],
    doc: "worker threads (default: all cores)",
    flag: { name: "threads", commands: ["mine"], alias: { mine: "t" } },
  },
  {
    key: "miner.report_interval",
    kind: SECONDS,
    default: 10,
    doc: "seconds between hashrate lines",
    flag: { name: "report-interval", commands: ["mine"] },
  },
  {
    key: "miner.api_port",
    kind: PORT,
    default: 0,
    doc: "loopback HTTP stats port (0: off)",
    flag: { name: "api-port", commands: ["mine"] },
  },

  { key: "bridge.host", kind: TEXT, default: "127.0.0.1", doc: "HTTP/WebSocket listen address" },
  {
    key: "bridge.port",
    kind: { type: "int", min: 1, max: 65535 },
    default: 8080,
    env: ["WS_PORT"],
    doc: "HTTP/WebSocket port",
    flag: { name: "port", commands: ["bridge"] },
  },
  {
    key: "bridge.stratum_port",
    kind: PORT,
    default: 0,
    doc: "Stratum TCP port for native miners (0: off)",
    flag: { name: "stratum-port", commands: ["bridge"] },
  },
  {
    key: "bridge.lease_bytes",
    kind: { type: "int", min: 1, max: 3 },
    default: 2,
    doc: "bytes added to the pool's extranonce1 per miner session",
  },
  {
    key: "bridge.ws_difficulty",
    kind: DIFFICULTY,
    default: 8,
    doc: "starting share difficulty of a browser miner",
  },
  {
    key: "bridge.ws_share_interval",
    kind: SECONDS,
    default: 15,
    doc: "vardiff goal for browser miners, seconds per share",
  },
  {
    key: "bridge.tcp_difficulty",
    kind: DIFFICULTY,
    default: 64,
    doc: "starting share difficulty of a Stratum TCP miner",
  },
  {
    key: "bridge.tcp_share_interval",
    kind: SECONDS,
    default: 10,
    doc: "vardiff goal for Stratum TCP miners",
  },
  { key: "bridge.min_difficulty", kind: DIFFICULTY, default: 0.001, doc: "lowest per-miner difficulty" },
  {
    key: "bridge.max_difficulty",
    kind: DIFFICULTY,
    default: 1e9,
    doc: "highest per-miner difficulty (never harder than the pool's)",
  },
  {
    key: "bridge.origins",
    kind: { type: "strings", max: 64 },
    default: [],
    doc: 'WebSocket Origin allowlist (empty: same origin only; "*": any)',
  },
  {
    key: "bridge.token",
    kind: OPTIONAL_TEXT,
    default: "",
    env: ["VBRIDGE_TOKEN"],
    doc: "access token miners must present (empty: none)",
  },
  {
    key: "bridge.max_connections",
    kind: { type: "int", min: 1, max: 1_000_000 },
    default: 20_000,
    doc: "miner connections in total (kept below the fd limit)",
  },
  {
    key: "bridge.max_connections_per_ip",
    kind: { type: "int", min: 1, max: 1_000_000 },
    default: 64,
    doc: "miner connections from one address",
  },
  {
    key: "bridge.max_frame_bytes",
    kind: { type: "int", min: 256, max: 1 << 20 },
    default: 4096,
    doc: "largest WebSocket message accepted",
  },
  {
    key: "bridge.max_line_bytes",
    kind: { type: "int", min: 4096, max: 1 << 20 },
    default: 16_384,
    doc: "longest Stratum line accepted",
  },
  {
    key: "bridge.handshake_timeout",
    kind: SECONDS,
    default: 10,
    doc: "seconds to subscribe/authorize before being closed",
  },
  {
    key: "bridge.idle_timeout",
    kind: SECONDS,
    default: 300,
    doc: "seconds without any message before being closed",
  },
  {
    key: "bridge.max_shares_per_second",
    kind: { type: "number", min: 0, max: 1e6, exclusiveMin: true },
    default: 20,
    doc: "per-session share rate limit",
  },
  {
    key: "bridge.stats_public",
    kind: BOOL,
    default: false,
    doc: "serve /stats and /metrics beyond loopback",
  },
  {
    key: "bridge.ledger",
    kind: OPTIONAL_TEXT,
    default: "vbridge-ledger.sqlite",
    doc: 'SQLite share ledger ("": in memory, lost at exit)',
  },
] as const satisfies readonly Field[];

// The Config type, derived from FIELDS: the top-level keys, and one object per [section].
type Fields = (typeof FIELDS)[number];
type ValueOf<K> = K extends { type: "enum"; values: readonly (infer V)[] }
  ? V
  : K extends { type: "strings" }
    ? readonly string[]
    : K extends { type: "bool" }
      ? boolean
      : K extends { type: "int" | "number" }
        ? number
        : string;
type SectionOf<K> = K extends `${infer S}.${string}` ? S : never;
type Top = { [F in Fields as F["key"] extends `${string}.${string}` ? never : F["key"]]: ValueOf<F["kind"]> };
type Sections = {
  [S in SectionOf<Fields["key"]>]: {
    [F in Fields as F["key"] extends `${S}.${infer N}` ? N : never]: ValueOf<F["kind"]>;
  };
};

export type Config = Top & Sections;
