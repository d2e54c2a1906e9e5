// The shared ledger suite (suite.ts, trouble.ts, durability.ts) on a real PostgreSQL (test/support/postgres.ts).

import { postgresBackend } from "./backends.ts";
import { ledgerSuite } from "./suite.ts";
import { troubleSuite } from "./trouble.ts";
import { durabilitySuite } from "./durability.ts";

const backend = postgresBackend();
ledgerSuite(backend);
troubleSuite(backend);
durabilitySuite(backend);
