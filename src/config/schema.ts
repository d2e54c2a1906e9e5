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
  /** The environment variable read for it (the seed's names included). */
  env?: string;
  doc: string;
  flag?: FlagSpec;
}

/** One row of the table; `key` and `kind` keep their literal types, for the Config type. */
function field<const K extends string, const T extends FieldKind>(
  key: K,
  kind: T,
  def: Value,
  doc: string,
  more: Pick<Field, "env" | "flag"> = {},
): Field & { key: K; kind: T } {
  return { key, kind, default: def, doc, ...more };
}

function flag(name: string, commands: readonly Command[], alias?: FlagSpec["alias"]): FlagSpec {
  return { name, commands, alias };
}

const int = (min: number, max: number) => ({ type: "int", min, max }) as const;
const above0 = (max: number) => ({ type: "number", min: 0, max, exclusiveMin: true }) as const;
const list = (min: number, max: number) => ({ type: "strings", min, max }) as const;
const oneOf = <const V extends readonly string[]>(values: V) => ({ type: "enum", values }) as const;
const TEXT = { type: "string" } as const;
const OPTIONAL_TEXT = { type: "string", allowEmpty: true } as const;
const BOOL = { type: "bool" } as const;
const PORT = int(0, 65535);
const DIFFICULTY = above0(1e15);
const SECONDS = above0(86_400);
const BRIDGE_AND_MINE = ["bridge", "mine"] as const;
/**
 * A whole number in [min, max] or "auto" (load.ts reads it: FieldKind has no union of kinds). The
 * Config type says `number | "auto"`.
 */
const countOrAuto = (min: number, max: number) => ({ type: "string", countOrAuto: { min, max } }) as const;

/** The upstream list's stand-in for the built-in pool in this process ([builtin_pool]). */
export const BUILTIN_POOL = "builtin";

