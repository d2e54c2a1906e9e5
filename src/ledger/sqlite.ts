// sqlite.ts — the embedded ledger backend (bun:sqlite). WAL with synchronous=FULL by default: a
// commit returns only after the WAL is fsynced, so an acknowledged share survives kill -9 and a
// power cut (NORMAL survives kill -9 only). One batch is one BEGIN IMMEDIATE transaction (several
// worker processes may share the file: busy_timeout 5000 makes them take turns), its rows written
// by multi-row statements: shares CHUNK to an INSERT … ON CONFLICT DO NOTHING RETURNING (the rows it
// gives back are the new credits), then one history upsert per (worker, minute) of the batch.

import { Database, type Statement } from "bun:sqlite";
import { aggregate, type Bucket, type InsertedShare, type RejectBucket } from "./aggregate.ts";
import { asLedgerError } from "./errors.ts";
import {
  historyParams,
  SQL_BLOCKS,
  SQL_FLEET,
  SQL_HISTORY,
  SQL_HISTORY_WORKER,
  SQL_REJECTS,
  SQL_REJECTS_WORKER,
  SQL_TOTALS,
  SQL_WORKER_TOTALS,
  toBeat,
  toBlock,
  toHistory,
  toTotals,
} from "./queries.ts";
import { migrateSqlite } from "./schema-sqlite.ts";
import type {
  Batch,
  BlockRow,
  BridgeBeat,
  CommitResult,
  HistoryQuery,
  HistoryRow,
  Store,
  WorkerTotals,
} from "./store.ts";

/** Rows per multi-row statement: 128 × 11 parameters stays far below SQLite's 32766. */
const CHUNK = 128;

type Params = (string | number | null | Uint8Array)[];

/** A multi-row statement: `head` + `rows` × `row` + `tail`, prepared once per row count. */
class MultiRow {
  readonly #cache = new Map<number, Statement>();
  constructor(
    private readonly db: Database,
    private readonly head: string,
    private readonly row: string,
    private readonly tail: string,
  ) {}
  statement(rows: number): Statement {
    let st = this.#cache.get(rows);
    if (st === undefined) {
      st = this.db.prepare(`${this.head} ${Array(rows).fill(this.row).join(", ")} ${this.tail}`);
      this.#cache.set(rows, st);
    }
    return st;
  }
  /** Runs `items` CHUNK at a time; returns what the statements returned (RETURNING rows). */
  all<T>(items: readonly T[], params: (item: T, out: Params) => void): unknown[] {
    const out: unknown[] = [];
    for (let i = 0; i < items.length; i += CHUNK) {
      const end = Math.min(items.length, i + CHUNK);
      const p: Params = [];
      for (let k = i; k < end; k++) params(items[k]!, p);
      const rows = this.statement(end - i).all(...p);
      for (const r of rows) out.push(r);
    }
    return out;
  }
}

const sqliteParams = (sql: string) => sql.replace(/\$(\d+)/g, "?$1");

export class SqliteStore implements Store {
  readonly kind = "sqlite" as const;
  readonly synchronous = true;
  readonly #db: Database;
  readonly #where: string;
  readonly #batch: Statement;
  readonly #shares: MultiRow;
  readonly #history: MultiRow;
  readonly #rejects: MultiRow;
  readonly #block: Statement;

