// store.ts — the contract between the ledger's front (ledger.ts: queue, group commit, retry, bound,
// health) and its backends (sqlite.ts, postgres.ts), and the types callers see. A backend commits
// one batch in one transaction and answers queries; it never queues, retries or calls back: the
// front does. A batch is idempotent twice over: its random id is recorded in the same transaction
// (a retried batch whose first commit did succeed, its reply lost, is recognised and not applied
// again: rejects and pool results are not counted twice), and every credit's key is unique in the
// shares table (a share credited again, by any batch, counts once).

export type PoolResultKind = "accepted" | "rejected" | "stale" | "lost";

export interface Credit {
  worker: string;
  difficulty: number;
  /** Unix milliseconds. */
  at: number;
  /** Idempotency key (upstream extranonce1 ‖ job ‖ tail), at most 64 bytes. */
  key: Uint8Array;
}

export interface BlockRecord {
  at: number;
  worker: string;
  height: number | null;
  hash: string;
  result: string;
}

export type BlockRow = BlockRecord;

/** What the ledger counts per worker, in a minute's bucket or in total. */
export interface ShareCounts {
  worker: string;
  accepted: number;
  /** Sum of the credited difficulty of accepted shares: what payouts are proportional to. */
  acceptedDifficulty: number;
  rejected: number;
  poolAccepted: number;
  poolRejected: number;
  poolStale: number;
  poolLost: number;
}

export interface WorkerTotals extends ShareCounts {
  /** Unix milliseconds of the worker's first counted event. */
  firstSeen: number;
  lastShare: number | null;
}

export interface HistoryRow extends ShareCounts {
  /** Unix milliseconds, the start of the minute. */
  minute: number;
  /** Rejected shares by reject code ("0": counted before codes were kept). */
  rejectedByCode: Record<string, number>;
}

/** A bridge's heartbeat row (the fleet view: every bridge writing to one ledger database). */
export interface BridgeBeat {
  /** Unique per bridge process (e.g. host:pid:startedAt). */
  id: string;
  host: string;
  pid: number;
  /** Unix ms. */
  startedAt: number;
  /** Unix ms of this heartbeat. */
  seenAt: number;
  /** The bridge's /stats (JSON-serialisable). */
  stats: unknown;
}

export interface RejectEvent {
  worker: string;
  code: number;
  at: number;
}

export interface PoolEvent {
  worker: string;
  result: PoolResultKind;
  at: number;
}

/** What one transaction carries. */
export interface Batch {
  /** 16 random bytes: recorded with the batch, so a replay is recognised. */
  id: Uint8Array;
  /** Unix ms when the batch was made (its id is pruned with the share keys). */
  at: number;
  credits: Credit[];
  rejects: RejectEvent[];
  pools: PoolEvent[];
  blocks: BlockRecord[];
  /** Delete share keys and batch ids before `keysBefore`, history and blocks before `historyBefore`. */
  prune: { keysBefore: number; historyBefore: number | null } | null;
}

export interface CommitResult {
  /** Credits newly in the ledger (their keys were not there). */
  inserted: number;
  /** Credits whose key was already there (counted once, earlier). */
  duplicates: number;
  /** The batch id was already there: an earlier attempt committed it; nothing was applied now. */
  replayed: boolean;
}

export interface HistoryQuery {
  worker?: string;
  /** Unix ms, inclusive: minutes starting at or after. */
  from: number;
  /** Unix ms, exclusive. */
  to: number;
}

export interface Store {
  readonly kind: "sqlite" | "postgres";
  /**
   * commit() returns its result, not a promise (SQLite): the front then commits inside the turn
   * that queued the work, callbacks included, with no promise hop per batch.
   */
  readonly synchronous: boolean;
  /** Connects and creates or migrates the schema (SQLite: done at open; a no-op). */
  open(): Promise<void>;
  commit(batch: Batch): CommitResult | Promise<CommitResult>;
  totals(worker?: string): Promise<WorkerTotals[]>;
  history(q: HistoryQuery): Promise<HistoryRow[]>;
  blocks(q: { from: number; to: number }): Promise<BlockRow[]>;
  heartbeat(b: BridgeBeat): Promise<void>;
  fleet(seenSince: number): Promise<BridgeBeat[]>;
  /** Drops the connections (a commit that hung): the next call connects afresh. */
  reset(): void;
  close(): Promise<void>;
}
