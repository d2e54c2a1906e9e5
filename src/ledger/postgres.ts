// postgres.ts — the PostgreSQL ledger backend (Bun.SQL, built into Bun). One batch is one
// transaction whose rows go in as arrays (INSERT … SELECT FROM unnest($1::bytea[], …)): a handful of
// statements per batch whatever its size. A small pool: the front commits one batch at a time, so
// one connection commits while another serves reads and heartbeats. Bun.SQL reconnects by itself on
// the next query once the server is back, and a query on a dead server fails at once (connection
// refused) or after connectionTimeout; a query that hangs on a live socket is the front's to time
// out, which then calls reset() to drop these connections and start afresh.

import { SQL } from "bun";
import { aggregate, type InsertedShare } from "./aggregate.ts";
import { LedgerError, redactTarget, type LedgerErrorCode } from "./errors.ts";
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
import { migratePostgres } from "./schema-postgres.ts";
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

/** Seconds to establish a connection: a dead or unreachable server fails a commit this fast. */
const CONNECT_TIMEOUT_S = 2;
const POOL_MAX = 3;

const INSERT_SHARES =
  "INSERT INTO shares (key, worker, at, difficulty) " +
  "SELECT * FROM unnest($1::bytea[], $2::text[], $3::int8[], $4::float8[]) " +
  "ON CONFLICT DO NOTHING RETURNING worker, at, difficulty";

const UPSERT_HISTORY =
  "INSERT INTO history AS h (worker, minute, accepted, accepted_difficulty, rejected, pool_accepted, pool_rejected, " +
  "pool_stale, pool_lost, first_at, last_share) SELECT * FROM unnest($1::text[], $2::int8[], $3::int8[], " +
  "$4::float8[], $5::int8[], $6::int8[], $7::int8[], $8::int8[], $9::int8[], $10::int8[], $11::int8[]) " +
  "ON CONFLICT (worker, minute) DO UPDATE SET accepted = h.accepted + excluded.accepted, " +
  "accepted_difficulty = h.accepted_difficulty + excluded.accepted_difficulty, rejected = h.rejected + excluded.rejected, " +
  "pool_accepted = h.pool_accepted + excluded.pool_accepted, pool_rejected = h.pool_rejected + excluded.pool_rejected, " +
  "pool_stale = h.pool_stale + excluded.pool_stale, pool_lost = h.pool_lost + excluded.pool_lost, " +
  "first_at = LEAST(h.first_at, excluded.first_at), last_share = GREATEST(h.last_share, excluded.last_share)";

const UPSERT_REJECTS =
  "INSERT INTO rejects AS r (worker, minute, code, count) " +
  "SELECT * FROM unnest($1::text[], $2::int8[], $3::text[], $4::int8[]) " +
  "ON CONFLICT (worker, minute, code) DO UPDATE SET count = r.count + excluded.count";

const INSERT_BLOCKS =
  "INSERT INTO blocks (at, worker, height, hash, result) " +
  "SELECT * FROM unnest($1::int8[], $2::text[], $3::int8[], $4::text[], $5::text[])";

/** The coded error for a failure to reach or log in to PostgreSQL (null: not a connection problem). */
export function connectionCode(e: unknown): LedgerErrorCode | null {
  const { code, errno } = (e ?? {}) as { code?: string; errno?: string };
  // SQLSTATE class 28: invalid authorization (28P01 wrong password, 28000 no pg_hba entry / role).
  if (typeof errno === "string" && errno.startsWith("28")) return "E_LEDGER_AUTH";
  if (errno === "3D000") return "E_LEDGER_CONNECT"; // no such database
  if (
    typeof code === "string" &&
    /CONNECTION|TLS|SSL|ECONNREFUSED|ENOTFOUND|EAI_|ETIMEDOUT|EHOSTUNREACH|ECONNRESET/.test(code)
  )
    return "E_LEDGER_CONNECT";
  return null;
}

export class PostgresStore implements Store {
  readonly kind = "postgres" as const;
  readonly synchronous = false;
  readonly #url: string;
  readonly #where: string;
  #sql: SQL;

  constructor(url: string) {
    this.#url = url;
    this.#where = redactTarget(url);
    this.#sql = this.#client();
  }

  #client(): SQL {
    return new SQL(this.#url, { max: POOL_MAX, connectionTimeout: CONNECT_TIMEOUT_S, idleTimeout: 300 });
  }

  /** `e` as E_LEDGER_AUTH / E_LEDGER_CONNECT / E_LEDGER, with one clear message. */
  #error(e: unknown, what: string): LedgerError {
    if (e instanceof LedgerError) return e;
    const code = connectionCode(e) ?? "E_LEDGER";
    const pg = (e ?? {}) as { code?: string; errno?: string };
    const tag = [pg.errno, pg.code].filter((x) => typeof x === "string").join(" ");
    const why =
      code === "E_LEDGER_AUTH"
        ? `PostgreSQL refused the credentials for ${this.#where}`
        : code === "E_LEDGER_CONNECT"
          ? `cannot connect to PostgreSQL at ${this.#where}`
          : `${what} (${this.#where})`;
    const message = e instanceof Error ? e.message : String(e);
    return new LedgerError(
      code,
      `${why}: ${message}${tag === "" ? "" : ` (${tag})`}`,
      { target: this.#where, pg: tag },
      {
        cause: e,
      },
    );
  }

