// The shared ledger suite (suite.ts, trouble.ts, durability.ts) on SQLite files.

import { sqliteBackend } from "./backends.ts";
import { ledgerSuite } from "./suite.ts";
import { troubleSuite } from "./trouble.ts";
import { durabilitySuite } from "./durability.ts";

const backend = sqliteBackend();
ledgerSuite(backend);
troubleSuite(backend);
durabilitySuite(backend);
