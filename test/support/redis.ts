// redis.ts — a real Redis (Debian's redis-server) on 127.0.0.1 and a free port, in a temporary directory,
// for the event-stream tests: nothing persisted (--save '' --appendonly no), foreground, output kept.
// stop() and start() again on the same port let a test take Redis away mid-run and bring it back;
// destroy() stops it for good and removes the directory. Redis runs fine as root: no user switch.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findBinary, freePort, runForeground, waitForPorts, type Foreground } from "./processes.ts";

export interface Redis {
  readonly port: number;
  /** redis://127.0.0.1:PORT */
  readonly url: string;
  readonly dir: string;
  /** Its output so far (the running or last run). */
  output(): string;
  /** Stops it (SIGTERM by default, SIGKILL for a crash), bounded. The port stays ours for start(). */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** SIGSTOP / SIGCONT: a server that hangs with its connections open. */
  pause(): void;
  resume(): void;
  /** Starts it again on the same port (empty: nothing was saved). */
  start(): Promise<void>;
  /** Stops it and removes the directory. Idempotent. */
  destroy(): Promise<void>;
}

export async function startRedis(): Promise<Redis> {
  const bin = findBinary("redis-server", "redis-server");
  const dir = mkdtempSync(join(tmpdir(), "vbridge-redis-"));
  const port = freePort();
  const argv = [
    bin,
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    dir,
    "--daemonize",
    "no",
    "--loglevel",
    "warning",
  ];
  let child: Foreground | null = null;
  let last = "";
  const start = async () => {
    if (child !== null) return;
    const running = runForeground(argv, dir);
    child = running;
    try {
      await waitForPorts(running, [{ host: "127.0.0.1", port }], "redis-server", () => running.output());
    } catch (e) {
      await running.stop("SIGKILL");
      child = null;
      throw e;
    }
  };
  const stop = async (signal: NodeJS.Signals = "SIGTERM") => {
    const running = child;
    if (running === null) return;
    child = null;
    await running.stop(signal);
    last = running.output();
  };
  let destroyed: Promise<void> | undefined;
  try {
    await start();
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    output: () => (child as Foreground | null)?.output() ?? last,
    stop,
    start,
    pause: () => (child as Foreground | null)?.proc.kill("SIGSTOP"),
    resume: () => (child as Foreground | null)?.proc.kill("SIGCONT"),
    destroy: () =>
      (destroyed ??= (async () => {
        await stop();
        rmSync(dir, { recursive: true, force: true });
      })()),
  };
}
