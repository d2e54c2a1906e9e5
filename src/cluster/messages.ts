// messages.ts — what the supervisor and its workers say over Bun's IPC channel (JSON): a worker
// says it serves, and pushes its numbers every second; the supervisor hands every worker the
// whole table every second. Each side reads only what it expects (anything else is ignored).

import type { WorkerEntry, WorkerSnapshot } from "./merge.ts";

/** Period of the pushes and of the broadcast. */
export const SNAPSHOT_PERIOD_MS = 1000;

export type WorkerMessage =
  { t: "ready"; index: number; pid: number } | { t: "snapshot"; snapshot: WorkerSnapshot };

export type SupervisorMessage = { t: "table"; workers: WorkerEntry[] };

const isObject = (m: unknown): m is Record<string, unknown> => typeof m === "object" && m !== null;

export function readWorkerMessage(m: unknown): WorkerMessage | null {
  if (!isObject(m)) return null;
  if (m.t === "ready" && typeof m.index === "number" && typeof m.pid === "number") return m as WorkerMessage;
  if (m.t === "snapshot" && isObject(m.snapshot) && typeof m.snapshot.index === "number")
    return m as WorkerMessage;
  return null;
}

export function readSupervisorMessage(m: unknown): SupervisorMessage | null {
  if (!isObject(m) || m.t !== "table" || !Array.isArray(m.workers)) return null;
  return m as SupervisorMessage;
}