  async open(): Promise<void> {
    try {
      await migratePostgres(this.#sql, this.#where);
    } catch (e) {
      throw this.#error(e, "cannot create the ledger schema");
    }
  }

  async commit(batch: Batch): Promise<CommitResult> {
    try {
      return await this.#sql.begin(async (tx) => {
        const fresh = await tx.unsafe(
          "INSERT INTO batches (id, at) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1",
          [batch.id, batch.at],
        );
        if (fresh.length === 0) return { inserted: 0, duplicates: 0, replayed: true };
        if (batch.prune !== null) {
          await tx.unsafe("DELETE FROM shares WHERE at < $1", [batch.prune.keysBefore]);
          await tx.unsafe("DELETE FROM batches WHERE at < $1", [batch.prune.keysBefore]);
          const before = batch.prune.historyBefore;
          if (before !== null) {
            await tx.unsafe("DELETE FROM history WHERE minute < $1", [before]);
            await tx.unsafe("DELETE FROM rejects WHERE minute < $1", [before]);
            await tx.unsafe("DELETE FROM blocks WHERE at < $1", [before]);
          }
        }
        const c = batch.credits;
        const inserted: InsertedShare[] =
          c.length === 0
            ? []
            : await tx.unsafe(INSERT_SHARES, [
                c.map((x) => x.key),
                c.map((x) => x.worker),
                c.map((x) => x.at),
                c.map((x) => x.difficulty),
              ]);
        const { buckets: b, rejectBuckets: r } = aggregate(inserted, batch.rejects, batch.pools);
        if (b.length > 0) {
          await tx.unsafe(UPSERT_HISTORY, [
            b.map((x) => x.worker),
            b.map((x) => x.minute),
            b.map((x) => x.accepted),
            b.map((x) => x.acceptedDifficulty),
            b.map((x) => x.rejected),
            b.map((x) => x.poolAccepted),
            b.map((x) => x.poolRejected),
            b.map((x) => x.poolStale),
            b.map((x) => x.poolLost),
            b.map((x) => x.firstAt),
            b.map((x) => x.lastShare),
          ]);
        }
        if (r.length > 0) {
          await tx.unsafe(UPSERT_REJECTS, [
            r.map((x) => x.worker),
            r.map((x) => x.minute),
            r.map((x) => x.code),
            r.map((x) => x.count),
          ]);
        }
        const k = batch.blocks;
        if (k.length > 0) {
          await tx.unsafe(INSERT_BLOCKS, [
            k.map((x) => x.at),
            k.map((x) => x.worker),
            k.map((x) => x.height),
            k.map((x) => x.hash),
            k.map((x) => x.result),
          ]);
        }
        return { inserted: inserted.length, duplicates: c.length - inserted.length, replayed: false };
      });
    } catch (e) {
      throw this.#error(e, "share ledger commit failed");
    }
  }

  async #all(query: string, params: unknown[], what: string): Promise<Record<string, unknown>[]> {
    try {
      return (await this.#sql.unsafe(query, params)) as Record<string, unknown>[];
    } catch (e) {
      throw this.#error(e, what);
    }
  }

  async totals(worker?: string): Promise<WorkerTotals[]> {
    const rows =
      worker === undefined
        ? await this.#all(SQL_TOTALS, [], "cannot read the totals")
        : await this.#all(SQL_WORKER_TOTALS, [worker], "cannot read the totals");
    return rows.map(toTotals);
  }

  async history(q: HistoryQuery): Promise<HistoryRow[]> {
    const p = historyParams(q);
    const w = q.worker !== undefined;
    const rows = await this.#all(w ? SQL_HISTORY_WORKER : SQL_HISTORY, p, "cannot read the history");
    const rejects = await this.#all(w ? SQL_REJECTS_WORKER : SQL_REJECTS, p, "cannot read the history");
    return toHistory(rows, rejects);
  }

  async blocks(q: { from: number; to: number }): Promise<BlockRow[]> {
    return (await this.#all(SQL_BLOCKS, [q.from, q.to], "cannot read the blocks")).map(toBlock);
  }

  async heartbeat(b: BridgeBeat): Promise<void> {
    await this.#all(
      "INSERT INTO bridges (id, host, pid, started_at, seen_at, stats) VALUES ($1, $2, $3, $4, $5, $6) " +
        "ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, started_at = excluded.started_at, " +
        "seen_at = excluded.seen_at, stats = excluded.stats",
      [b.id, b.host, b.pid, b.startedAt, b.seenAt, JSON.stringify(b.stats ?? null)],
      "cannot write the heartbeat",
    );
  }

  async fleet(seenSince: number): Promise<BridgeBeat[]> {
    return (await this.#all(SQL_FLEET, [seenSince], "cannot read the fleet")).map(toBeat);
  }

  reset(): void {
    const old = this.#sql;
    this.#sql = this.#client();
    void old.close({ timeout: 0 }).catch(() => {});
  }

  async close(): Promise<void> {
    await this.#sql.close({ timeout: 1 }).catch(() => {});
  }
}