  /** Opens (creating if need be) and migrates: throws E_LEDGER or E_LEDGER_VERSION. */
  constructor(path: string, synchronous: "FULL" | "NORMAL") {
    this.#where = path === "" ? "(in memory)" : path;
    try {
      this.#db = new Database(path === "" ? ":memory:" : path, { create: true, strict: true });
    } catch (e) {
      throw asLedgerError(
        e,
        `cannot open the share ledger ${this.#where}`,
        { target: path },
        "E_LEDGER_OPEN",
      );
    }
    const db = this.#db;
    try {
      // Another worker process writing (or migrating) the same file: wait for it rather than fail;
      // first, so switching to WAL and the migration wait too.
      db.exec("PRAGMA busy_timeout = 5000");
      if (path !== "") db.exec("PRAGMA journal_mode = WAL");
      db.exec(`PRAGMA synchronous = ${synchronous}`);
      migrateSqlite(db, this.#where);
      this.#batch = db.prepare(
        "INSERT INTO batches (id, at) VALUES (?1, ?2) ON CONFLICT DO NOTHING RETURNING id",
      );
      this.#shares = new MultiRow(
        db,
        "INSERT INTO shares (key, worker, at, difficulty) VALUES",
        "(?, ?, ?, ?)",
        "ON CONFLICT DO NOTHING RETURNING worker, at, difficulty",
      );
      this.#history = new MultiRow(
        db,
        "INSERT INTO history (worker, minute, accepted, accepted_difficulty, rejected, pool_accepted, " +
          "pool_rejected, pool_stale, pool_lost, first_at, last_share) VALUES",
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        "ON CONFLICT (worker, minute) DO UPDATE SET accepted = accepted + excluded.accepted, " +
          "accepted_difficulty = accepted_difficulty + excluded.accepted_difficulty, " +
          "rejected = rejected + excluded.rejected, pool_accepted = pool_accepted + excluded.pool_accepted, " +
          "pool_rejected = pool_rejected + excluded.pool_rejected, pool_stale = pool_stale + excluded.pool_stale, " +
          "pool_lost = pool_lost + excluded.pool_lost, first_at = min(first_at, excluded.first_at), " +
          "last_share = max(coalesce(last_share, excluded.last_share), coalesce(excluded.last_share, last_share))",
      );
      this.#rejects = new MultiRow(
        db,
        "INSERT INTO rejects (worker, minute, code, count) VALUES",
        "(?, ?, ?, ?)",
        "ON CONFLICT (worker, minute, code) DO UPDATE SET count = count + excluded.count",
      );
      this.#block = db.prepare(
        "INSERT INTO blocks (at, worker, height, hash, result) VALUES (?1, ?2, ?3, ?4, ?5)",
      );
    } catch (e) {
      db.close();
      throw asLedgerError(e, `cannot use the share ledger ${this.#where}`, { target: path });
    }
  }

  async open(): Promise<void> {}

  commit(batch: Batch): CommitResult {
    return this.#db
      .transaction((): CommitResult => {
        if (this.#batch.get(batch.id, batch.at) === null)
          return { inserted: 0, duplicates: 0, replayed: true };
        if (batch.prune !== null) this.#prune(batch.prune.keysBefore, batch.prune.historyBefore);
        const inserted = this.#shares.all(batch.credits, (c, p) =>
          p.push(c.key, c.worker, c.at, c.difficulty),
        ) as InsertedShare[];
        const { buckets, rejectBuckets } = aggregate(inserted, batch.rejects, batch.pools);
        this.#history.all(buckets, (b: Bucket, p) =>
          p.push(
            b.worker,
            b.minute,
            b.accepted,
            b.acceptedDifficulty,
            b.rejected,
            b.poolAccepted,
            b.poolRejected,
            b.poolStale,
            b.poolLost,
            b.firstAt,
            b.lastShare,
          ),
        );
        this.#rejects.all(rejectBuckets, (r: RejectBucket, p) => p.push(r.worker, r.minute, r.code, r.count));
        for (const b of batch.blocks) this.#block.run(b.at, b.worker, b.height, b.hash, b.result);
        return {
          inserted: inserted.length,
          duplicates: batch.credits.length - inserted.length,
          replayed: false,
        };
      })
      .immediate();
  }

  #prune(keysBefore: number, historyBefore: number | null): void {
    this.#db.query("DELETE FROM shares WHERE at < ?1").run(keysBefore);
    this.#db.query("DELETE FROM batches WHERE at < ?1").run(keysBefore);
    if (historyBefore === null) return;
    this.#db.query("DELETE FROM history WHERE minute < ?1").run(historyBefore);
    this.#db.query("DELETE FROM rejects WHERE minute < ?1").run(historyBefore);
    this.#db.query("DELETE FROM blocks WHERE at < ?1").run(historyBefore);
  }

  #all(sql: string, params: unknown[]): Record<string, unknown>[] {
    return this.#db.query(sqliteParams(sql)).all(...(params as Params)) as Record<string, unknown>[];
  }

  async totals(worker?: string): Promise<WorkerTotals[]> {
    return (worker === undefined ? this.#all(SQL_TOTALS, []) : this.#all(SQL_WORKER_TOTALS, [worker])).map(
      toTotals,
    );
  }

  async history(q: HistoryQuery): Promise<HistoryRow[]> {
    const p = historyParams(q);
    const w = q.worker !== undefined;
    return toHistory(
      this.#all(w ? SQL_HISTORY_WORKER : SQL_HISTORY, p),
      this.#all(w ? SQL_REJECTS_WORKER : SQL_REJECTS, p),
    );
  }

  async blocks(q: { from: number; to: number }): Promise<BlockRow[]> {
    return this.#all(SQL_BLOCKS, [q.from, q.to]).map(toBlock);
  }

  async heartbeat(b: BridgeBeat): Promise<void> {
    this.#db
      .query(
        "INSERT INTO bridges (id, host, pid, started_at, seen_at, stats) VALUES (?1, ?2, ?3, ?4, ?5, ?6) " +
          "ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, started_at = excluded.started_at, " +
          "seen_at = excluded.seen_at, stats = excluded.stats",
      )
      .run(b.id, b.host, b.pid, b.startedAt, b.seenAt, JSON.stringify(b.stats ?? null));
  }

  async fleet(seenSince: number): Promise<BridgeBeat[]> {
    return this.#all(SQL_FLEET, [seenSince]).map(toBeat);
  }

  reset(): void {}

  async close(): Promise<void> {
    this.#db.close();
  }
}
