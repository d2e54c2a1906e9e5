/**
 * vbridge: connects Verus (VRSC) miners to Stratum pools. The command tree only; each command
 * lives in src/cli/, the error-to-exit-code boundary in src/cli/run.ts.
 */
import { defineCommand } from "citty";
import pkg from "../package.json";
import { benchCommand } from "./cli/bench.ts";
import { blocknotifyCommand } from "./cli/blocknotify.ts";
import { bridgeCommand } from "./cli/bridge.ts";
import { eventsCommand } from "./cli/events.ts";
import { ledgerCommand } from "./cli/ledger.ts";
import { configuredCommand } from "./cli/config.ts";
import { hashCommand } from "./cli/hash.ts";
import { mineCommand } from "./cli/mine.ts";
import { poolCommand } from "./cli/pool.ts";
import { runCli } from "./cli/run.ts";
import { selftestCommand } from "./cli/selftest.ts";

const main = defineCommand({
  meta: { name: "vbridge", version: pkg.version, description: pkg.description },
  subCommands: {
    bridge: bridgeCommand,
    hash: hashCommand,
    selftest: selftestCommand,
    bench: benchCommand,
    pool: poolCommand,
    mine: mineCommand,
    events: eventsCommand,
    blocknotify: blocknotifyCommand,
    ledger: ledgerCommand,
  },
});

// `vbridge` alone runs config.toml's mode (bridge, miner or pool).
await runCli(main, process.argv.slice(2), { defaultCommand: configuredCommand });
