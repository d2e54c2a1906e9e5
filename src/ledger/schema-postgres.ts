// schema-postgres.ts — the PostgreSQL ledger's schema (the same tables as schema-sqlite.ts, in
// PostgreSQL's types) and its version, kept in a schema_version table. Several bridges may start at
// once against one database: the migration holds a transaction-scoped advisory lock, so one creates
// the tables and the others then find version 2.

import type { SQL } from "bun";
import { LedgerError } from "./errors.ts";
import { SCHEMA_VERSION } from "./schema-sqlite.ts";

/** pg_advisory_xact_lock key: "vbridge ledger migration" (any constant shared by all bridges). */
const MIGRATION_LOCK = 0x7662_6c65_6467;

const V2_TABLES = `
CREATE TABLE shares (
  key BYTEA PRIMARY KEY,
  worker TEXT NOT NULL,
  at BIGINT NOT NULL,
  difficulty DOUBLE PRECISION NOT NULL
);
CREATE INDEX shares_at ON shares (at);
CREATE TABLE batches (id BYTEA PRIMARY KEY, at BIGINT NOT NULL);
CREATE TABLE history (
  worker TEXT NOT NULL,
  minute BIGINT NOT NULL,
  accepted BIGINT NOT NULL DEFAULT 0,
  accepted_difficulty DOUBLE PRECISION NOT NULL DEFAULT 0,
  rejected BIGINT NOT NULL DEFAULT 0,
  pool_accepted BIGINT NOT NULL DEFAULT 0,
  pool_rejected BIGINT NOT NULL DEFAULT 0,
  pool_stale BIGINT NOT NULL DEFAULT 0,
  pool_lost BIGINT NOT NULL DEFAULT 0,
  first_at BIGINT NOT NULL,
  last_share BIGINT,
  PRIMARY KEY (worker, minute)
);
CREATE INDEX history_minute ON history (minute);
CREATE TABLE rejects (
  worker TEXT NOT NULL,
  minute BIGINT NOT NULL,
  code TEXT NOT NULL,
  count BIGINT NOT NULL,
  PRIMARY KEY (worker, minute, code)
);
CREATE TABLE blocks (
  at BIGINT NOT NULL,
  worker TEXT NOT NULL,
  height BIGINT,
  hash TEXT NOT NULL,
  result TEXT NOT NULL
);
CREATE INDEX blocks_at ON blocks (at);
CREATE TABLE bridges (
  id TEXT PRIMARY KEY,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  started_at BIGINT NOT NULL,
  seen_at BIGINT NOT NULL,
  stats TEXT NOT NULL
);
`;

/** Creates the schema or checks its version; throws E_LEDGER_VERSION for a newer database. */
export async function migratePostgres(sql: SQL, where: string): Promise<void> {
  await sql.begin(async (tx) => {
    await tx.unsafe(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
    await tx.unsafe("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
    const rows = (await tx.unsafe("SELECT max(version) AS v FROM schema_version")) as { v: number | null }[];
    const version = Number(rows[0]?.v ?? 0);
    if (version > SCHEMA_VERSION) {
      throw new LedgerError(
        "E_LEDGER_VERSION",
        `the share ledger ${where} has schema ${version}; this vbridge knows up to ${SCHEMA_VERSION}`,
        { target: where, version },
      );
    }
    if (version === SCHEMA_VERSION) return;
    await tx.unsafe(V2_TABLES);
    await tx.unsafe(`INSERT INTO schema_version (version) VALUES (${SCHEMA_VERSION})`);
  });
}
