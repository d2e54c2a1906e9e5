// ledger.ts — what the share ledger's durability costs per acknowledged share (src/bridge/ledger.ts):
// synchronous FULL (an fsync per commit) against NORMAL, with 1, 10 and 100 shares arriving per
// event-loop turn (the group commit puts each turn's shares in one transaction). Prints numbers.
//
//   node_modules/.bin/bun bench/ledger.ts [--shares N]

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ledger, type Durability } from "../src/bridge/ledger.ts";

const i = process.argv.indexOf("--shares");
const SHARES = i > 0 ? Number(process.argv[i + 1]) : 3000;

async function run(sync: Durability, perTurn: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "vbridge-bench-ledger-"));
  const ledger = Ledger.open(join(dir, "ledger.sqlite"), { synchronous: sync });
  let acked = 0;
  const t0 = performance.now();
  while (acked < SHARES) {
    const turn = new Promise<void>((resolve) => {
      let left = perTurn;
      for (let k = 0; k < perTurn; k++) {
        ledger.credit(`RBench.w${k % 50}`, 1, Date.now(), () => {
          acked++;
          if (--left === 0) resolve();
        });
      }
    });
    await turn;
  }
  const us = ((performance.now() - t0) * 1000) / acked;
  ledger.close();
  rmSync(dir, { recursive: true, force: true });
  return us;
}

console.log(`share ledger: µs per acknowledged share (${SHARES} shares, ${tmpdir()})`);
console.log("synchronous  per-turn  µs/share");
for (const sync of ["FULL", "NORMAL"] as const) {
  for (const perTurn of [1, 10, 100]) {
    const us = await run(sync, perTurn);
    console.log(`${sync.padEnd(11)}  ${String(perTurn).padStart(8)}  ${us.toFixed(1).padStart(8)}`);
  }
}
