// fd-limit.ts — the process's file-descriptor budget (RLIMIT_NOFILE) and how many connections fit
// in it. Why it matters: at EMFILE Bun's accept loop (uSockets) retries without backoff and spins a
// core at 100 % while /health goes unanswered, so the servers must refuse connections themselves
// before the kernel does. Bun already raises the soft limit to the hard one at startup (measured on
// 1.4.5), but raiseFdLimit does it again so that the budget never depends on that.
//
// getrlimit/setrlimit go through bun:ffi on glibc ("libc.so.6", present on linux-x64 and
// linux-arm64, also from a `bun build --compile` binary); where that cannot load (musl, no FFI),
// /proc/self/limits is read instead and the limit is left as it is.

import { dlopen, FFIType } from "bun:ffi";
import { readdirSync, readFileSync } from "node:fs";

export interface FdLimits {
  /** Infinity for "unlimited". */
  soft: number;
  hard: number;
}

/** <sys/resource.h>: RLIMIT_NOFILE is 7 on Linux x86-64 and arm64 (asm-generic/resource.h). */
const RLIMIT_NOFILE = 7;
/** rlim_t is an unsigned long: RLIM_INFINITY is all ones. */
const RLIM_INFINITY = 0xffff_ffff_ffff_ffffn;
/** Below this a busy bridge runs out of descriptors early: the log says so. */
export const LOW_SOFT_LIMIT = 4096;
/** Descriptors assumed open when /proc/self/fd cannot be read. */
const UNKNOWN_OPEN = 32;
/** Least headroom kept for the pool, the ledger, listeners, the admin and Bun itself. */
const MIN_HEADROOM = 64;

type Libc = {
  getrlimit: (resource: number, rlim: BigUint64Array) => number;
  setrlimit: (resource: number, rlim: BigUint64Array) => number;
};

let libc: Libc | null | undefined;

/** libc's rlimit calls, loaded once; null when FFI or glibc is not there. */
function loadLibc(): Libc | null {
  if (libc !== undefined) return libc;
  try {
    const { symbols } = dlopen("libc.so.6", {
      getrlimit: { args: [FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
      setrlimit: { args: [FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
    });
    libc = symbols as unknown as Libc;
  } catch {
    libc = null;
  }
  return libc;
}

function fromRlim(v: bigint): number {
  return v === RLIM_INFINITY ? Infinity : Number(v);
}

function toRlim(n: number): bigint {
  return Number.isFinite(n) ? BigInt(n) : RLIM_INFINITY;
}

/** struct rlimit { rlim_t rlim_cur, rlim_max } via FFI; null when unavailable or the call fails. */
function ffiGet(): FdLimits | null {
  const c = loadLibc();
  if (c === null) return null;
  const rlim = new BigUint64Array(2);
  if (c.getrlimit(RLIMIT_NOFILE, rlim) !== 0) return null;
  return { soft: fromRlim(rlim[0]!), hard: fromRlim(rlim[1]!) };
}

/** The "Max open files" line of /proc/<pid>/limits ("unlimited" or a number per column). */
export function parseProcLimits(text: string): FdLimits | null {
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(text);
  if (m === null) return null;
  const value = (s: string) => (s === "unlimited" ? Infinity : Number(s));
  const soft = value(m[1]!);
  const hard = value(m[2]!);
  return Number.isNaN(soft) || Number.isNaN(hard) ? null : { soft, hard };
}

/** Reads RLIMIT_NOFILE through getrlimit(2), else /proc/self/limits; {Infinity, Infinity} if neither. */
export function readFdLimits(): FdLimits {
  const viaFfi = ffiGet();
  if (viaFfi !== null) return viaFfi;
  try {
    const parsed = parseProcLimits(readFileSync("/proc/self/limits", "utf8"));
    if (parsed !== null) return parsed;
  } catch {
    // not Linux, or /proc not mounted: nothing better to say than "unknown"
  }
  return { soft: Infinity, hard: Infinity };
}

/**
 * Raises the soft limit to the hard limit when it is lower; returns the limits after. Never throws.
 * An unlimited hard limit cannot be the soft one for RLIMIT_NOFILE (the kernel caps it at
 * fs.nr_open), so then the soft limit goes to nr_open.
 */
export function raiseFdLimit(): FdLimits {
  try {
    const before = ffiGet();
    const c = loadLibc();
    if (before === null || c === null || before.soft >= before.hard) return readFdLimits();
    let target = before.hard;
    if (!Number.isFinite(target)) {
      const nrOpen = Number(readFileSync("/proc/sys/fs/nr_open", "utf8").trim());
      if (!Number.isSafeInteger(nrOpen) || nrOpen <= before.soft) return readFdLimits();
      target = nrOpen;
    }
    c.setrlimit(RLIMIT_NOFILE, new BigUint64Array([toRlim(target), toRlim(before.hard)]));
  } catch {
    // a failed raise leaves the limit as it was; the budget below works with what there is
  }
  return readFdLimits();
}

/** File descriptors open now (entries of /proc/self/fd), or null if unknown. */
export function openFds(): number | null {
  try {
    return readdirSync("/proc/self/fd").length;
  } catch {
    return null;
  }
}

export interface ConnectionBudget {
  /** Connections the servers may hold: min(configured, soft − reserve). At least 1. */
  maxConnections: number;
  /** Descriptors kept back for the pool connection(s), the ledger, listeners, the admin and Bun itself. */
  reserve: number;
  /** One-line warnings for the log (empty when all is well). */
  warnings: string[];
}

/**
 * reserve = (fds open now, or 32 if unknown) + max(64, ceil(soft / 16)): the sixteenth grows with
 * the limit because a big bridge also has more pool connections, log files and admin clients in
 * flight. Pure: the caller passes the limits and the count.
 */
export function connectionBudget(
  configured: number,
  limits: FdLimits,
  openNow: number | null,
): ConnectionBudget {
  const { soft } = limits;
  const headroom = Number.isFinite(soft) ? Math.max(MIN_HEADROOM, Math.ceil(soft / 16)) : MIN_HEADROOM;
  const reserve = (openNow ?? UNKNOWN_OPEN) + headroom;
  const fits = Math.max(1, soft - reserve);
  const maxConnections = Math.max(1, Math.min(configured, fits));
  const warnings: string[] = [];
  const raise = "raise LimitNOFILE= (systemd) or ulimit -n";
  if (maxConnections < configured) {
    warnings.push(
      `max_connections lowered from ${configured} to ${maxConnections} to fit the open-files limit ` +
        `${soft} (${reserve} kept for the pool, ledger, listeners and admin): ${raise}`,
    );
  }
  if (soft < LOW_SOFT_LIMIT) {
    warnings.push(`open-files limit ${soft} is low (below ${LOW_SOFT_LIMIT}): ${raise}`);
  }
  return { maxConnections, reserve, warnings };
}
