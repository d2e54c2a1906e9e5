// batch.ts — the front's bookkeeping (ledger.ts): the operations it queues, the batch one
// transaction carries (built from them), the time limit on a commit, and the flush() waiters (each
// waits for a sequence number: everything queued before its call).

import { LedgerError } from "./errors.ts";
import type { Batch, BlockRecord, Credit, PoolResultKind } from "./store.ts";

export type Done = (error: LedgerError | null) => void;

export type Op =
  | { kind: "credit"; credit: Credit; done: Done }
  | { kind: "reject"; worker: string; code: number; at: number }
  | { kind: "pool"; worker: string; result: PoolResultKind; at: number }
  | { kind: "block"; block: BlockRecord }
  | { kind: "prune" };

/** A batch being committed; `settled` once its callbacks ran (committed, or given up by close). */
export interface InFlight {
  ops: Op[];
  settled: boolean;
}

const DAY_MS = 86_400_000;
/**
 * How long a share key (and a batch id) is kept: long enough for every retry of a commit (they run
 * within seconds, in the process that made the key; a miner who reconnects gets a new lease, so new
 * keys), short enough that a busy fleet's table stays small (100,000 browsers at a share per 15 s
 * put 6,700 keys a second into it: ~24 million an hour).
 */
export const KEY_RETENTION_MS = 3_600_000;

/** One transaction's worth: a fresh random id, the operations by kind, pruning cutoffs if asked. */
export function makeBatch(ops: readonly Op[], now: number, retentionDays: number): Batch {
  const b: Batch = {
    id: crypto.getRandomValues(new Uint8Array(16)),
    at: now,
    credits: [],
    rejects: [],
    pools: [],
    blocks: [],
    prune: null,
  };
  for (const op of ops) {
    if (op.kind === "credit") b.credits.push(op.credit);
    else if (op.kind === "reject") b.rejects.push(op);
    else if (op.kind === "pool") b.pools.push(op);
    else if (op.kind === "block") b.blocks.push(op.block);
    // Share keys (and batch ids) KEY_RETENTION_MS; history and blocks retentionDays (0: forever).
    else
      b.prune = {
        keysBefore: now - KEY_RETENTION_MS,
        historyBefore: retentionDays > 0 ? now - retentionDays * DAY_MS : null,
      };
  }
  return b;
}

/**
 * `p`, or E_LEDGER after `ms` (then `onTimeout()`: the backend drops its connections). A synchronous
 * result (SQLite) is returned as it is.
 */
export async function withTimeout<T>(p: T | Promise<T>, ms: number, onTimeout: () => void): Promise<T> {
  if (!(p instanceof Promise)) return p;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new LedgerError("E_LEDGER", `a commit got no answer within ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

interface Waiter {
  seq: number;
  resolve: () => void;
}

/** flush() callers, each resolved once the operations up to its sequence number are done. */
export class Waiters {
  #list: Waiter[] = [];

  wait(seq: number): Promise<void> {
    return new Promise((resolve) => this.#list.push({ seq, resolve }));
  }

  wake(doneSeq: number): void {
    if (this.#list.length === 0) return;
    const still: Waiter[] = [];
    for (const w of this.#list) {
      if (w.seq <= doneSeq) w.resolve();
      else still.push(w);
    }
    this.#list = still;
  }
}
