// procs.ts — what a benchmark reads of the processes it runs, from /proc: a process and its
// descendants (a supervisor's workers), their summed RSS once it settles after full GCs, open
// descriptors, sockets listening on a port (SO_REUSEPORT: one per worker), a free port.

import { readdirSync, readFileSync } from "node:fs";

const num = (file: string, re: RegExp) => Number(re.exec(readFileSync(file, "utf8"))?.[1] ?? NaN);

/** pid and every descendant (through /proc/PID/task/TID/children). */
export function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${out[i]}/task`);
    } catch {} // gone
    for (const t of tasks) {
      try {
        for (const c of readFileSync(`/proc/${out[i]}/task/${t}/children`, "utf8").trim().split(/\s+/))
          if (c !== "") out.push(Number(c));
      } catch {}
    }
  }
  return out;
}

export const vmRss = (pid: number) => {
  try {
    return num(`/proc/${pid}/status`, /VmRSS:\s+(\d+) kB/) * 1024 || 0;
  } catch {
    return 0;
  }
};
export const sumRss = (pids: number[]) => pids.reduce((a, p) => a + vmRss(p), 0);

/**
 * The processes' RSS after full GCs (`gc`), once it stops moving (two readings 0.5 s apart within
 * 0.25 %, at most ~10 s): what the sessions hold, not garbage from their handshakes.
 */
export async function settledRss(pids: () => number[], gc: () => Promise<void>): Promise<number> {
  await gc();
  let prev = sumRss(pids());
  for (let i = 0; i < 20; i++) {
    await Bun.sleep(500);
    const cur = sumRss(pids());
    if (Math.abs(cur - prev) <= cur * 0.0025) return cur;
    prev = cur;
  }
  return prev;
}

/**
 * The bridge's processes run Bun.gc(true) on SIGUSR2: a one-line preload (bun --preload; the
 * supervisor starts its workers with the same Bun flags), so a reading here matches bench/ws-load.ts,
 * which collects in its own process. Nothing else in the bridge changes.
 */
export const GC_PRELOAD = `process.on("SIGUSR2", () => Bun.gc(true));\n`;

/** Three full GCs in every process of the tree, as bench/ws-load.ts and ws-load-bare.ts do. */
export async function gcTree(pid: number): Promise<void> {
  for (let i = 0; i < 3; i++) {
    for (const p of processTree(pid)) signal(p, "SIGUSR2");
    await Bun.sleep(200);
  }
}

/** Open descriptors of one process (its share of the sessions, plus a constant). */
export const fds = (pid: number) => {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
};

/** Sockets listening on 127.0.0.1:port (one per worker with SO_REUSEPORT). */
export function listeners(port: number): number {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  return readFileSync("/proc/net/tcp", "utf8")
    .split("\n")
    .filter((l) => {
      const f = l.trim().split(/\s+/);
      return f[1] === local && f[3] === "0A"; // TCP_LISTEN
    }).length;
}

export function freePort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const p = l.port;
  l.stop(true);
  return p;
}

/** A signal to one process of ours, if it is still there. */
export function signal(p: number, sig: NodeJS.Signals): void {
  try {
    process.kill(p, sig);
  } catch {}
}