export const FIELDS = [
  field("mode", oneOf(["bridge", "miner", "pool"]), "bridge", "what `vbridge` with no command runs"),
  field("impl", oneOf(["auto", "portable", "aesni", "armv8"]), "auto", "VerusHash implementation", {
    env: "VBRIDGE_IMPL",
    flag: flag("impl", ["mine", "pool"]),
  }),
  // 0..VH_LANES_MAX (native/verushash.h; src/hash's Hasher.LANES_MAX): config/ does not import hash/.
  field("lanes", int(0, 4), 0, "VerusHash scan lanes per thread (0: the fastest for the implementation)", {
    env: "VBRIDGE_LANES",
    flag: flag("lanes", ["mine"]),
  }),
  field("debug", BOOL, false, "protocol traces in the log (secrets redacted)", {
    env: "DEBUG",
    flag: flag("debug", BRIDGE_AND_MINE),
  }),

  field("upstream.pools", list(1, 16), [BUILTIN_POOL], 'ordered failover list of pool URLs, or "builtin"', {
    env: "POOL_URL",
    flag: flag("pool", BRIDGE_AND_MINE, { mine: "o" }),
  }),
  field("upstream.user", OPTIONAL_TEXT, "", "ADDRESS.WORKER (required for a real pool)", {
    env: "POOL_USER",
    flag: flag("user", BRIDGE_AND_MINE, { mine: "u" }),
  }),
  field("upstream.pass", OPTIONAL_TEXT, "x", "pool password", {
    env: "POOL_PASS",
    flag: flag("pass", BRIDGE_AND_MINE, { mine: "p" }),
  }),
  field("upstream.tls_ca_file", OPTIONAL_TEXT, "", "PEM file of CAs for stratum+ssl pools", {
    flag: flag("tls-ca-file", ["mine"]),
  }),
  field("upstream.tls_fingerprint", OPTIONAL_TEXT, "", "SHA-256 pin of the pool's certificate", {
    flag: flag("tls-fingerprint", ["mine"]),
  }),
  field("upstream.return_to_primary", BOOL, true, "go back to the first pool once it is healthy"),
  field("upstream.reconnect_max_delay", SECONDS, 5, "reconnect wait cap while miners are attached"),
  field("upstream.job_timeout", SECONDS, 30, "seconds after authorize without a job before the next pool"),

  field("builtin_pool.host", TEXT, "127.0.0.1", "listen address of `vbridge pool`", {
    flag: flag("host", ["pool"]),
  }),
  field("builtin_pool.port", PORT, 3956, "its Stratum port (0: any free port)", {
    flag: flag("port", ["pool"]),
  }),
  field("builtin_pool.tls_port", PORT, 0, "a stratum+ssl:// port too, with tls_cert and tls_key (0: off)"),
  field("builtin_pool.tls_cert", OPTIONAL_TEXT, "", "PEM certificate chain for tls_port"),
  field("builtin_pool.tls_key", OPTIONAL_TEXT, "", "PEM private key for tls_port"),
  field("builtin_pool.difficulty", DIFFICULTY, 1000, "share difficulty", { flag: flag("diff", ["pool"]) }),
  field("builtin_pool.vardiff", BOOL, false, "steer each miner's difficulty", {
    flag: flag("vardiff", ["pool"]),
  }),
  field("builtin_pool.job_interval", SECONDS, 5, "seconds between jobs of a block", {
    flag: flag("job-interval", ["pool"]),
  }),
  field("builtin_pool.block_interval", SECONDS, 60, "seconds between blocks", {
    flag: flag("block-interval", ["pool"]),
  }),
  field(
    "builtin_pool.daemon",
    OPTIONAL_TEXT,
    "",
    'verusd RPC URL for solo mining, e.g. "http://127.0.0.1:27486" (empty: synthetic jobs)',
    { env: "VBRIDGE_DAEMON", flag: flag("daemon", ["pool", "bridge"]) },
  ),
  field("builtin_pool.daemon_user", OPTIONAL_TEXT, "", "verusd rpcuser (or in the URL, or from daemon_conf)"),
  field("builtin_pool.daemon_pass", OPTIONAL_TEXT, "", "verusd rpcpassword", { env: "VBRIDGE_DAEMON_PASS" }),
  field(
    "builtin_pool.daemon_conf",
    OPTIONAL_TEXT,
    "",
    "a VRSC.conf to read rpcuser, rpcpassword and rpcport from (instead of the three above)",
    { env: "VBRIDGE_DAEMON_CONF", flag: flag("daemon-conf", ["pool", "bridge"]) },
  ),
  field(
    "builtin_pool.daemon_poll_interval",
    SECONDS,
    5,
    "seconds between template polls (longpoll and blocknotify are the main triggers)",
  ),

  field("miner.threads", int(1, 256), availableParallelism(), "worker threads (default: all cores)", {
    env: "VBRIDGE_THREADS",
    flag: flag("threads", ["mine"], { mine: "t" }),
  }),
  field("miner.report_interval", SECONDS, 10, "seconds between hashrate lines", {
    flag: flag("report-interval", ["mine"]),
  }),
  field("miner.api_port", PORT, 0, "loopback HTTP stats port (0: off)", { flag: flag("api-port", ["mine"]) }),

  field("bridge.host", TEXT, "127.0.0.1", "HTTP/WebSocket listen address"),
  field("bridge.port", int(1, 65535), 8080, "HTTP/WebSocket port", {
    env: "WS_PORT",
    flag: flag("port", ["bridge"]),
  }),
  field("bridge.stratum_port", PORT, 0, "Stratum TCP port for native miners (0: off)", {
    flag: flag("stratum-port", ["bridge"]),
  }),
  field("bridge.tls_cert", OPTIONAL_TEXT, "", "PEM certificate chain: the HTTP port serves https + wss", {
    flag: flag("tls-cert", ["bridge"]),
  }),
  field("bridge.tls_key", OPTIONAL_TEXT, "", "PEM private key of tls_cert", {
    flag: flag("tls-key", ["bridge"]),
  }),
  field(
    "bridge.stratum_tls_port",
    PORT,
    0,
    "Stratum over TLS (stratum+ssl://) port, with tls_cert (0: off)",
    {
      flag: flag("stratum-tls-port", ["bridge"]),
    },
  ),
  field(
    "bridge.trusted_proxies",
    list(0, 256),
    ["127.0.0.1", "::1"],
    "reverse proxies (addresses, CIDRs) whose forwarding and PROXY headers name the client",
  ),
  field(
    "bridge.public_host",
    OPTIONAL_TEXT,
    "",
    "host name miners reach the Stratum ports by, for client.reconnect (empty: the address used)",
  ),
  field(
    "bridge.proxy_protocol",
    oneOf(["off", "optional", "required"]),
    "off",
    "PROXY protocol v1/v2 header from trusted proxies on the plain ports",
  ),
  field(
    "bridge.workers",
    countOrAuto(1, 256),
    1,
    'worker processes sharing the ports (SO_REUSEPORT), or "auto" (one per core)',
    { flag: flag("workers", ["bridge"]) },
  ),
  field("bridge.lease_bytes", int(1, 3), 2, "bytes added to the pool's extranonce1 per miner session"),
  field("bridge.ws_difficulty", DIFFICULTY, 8, "starting share difficulty of a browser miner"),
  field("bridge.ws_share_interval", SECONDS, 15, "vardiff goal for browser miners, seconds per share"),
  field("bridge.tcp_difficulty", DIFFICULTY, 64, "starting share difficulty of a Stratum TCP miner"),
  field("bridge.tcp_share_interval", SECONDS, 10, "vardiff goal for Stratum TCP miners"),
  field("bridge.min_difficulty", DIFFICULTY, 0.001, "lowest per-miner difficulty"),
  field(
    "bridge.max_difficulty",
    DIFFICULTY,
    1e9,
    "highest per-miner difficulty (never harder than the pool's)",
  ),
  field("bridge.origins", list(0, 64), [], 'WebSocket Origin allowlist (empty: same origin only; "*": any)'),
  field("bridge.token", OPTIONAL_TEXT, "", "access token miners must present (empty: none)", {
    env: "VBRIDGE_TOKEN",
  }),
  field("bridge.max_connections", int(1, 1_000_000), 10_000, "sockets in total (kept below the fd limit)"),
  field("bridge.max_connections_per_ip", int(1, 1_000_000), 64, "sockets from one client address"),
  field("bridge.max_frame_bytes", int(256, 1 << 20), 4096, "largest WebSocket message accepted"),
  field("bridge.max_line_bytes", int(4096, 1 << 20), 16_384, "longest Stratum line accepted"),
  field(
    "bridge.handshake_timeout",
    SECONDS,
    10,
    "seconds to send a request head, or to subscribe/authorize, before being closed",
  ),
  field("bridge.idle_timeout", SECONDS, 300, "seconds without any message before being closed"),
  field("bridge.keepalive_timeout", SECONDS, 5, "seconds an idle keep-alive HTTP connection is kept"),
  field("bridge.max_shares_per_second", above0(1e6), 20, "per-session share rate limit"),
  field("bridge.stats_public", BOOL, false, "serve /stats and /metrics beyond loopback"),
  field(
    "bridge.ledger",
    OPTIONAL_TEXT,
    "vbridge-ledger.sqlite",
    'share ledger: a SQLite file, "" (in memory, lost at exit) or postgres://user:pass@host/db',
    { env: "VBRIDGE_LEDGER", flag: flag("ledger", ["bridge"]) },
  ),
  field(
    "bridge.ledger_queue",
    int(100, 10_000_000),
    20_000,
    "shares that may wait for a failing ledger database before new ones are refused",
  ),
  field(
    "bridge.ledger_retention_days",
    int(0, 100_000),
    400,
    "days of per-minute history and blocks the ledger keeps (0: forever)",
  ),
  field("bridge.name", OPTIONAL_TEXT, "", "this bridge's name in the fleet view (empty: the host name)"),
  field(
    "bridge.admin_token",
    OPTIONAL_TEXT,
    "",
    "token for /dashboard and /api/v1 from beyond loopback (empty: loopback only)",
    { env: "VBRIDGE_ADMIN_TOKEN" },
  ),

  field("alerts.webhook", OPTIONAL_TEXT, "", "URL alerts are POSTed to as JSON (empty: off)", {
    env: "VBRIDGE_ALERTS_WEBHOOK",
  }),
  field("alerts.pool_down_seconds", SECONDS, 60, "alert when no pool has given work for this long"),
  field("alerts.reject_percent", above0(100), 10, "alert when this share of shares is rejected…"),
  field("alerts.reject_window_seconds", SECONDS, 300, "…over this window (at least 20 shares)"),
  field(
    "alerts.no_shares_minutes",
    above0(10_000),
    10,
    "alert when miners are connected but no share came for this long",
  ),
  field("alerts.min_interval_seconds", SECONDS, 300, "the same kind of alert at most this often"),
  field("alerts.block_found", BOOL, true, "alert on every block found"),

  field(
    "events.redis",
    OPTIONAL_TEXT,
    "",
    'Redis URL of the event stream, e.g. "redis://127.0.0.1:6379" (empty: off)',
    {
      env: "VBRIDGE_EVENTS_REDIS",
    },
  ),
  field("events.stream", TEXT, "vbridge:events", "the Redis Stream key events are appended to"),
  field("events.max_len", int(1000, 1_000_000_000), 1_000_000, "entries the stream keeps (XADD MAXLEN ~)"),
  field(
    "events.buffer",
    int(1, 1_000_000),
    10_000,
    "events held while Redis is unreachable; beyond: dropped, counted",
  ),
] as const satisfies readonly Field[];

// The Config type, derived from FIELDS: the top-level keys, and one object per [section].
type Fields = (typeof FIELDS)[number];
type ValueOf<K> = K extends { countOrAuto: object }
  ? number | "auto"
  : K extends { type: "enum"; values: readonly (infer V)[] }
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
