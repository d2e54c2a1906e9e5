/**
 * vbridge: connects Verus (VRSC) miners to Stratum pools. The command tree only; each command
 * lives in src/cli/, the error-to-exit-code boundary in src/cli/run.ts.
 */
import { defineCommand } from "citty";
import pkg from "../package.json";
import { benchCommand } from "./cli/bench.ts";
import { hashCommand } from "./cli/hash.ts";
import { poolCommand } from "./cli/pool.ts";
import { runCli } from "./cli/run.ts";
import { selftestCommand } from "./cli/selftest.ts";

const main = defineCommand({
  meta: { name: "vbridge", version: pkg.version, description: pkg.description },
  subCommands: { hash: hashCommand, selftest: selftestCommand, bench: benchCommand, pool: poolCommand },
});

await runCli(main);
