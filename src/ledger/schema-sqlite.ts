// schema-sqlite.ts — the SQLite ledger's schema (PRAGMA user_version) and its migrations.
// v1 (vbridge before issue 12): one `workers` row of running totals per worker. v2: idempotency
// keys (shares, kept an hour), batch ids (replayed batches), history per worker per minute (totals are
// sums of it), rejects per code, blocks, and the fleet's heartbeats. v1 → v2 turns each worker's
// totals into one history bucket at the minute of its last share (or first sighting); its rejects,
// counted before codes were kept, go under code "0".

import type { Database } from "bun:sqlite";
import { LedgerError } from "./errors.ts";

export const SCHEMA_VERSION = 2;

const V2_TABLES = `
CREATE TABLE shares (
  key BLOB PRIMARY KEY,
  worker TEXT NOT NULL,
  at INTEGER NOT NULL,
  difficulty REAL NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX shares_at ON shares (at);
CREATE TABLE batches (id BLOB PRIMARY KEY, at INTEGER NOT NULL) STRICT, WITHOUT ROWID;
CREATE TABLE history (
  worker TEXT NOT NULL,
  minute INTEGER NOT NULL,
  accepted INTEGER NOT NULL DEFAULT 0,
  accepted_difficulty REAL NOT NULL DEFAULT 0,
  rejected INTEGER NOT NULL DEFAULT 0,
  pool_accepted INTEGER NOT NULL DEFAULT 0,
  pool_rejected INTEGER NOT NULL DEFAULT 0,
  pool_stale INTEGER NOT NULL DEFAULT 0,
  pool_lost INTEGER NOT NULL DEFAULT 0,
  first_at INTEGER NOT NULL,
  last_share INTEGER,
  PRIMARY KEY (worker, minute)
) STRICT, WITHOUT ROWID;
CREATE INDEX history_minute ON history (minute);
CREATE TABLE rejects (
  worker TEXT NOT NULL,
  minute INTEGER NOT NULL,
  code TEXT NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (worker, minute, code)
) STRICT, WITHOUT ROWID;
CREATE TABLE blocks (
  at INTEGER NOT NULL,
  worker TEXT NOT NULL,
  height INTEGER,
  hash TEXT NOT NULL,
  result TEXT NOT NULL
) STRICT;
CREATE INDEX blocks_at ON blocks (at);
CREATE TABLE bridges (
  id TEXT PRIMARY KEY,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  seen_at INTEGER NOT NULL,
  stats TEXT NOT NULL
) STRICT;
`;

const V1_TO_V2 = `
INSERT INTO history (worker, minute, accepted, accepted_difficulty, rejected, pool_accepted, pool_rejected,
  pool_stale, pool_lost, first_at, last_share)
SELECT worker, (coalesce(last_share, first_seen) / 60000) * 60000, accepted, accepted_difficulty, rejected,
  pool_accepted, pool_rejected, pool_stale, pool_lost, first_seen, last_share FROM workers;
INSERT INTO rejects (worker, minute, code, count)
SELECT worker, (coalesce(last_share, first_seen) / 60000) * 60000, '0', rejected FROM workers WHERE rejected > 0;
DROP TABLE workers;
`;

/** Creates or migrates to SCHEMA_VERSION in one transaction; throws E_LEDGER_VERSION for a newer file. */
export function migrateSqlite(db: Database, where: string): void {
  db.transaction(() => {
    const version = (db.query("PRAGMA user_version").get() as { user_version: number }).user_version;
    if (version > SCHEMA_VERSION) {
      throw new LedgerError(
        "E_LEDGER_VERSION",
        `the share ledger ${where} has schema ${version}; this vbridge knows up to ${SCHEMA_VERSION}`,
        { target: where, version },
      );
    }
    if (version === SCHEMA_VERSION) return;
    db.exec(V2_TABLES);
    if (version === 1) db.exec(V1_TO_V2);
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
