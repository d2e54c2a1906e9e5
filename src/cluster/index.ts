// index.ts — worker processes on one box (bridge.workers > 1): the supervisor, a worker's link to
// it, and the merge of their numbers.

export { ClusterError, type ClusterErrorCode } from "./errors.ts";
export { DEFAULT_RESTART, restartDelay, type RestartPolicy } from "./backoff.ts";
export { addUp, mergeBox, type WorkerEntry, type WorkerSnapshot } from "./merge.ts";
export { claimPorts } from "./ports.ts";
export {
  CLUSTER_ENV,
  selfCommand,
  WORKER_ENV,
  workerCount,
  workerRole,
  type ClusterPlan,
  type WorkerRole,
} from "./settings.ts";
export { Supervisor, type SupervisorOptions } from "./supervisor.ts";
export { WorkerLink, type WorkerLinkOptions } from "./worker-link.ts";
