// processes.ts — what the real-component harnesses (nginx.ts, haproxy.ts) share: finding a Debian
// binary (they live in /usr/sbin, often not on a user's PATH), running it in the foreground in its own
// process group with its output kept (capped), waiting until its listen ports are bound, and stopping it
// (signal, bounded wait, then SIGKILL to the whole group so no worker outlives the test). Every wait
// is bounded and fails with the child's own words.

import {
  chmodSync,
  closeSync,
  existsSync,
  fstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  readSync,
  mkdtempSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";

export { freePort } from "../e2e/stack.ts";

/** The binary's path, or a clear error naming the Debian package (scripts/apt-deps.sh installs it). */
export function findBinary(name: string, debianPackage: string): string {
  const found = Bun.which(name, { PATH: `${process.env.PATH ?? ""}:/usr/local/sbin:/usr/sbin:/sbin` });
  if (found === null) {
    const hint = `Debian's ${debianPackage} package (scripts/apt-deps.sh installs it)`;
    throw new Error(`${name} is not installed: it is in ${hint}`);
  }
  return found;
}

/** A child's output kept up to a cap: a chatty child must not grow the test's memory without bound. */
const OUTPUT_CAP = 256 * 1024;

export interface Foreground {
  readonly proc: Subprocess<"ignore", "pipe", "pipe">;
  /** stdout and stderr so far (the last OUTPUT_CAP characters). */
  output(): string;
  /** Resolves with the exit code once the child exited. */
  readonly exited: Promise<number>;
  /** `signal`, then up to `graceMs` for it to exit, then SIGKILL to its process group. */
  stop(signal: NodeJS.Signals, graceMs?: number): Promise<void>;
}

/** Runs `argv` in the foreground of a new process group (so stop() can reach the workers it forks). */
export function runForeground(argv: string[], cwd: string): Foreground {
  const proc = Bun.spawn(argv, { cwd, stdin: "ignore", stdout: "pipe", stderr: "pipe", detached: true });
  let text = "";
  let cut = false;
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    // The newest output is what explains a failure: keep the tail, never stop reading (an
    // undrained pipe would block the child).
    for await (const chunk of stream) {
      text += decoder.decode(chunk, { stream: true });
      if (text.length > 2 * OUTPUT_CAP) {
        text = text.slice(-OUTPUT_CAP);
        cut = true;
      }
    }
  };
  void drain(proc.stdout);
  void drain(proc.stderr);
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-proc.pid, signal);
    } catch {
      // The group is gone already.
    }
  };
  return {
    proc,
    output: () => (cut ? "[earlier output cut]\n" : "") + text.slice(-OUTPUT_CAP),
    exited: proc.exited,
    async stop(signal, graceMs = 5_000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return killGroup("SIGKILL");
      proc.kill(signal);
      const done = await Promise.race([proc.exited.then(() => true), Bun.sleep(graceMs).then(() => false)]);
      // Workers exit with their master; the group kill covers one that did not (or a master that hung).
      killGroup("SIGKILL");
      if (!done) await proc.exited;
    },
  };
}

/** The last `cap` bytes of a log file ("" when it does not exist yet): logs of busy tests grow large. */
export function readTail(file: string, cap = 1024 * 1024): string {
  if (!existsSync(file)) return "";
  const fd = openSync(file, "r");
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, cap);
    const buf = Buffer.alloc(length);
    readSync(fd, buf, 0, length, size - length);
    return (size > cap ? "[earlier lines cut]\n" : "") + buf.toString("utf8");
  } finally {
    closeSync(fd);
  }
}

/** Inodes of the sockets `pid` holds open (its /proc/PID/fd links read "socket:[INODE]"). */
function socketInodes(pid: number): Set<string> {
  const out = new Set<string>();
  let fds: string[] = [];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return out; // exited
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m !== null) out.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  return out;
}

/**
 * True once `pid` itself listens on `port` (Linux's /proc/net/tcp and tcp6: state 0A = LISTEN, the
 * socket's inode among pid's fds). Not a connection: a probe through a proxy would reach the backend
 * (the bridge) and count as a client. Not any listener: freePort's probe may linger a moment.
 */
