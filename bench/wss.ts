/**
 * `make bench-wss`: issue 11's numbers, side by side in one run — WebSocket connections per second
 * on one core and RSS per idle session, for ws:// and wss:// on this tree, and ws:// on the baseline
 * commit 1d68933 (the last one on Bun.serve) in a temporary git worktree.
 *
 *   bun bench/wss.ts [--sessions 2000] [--concurrency 32] [--baseline 1d68933]
 *
 * Each row: `vbridge bridge` in a fresh subprocess pinned to core 0 (taskset), on its in-process
 * built-in pool, ledger in memory; a client process (bench/wss-client.ts) pinned to core 1 opens
 * the sessions as msgpack miners (connect, TLS with the bench's own CA for wss, upgrade, hello,
 * until the welcome) with a bounded number in flight, and keeps them open and idle. A tenth of the
 * sessions first (warm-up: JIT, heap growth), then the rest, timed:
 *   conn/s           sessions / wall time of the timed part (bounded by the slower of the two cores)
 *   conn/s per core  sessions / the bridge's CPU time over it (/proc/PID/stat): one core's capacity
 *   RSS/session      the bridge's VmRSS with every session idle minus before any, / sessions; and the
 *                    marginal cost between the warm-up and all (one-time costs left out). No GC can be
 *                    forced from outside: each RSS is the least of several samples after a settle.
 * Then the floor: Bun alone per idle connection, no bridge (bench/wss-floor.ts): Bun.listen and
 * Bun.serve's WebSocket, plain and TLS — what TLS costs before any code of ours runs.
 * Numbers only, never pass/fail (STYLE.md §15).
 */
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { makeTestCa } from "../test/support/tls-ca.ts";
import { FLOOR_MODES, measureFloor } from "./wss-floor.ts";
import { measureRow, PIN, type Result, type Row } from "./wss-row.ts";

const { values } = parseArgs({
  options: {
    sessions: { type: "string", default: "2000" },
    concurrency: { type: "string", default: "32" },
    baseline: { type: "string", default: "1d68933" },
  },
});
const SESSIONS = Number(values.sessions);
const CONCURRENCY = Number(values.concurrency);
if (!Number.isInteger(SESSIONS) || SESSIONS < 20 || !Number.isInteger(CONCURRENCY) || CONCURRENCY < 1) {
  console.error("usage: bun bench/wss.ts [--sessions N ≥ 20] [--concurrency C] [--baseline COMMIT]");
  process.exit(2);
}
const ROOT = join(import.meta.dir, "..");
const WARM = Math.ceil(SESSIONS / 10);
const RUN_LIMIT_MS = 10 * 60_000;
const cleanups: (() => void | Promise<void>)[] = [];
async function cleanup(): Promise<void> {
  for (const c of cleanups.splice(0).reverse()) {
    try {
      await c();
    } catch (e) {
      console.error(`cleanup: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}
const limit = setTimeout(() => {
  console.error(`bench-wss: over ${RUN_LIMIT_MS / 60_000} minutes; stopping`);
  void cleanup().then(() => process.exit(1));
}, RUN_LIMIT_MS);
// Ctrl-C: the worktree, the bridge and the client must not outlive the run.
process.on("SIGINT", () => void cleanup().then(() => process.exit(130)));

/** A worktree of the baseline commit sharing this checkout's node_modules and native library. */
function baselineTree(commit: string): string | null {
  const dir = mkdtempSync(join(tmpdir(), "vbridge-bench-base-"));
  rmSync(dir, { recursive: true });
  const r = Bun.spawnSync(["git", "-C", ROOT, "worktree", "add", "--detach", dir, commit], {
    stderr: "pipe",
  });
  if (r.exitCode !== 0) {
    console.log(`baseline ${commit}: git worktree add failed: ${r.stderr.toString().trim()}`);
    return null;
  }
  cleanups.push(() => {
    Bun.spawnSync(["git", "-C", ROOT, "worktree", "remove", "--force", dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  return dir;
}

const kb = (b: number) => `${(b / 1024).toFixed(1)} KB`;

try {
  console.log(
    `vbridge bench-wss: ${SESSIONS} msgpack sessions per row (${WARM} warm-up, then ${SESSIONS - WARM} timed), ` +
      `${CONCURRENCY} handshakes in flight; ${availableParallelism()} cores; ` +
      (PIN
        ? "bridge pinned to core 0, client to core 1 (taskset)"
        : "NOT pinned (needs taskset and 2 cores)"),
  );
  const ca = makeTestCa();
  cleanups.push(() => ca.cleanup());
  const leaf = ca.issue("bridge");
  const tls = { cert: leaf.certFile, key: leaf.keyFile, ca: readFileSync(ca.caFile, "utf8") };
  const nativeLib = join(ROOT, "build/native/libverushash.so");
  const rows: Row[] = [
    { transport: "ws", impl: "this tree", root: ROOT, env: {} },
    { transport: "wss", impl: "this tree", root: ROOT, env: {} },
  ];
  const baseRoot = baselineTree(values.baseline);
  if (baseRoot !== null)
    rows.push({
      transport: "ws",
      impl: `baseline ${values.baseline} (Bun.serve)`,
      root: baseRoot,
      env: { VBRIDGE_NATIVE_LIB: nativeLib },
    });
  const results: [Row, Result][] = [];
  for (const row of rows) {
    const r = await measureRow(row, row.transport === "wss" ? tls : null, {
      sessions: SESSIONS,
      warm: WARM,
      concurrency: CONCURRENCY,
      cleanups,
    });
    results.push([row, r]);
    console.log(`  ${row.transport} ${row.impl}: done (${r.ok} open, ${r.failed} failed)`);
  }
  const header = [
    "transport",
    "impl",
    "conn/s",
    "conn/s per core",
    "bridge µs/conn",
    "client µs/conn",
    "ms p50/p99",
    "RSS/session",
    "marginal",
    "open/seen",
  ];
  const table = results.map(([row, r]) => [
    row.transport,
    row.impl,
    r.connPerS.toFixed(0),
    r.connPerCoreS.toFixed(0),
    r.bridgeUsPerConn.toFixed(0),
    r.clientUsPerConn.toFixed(0),
    `${r.p50.toFixed(1)}/${r.p99.toFixed(1)}`,
    kb(r.rssPerSession),
    kb(r.rssMarginal),
    `${r.ok}/${r.sessionsSeen ?? "?"}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ");
  console.log("");
  console.log(line(header));
  for (const t of table) console.log(line(t));
  console.log("");
  console.log(
    "conn/s: wall, the timed part; per core: sessions / the bridge's CPU seconds; RSS/session: (all idle − none) / sessions; " +
      "marginal: (all − warm-up) / timed sessions; ms: connect to welcome (timed part); open/seen: sessions the client holds / the bridge's /stats. Goal: wss ≤ 5 KB/session.",
  );
  // The floor: Bun alone, no bridge (bench/wss-floor.ts), with the same CA and leaf.
  console.log("");
  console.log(
    `floor: Bun alone per idle connection (${SESSIONS} connections, no bridge, a fresh process each):`,
  );
  for (const mode of FLOOR_MODES) {
    const f = await measureFloor(mode, SESSIONS, tls);
    console.log(`  ${mode.padEnd(10)} ${kb(f.perConnection)} per connection (${f.open} open)`);
  }
  for (const [row, r] of results) {
    if (r.failed > 0 || r.lost > 0)
      console.log(
        `  ${row.transport} ${row.impl}: ${r.failed} failed, ${r.lost} lost; first error: ${r.firstError}`,
      );
  }
} finally {
  clearTimeout(limit);
  await cleanup();
}
