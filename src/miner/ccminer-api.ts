/**
 * ccminer's text API, the answers only (pure; api.ts owns the socket). Mining monitors that read
 * ccminer 3.8.3 (`echo summary | nc 127.0.0.1 4068`) read `vbridge mine --api-port` the same way:
 * a command (`summary`, `pool`, `threads`, `help`; an optional `|params` and line end tolerated)
 * is answered with `KEY=VALUE;KEY=VALUE;…|` groups and a closing NUL byte, as ccminer's
 * send_result writes strlen + 1 bytes. Field names and order are ccminer 3.8.3's api.cpp
 * (getsummary, getpoolnfo); `threads` has one `CPU=i;KHS=…|` group per mining thread, as the CPU
 * miners of that family answer. Figures are vbridge mine's own: KHS in kH/s, DIFF the pool's
 * share difficulty, UPTIME in seconds, TS unix seconds. What vbridge does not track (solved
 * blocks, network hashrate, disconnects, best share) is 0.
 */
import pkg from "../../package.json";
import type { MinerSummary } from "./stats.ts";

/** ccminer 3.8.3's APIVERSION. */
export const CCMINER_API_VERSION = "1.9";
export const CCMINER_COMMANDS = ["summary", "pool", "threads", "help"] as const;
export type CcminerCommand = (typeof CCMINER_COMMANDS)[number];

/** What the summary does not carry: the miner's user, pool count and current job. */
export interface PoolInfo {
  user: string;
  /** Pools configured (--pool, failover order). */
  pools: number;
  jobId: string | null;
}

/** The command in a text request (`summary`, `summary|`, `pool|0\n`, ` threads \r\n`), or null. */
export function parseCommand(request: string): CcminerCommand | null {
  const cmd = request
    .split(/[|\r\n\0]/, 1)[0]!
    .trim()
    .toLowerCase();
  return (CCMINER_COMMANDS as readonly string[]).includes(cmd) ? (cmd as CcminerCommand) : null;
}

/** The answer to `command` (NUL-terminated, as ccminer sends it). */
export function ccminerAnswer(
  command: CcminerCommand,
  s: MinerSummary,
  info: PoolInfo | null,
  nowMs: number,
): string {
  const body =
    command === "summary"
      ? summaryText(s, info, nowMs)
      : command === "pool"
        ? poolText(s, info)
        : command === "threads"
          ? threadsText(s)
          : `${CCMINER_COMMANDS.filter((c) => c !== "help").join("\n")}\n|`;
  return `${body}\0`;
}

function summaryText(s: MinerSummary, info: PoolInfo | null, nowMs: number): string {
  const uptime = Math.round(s.uptime_s);
  return group([
    ["NAME", "vbridge"],
    ["VER", pkg.version],
    ["API", CCMINER_API_VERSION],
    ["ALGO", "verus"],
    ["GPUS", s.threads.length],
    ["KHS", fixed(s.hashrate / 1000, 2)],
    ["SOLV", 0],
    ["ACC", s.accepted],
    ["REJ", s.rejected],
    ["ACCMN", fixed((60 * s.accepted) / (uptime > 0 ? uptime : 1), 3)],
    ["DIFF", fixed(s.difficulty ?? 0, 6)],
    ["NETKHS", 0],
    ["POOLS", info?.pools ?? (s.pool === null ? 0 : 1)],
    ["WAIT", 0],
    ["UPTIME", uptime],
    ["TS", Math.floor(nowMs / 1000)],
  ]);
}

function poolText(s: MinerSummary, info: PoolInfo | null): string {
  const url = s.pool === null ? "" : withoutCredentials(s.pool);
  return group([
    ["POOL", shortUrl(url)],
    ["ALGO", "verus"],
    ["URL", url],
    ["USER", info?.user ?? ""],
    ["SOLV", 0],
    ["ACC", s.accepted],
    ["REJ", s.rejected],
    ["STALE", s.stale],
    ["H", 0],
    ["JOB", info?.jobId ?? ""],
    ["DIFF", fixed(s.difficulty ?? 0, 6)],
    ["BEST", fixed(0, 6)],
    ["N2SZ", 0],
    ["N2", ""],
    ["PING", 0],
    ["DISCO", 0],
    ["WAIT", 0],
    ["UPTIME", Math.round(s.uptime_s)],
    ["LAST", 0],
  ]);
}

function threadsText(s: MinerSummary): string {
  return s.threads
    .map((hs, i) =>
      group([
        ["CPU", i],
        ["KHS", fixed(hs / 1000, 2)],
      ]),
    )
    .join("");
}

/** `K=V;K=V|`; a value cannot carry the separators (a pool URL or user is the operator's text). */
function group(fields: [string, string | number][]): string {
  return `${fields.map(([k, v]) => `${k}=${String(v).replace(/[;|=\0\r\n]/g, "_")}`).join(";")}|`;
}

/** C's "%.Nf" (no exponent form, finite numbers only: a NaN or infinity shows as 0). */
function fixed(x: number, digits: number): string {
  return (Number.isFinite(x) ? x : 0).toFixed(digits);
}

/** ccminer's short_url: host:port, no scheme. */
function shortUrl(url: string): string {
  return url.replace(/^[a-z0-9+.-]+:\/\//i, "").replace(/\/.*$/, "");
}

function withoutCredentials(url: string): string {
  return url.replace(/^([a-z0-9+.-]+:\/\/)[^@/]*@/i, "$1");
}
