// errors.ts — the coded errors of worker processes (src/cluster/): a worker that could not start,
// a port the supervisor could not claim, a worker without its supervisor's IPC channel.

import { CodedError } from "../util/errors.ts";

export type ClusterErrorCode =
  /** A worker exited before it was ready (its own line says why). */
  | "E_CLUSTER_START"
  /** A port the workers are to share is taken, or no free port could be picked. */
  | "E_CLUSTER_PORT"
  /** VBRIDGE_WORKER / VBRIDGE_CLUSTER set without a supervisor's IPC channel, or unreadable. */
  | "E_CLUSTER_ENV";

export class ClusterError extends CodedError<ClusterErrorCode> {}
