// settings.ts — what a worker process is told by its supervisor, and how: the worker's index in
// VBRIDGE_WORKER, the ports every worker binds (already claimed by the supervisor, so port 0 means
// the same concrete port in each) and the built-in pool's URL in VBRIDGE_CLUSTER (JSON); the
// command line that starts the same program again; bridge.workers resolved ("auto": the cores).

import { availableParallelism } from "node:os";
import { ClusterError } from "./errors.ts";

/** The worker's index (0..N-1); set only in worker processes. */
export const WORKER_ENV = "VBRIDGE_WORKER";
/** The ClusterPlan as JSON; set only in worker processes. */
export const CLUSTER_ENV = "VBRIDGE_CLUSTER";

/** The same for every worker of one supervisor. */
export interface ClusterPlan {
  workers: number;
  /** The HTTP/WebSocket port and the Stratum ports (0: off), concrete. */
  port: number;
  stratumPort: number;
  stratumTlsPort: number;
  /** stratum+tcp:// URL of the supervisor's built-in pool, standing for "builtin"; null: none. */
  pool: string | null;
  /** Unix ms: the supervisor's start (the bridge's uptime). */
  startedAt: number;
}

export interface WorkerRole {
  index: number;
  plan: ClusterPlan;
}

/** bridge.workers → a count ("auto": one per core the process may use). */
export function workerCount(setting: number | "auto", cores = availableParallelism()): number {
  return setting === "auto" ? Math.max(1, Math.min(256, cores)) : setting;
}

/** The environment of worker `index`. */
export function workerEnv(index: number, plan: ClusterPlan): Record<string, string> {
  return { [WORKER_ENV]: String(index), [CLUSTER_ENV]: JSON.stringify(plan) };
}

/** This process's role: null when it is not a worker (no VBRIDGE_WORKER); E_CLUSTER_ENV if garbled. */
export function workerRole(env: Readonly<Record<string, string | undefined>>): WorkerRole | null {
  const raw = env[WORKER_ENV];
  if (raw === undefined || raw === "") return null;
  const index = Number(raw);
  let plan: ClusterPlan | null = null;
  try {
    plan = JSON.parse(env[CLUSTER_ENV] ?? "") as ClusterPlan;
  } catch {
    plan = null;
  }
  const port = (p: unknown) => Number.isInteger(p) && (p as number) >= 0 && (p as number) <= 65535;
  if (
    !Number.isInteger(index) ||
    plan === null ||
    typeof plan !== "object" ||
    !Number.isInteger(plan.workers) ||
    index < 0 ||
    index >= plan.workers ||
    !port(plan.port) ||
    !port(plan.stratumPort) ||
    !port(plan.stratumTlsPort) ||
    !(plan.pool === null || typeof plan.pool === "string") ||
    typeof plan.startedAt !== "number"
  )
    throw new ClusterError(
      "E_CLUSTER_ENV",
      `${WORKER_ENV}/${CLUSTER_ENV} are set but unreadable: a worker process is started by its supervisor (bridge.workers > 1)`,
    );
  return { index, plan };
}

/**
 * The command line that runs this program again with the same arguments: `bun [flags] main.ts …`
 * in development, the executable alone when compiled (bun build --compile: argv[1] is the
 * embedded entry point under /$bunfs/, which the executable runs by itself).
 */
export function selfCommand(
  execPath = process.execPath,
  argv: readonly string[] = process.argv,
  execArgv: readonly string[] = process.execArgv,
): string[] {
  const script = argv[1];
  const compiled = script === undefined || script.startsWith("/$bunfs/") || script.startsWith("B:/~BUN/");
  return compiled ? [execPath, ...argv.slice(2)] : [execPath, ...execArgv, script, ...argv.slice(2)];
}