function listening(pid: number, port: number): boolean {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  let inodes: Set<string> | undefined;
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    if (!existsSync(table)) continue;
    for (const line of readFileSync(table, "utf8").split("\n")) {
      const f = line.trim().split(/\s+/);
      if (f[3] !== "0A" || !f[1]?.endsWith(`:${hexPort}`)) continue;
      inodes ??= socketInodes(pid);
      if (inodes.has(f[9]!)) return true;
    }
  }
  return false;
}

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/**
 * Waits until every endpoint's port is listening, or throws (with `describe()`, the child's own
 * account) when the child exits first or `timeoutMs` passes. A clash (someone else took the port
 * since freePort) shows as the child exiting with its bind error.
 */
export async function waitForPorts(
  child: Foreground,
  endpoints: readonly Endpoint[],
  name: string,
  describe: () => string,
  timeoutMs = 10_000,
): Promise<void> {
  if (endpoints.length === 0) throw new Error(`${name}: no TCP port to wait for (pass waitFor)`);
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void child.exited.then(() => (exited = true));
  for (const { host, port } of endpoints) {
    while (!listening(child.proc.pid, port)) {
      if (exited)
        throw new Error(`${name} exited (code ${child.proc.exitCode}) before listening:\n${describe()}`);
      if (Date.now() > deadline) {
        throw new Error(`${name} did not listen on ${host}:${port} within ${timeoutMs} ms:\n${describe()}`);
      }
      await Bun.sleep(20);
    }
  }
  // A bind error after the first port is up still ends the child: give it no time to hide.
  if (exited) throw new Error(`${name} exited (code ${child.proc.exitCode}) while starting:\n${describe()}`);
}

/**
 * The loopback endpoint a listen address ("8080", "127.0.0.1:8080", "[::1]:8080", ":8080", "*:8080")
 * is reachable at; null for what is not a TCP port (a unix socket).
 */
export function loopbackEndpoint(address: string): Endpoint | null {
  if (address.startsWith("unix:") || address.startsWith("/")) return null;
  const m = /^(?:\[([^\]]*)\]|(.*?))?:?(\d+)$/.exec(address);
  if (m === null) return null;
  const host = m[1] ?? m[2] ?? "";
  const port = Number(m[3]);
  if (host === "" || host === "*" || host === "0.0.0.0") return { host: "127.0.0.1", port };
  if (host === "::") return { host: "::1", port };
  return { host, port };
}

/** A server a harness started (nginx, HAProxy) in its own temporary directory. */
export interface Server {
  readonly dir: string;
  /** Its stdout and stderr, the newest part. */
  output(): string;
  /** SIGTERM, then the process group killed if need be, and the directory removed. Idempotent. */
  stop(): Promise<void>;
}

export interface ServerLaunch {
  argv: string[];
  endpoints: readonly Endpoint[];
  /** More for a failure message than the output (a log file). */
  more?: () => string;
}

/**
 * Runs a server in the foreground from a new temporary directory: `prepare(dir)` writes its files
 * and says how to start it; resolves once every endpoint listens. On any failure the server is
 * stopped and the directory removed before the error is thrown.
 */
export async function startServer(name: string, prepare: (dir: string) => ServerLaunch): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), `vbridge-${name}-`));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  let child: Foreground | undefined;
  try {
    // Workers that drop to another user must still enter the directory.
    chmodSync(dir, 0o755);
    const launch = prepare(dir);
    child = runForeground(launch.argv, dir);
    const running = child;
    await waitForPorts(running, launch.endpoints, name, () => `${running.output()}${launch.more?.() ?? ""}`);
  } catch (e) {
    await child?.stop("SIGTERM");
    remove();
    throw e;
  }
  const running = child;
  let stopped: Promise<void> | undefined;
  return {
    dir,
    output: () => running.output(),
    stop: () =>
      (stopped ??= (async () => {
        await running.stop("SIGTERM");
        remove();
      })()),
  };
}
