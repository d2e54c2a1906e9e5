// backends.ts — the two ledger backends as the shared suite (suite.ts) sees them: a fresh, empty
// ledger target per test (a SQLite file in a temporary directory; a new database on one real
// PostgreSQL per test file, password-protected so a wrong password can be tested), a way to count
// rows through another connection than the ledger's, and the raw store for fault wrappers.

import { Database } from "bun:sqlite";
import { SQL } from "bun";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PostgresStore } from "../../src/ledger/postgres.ts";
import { SqliteStore } from "../../src/ledger/sqlite.ts";
import type { Store } from "../../src/ledger/store.ts";
import { startPostgres, type Postgres } from "../support/postgres.ts";

export interface Backend {
  readonly name: "sqlite" | "postgres";
  setup(): Promise<void>;
  teardown(): Promise<void>;
  /** A new, empty ledger target. */
  fresh(): Promise<string>;
  /** `SELECT count(*) FROM table` through a connection of its own. */
  count(target: string, table: string): Promise<number>;
  /** Runs statements through a connection of its own (schema surgery for a test). */
  exec(target: string, sql: string): Promise<void>;
  store(target: string): Store;
}

export function sqliteBackend(): Backend {
  const dirs: string[] = [];
  return {
    name: "sqlite",
    async setup() {},
    async teardown() {
      for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    },
    async fresh() {
      const d = mkdtempSync(join(tmpdir(), "vbridge-ledger-"));
      dirs.push(d);
      return join(d, "ledger.sqlite");
    },
    async count(target, table) {
      const db = new Database(target, { readonly: true });
      try {
        return (db.query(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
      } finally {
        db.close();
      }
    },
    async exec(target, sql) {
      const db = new Database(target);
      db.exec(sql);
      db.close();
    },
    store: (target) => new SqliteStore(target, "FULL"),
  };
}

export const PG_PASSWORD = "ledger-test-pw";

export function postgresBackend(): Backend & { server(): Postgres } {
  let pg: Postgres | undefined;
  let n = 0;
  const withClient = async <T>(url: string, f: (sql: SQL) => Promise<T>): Promise<T> => {
    const sql = new SQL(url, { max: 1, connectionTimeout: 5 });
    try {
      return await f(sql);
    } finally {
      await sql.close();
    }
  };
  return {
    name: "postgres",
    server: () => pg!,
    async setup() {
      pg = await startPostgres({ password: PG_PASSWORD });
    },
    async teardown() {
      await pg?.remove();
    },
    async fresh() {
      const db = `ledger_${process.pid}_${++n}`;
      await withClient(pg!.url, (sql) => sql.unsafe(`CREATE DATABASE ${db}`));
      return pg!.url.replace(/\/postgres$/, `/${db}`);
    },
    count: (target, table) =>
      withClient(target, async (sql) =>
        Number((await sql.unsafe(`SELECT count(*) AS n FROM ${table}`))[0].n),
      ),
    exec: (target, statements) => withClient(target, async (sql) => void (await sql.unsafe(statements))),
    store: (target) => new PostgresStore(target),
  };
}
