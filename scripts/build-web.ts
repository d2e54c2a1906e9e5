/**
 * Bundles the browser scripts for the browser: web/app.ts (the miner page) and
 * web/miner-worker.ts (one mining Web Worker), each with what it imports from src/ (the msgpack
 * codec, the WebAssembly facade) and @msgpack/msgpack, into build/web/app.js and
 * build/web/miner-worker.js; and web/dashboard.ts (the operator's dashboard, /dashboard) into
 * build/web/dashboard.js. The bridge embeds and serves them (src/downstream/web-assets.ts).
 * Run by `make web`.
 */
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..");
const OUT = join(ROOT, "build", "web");

const result = await Bun.build({
  entrypoints: ["web/app.ts", "web/miner-worker.ts", "web/dashboard.ts"].map((e) => join(ROOT, e)),
  outdir: OUT,
  target: "browser",
  // Classic scripts: the page loads app.js with a plain <script>, and new Worker(url) needs no
  // module support; nothing is left to import at run time.
  format: "iife",
  naming: "[name].[ext]",
  minify: true,
});
if (!result.success) {
  for (const log of result.logs) console.error(log);
  process.exit(1);
}
for (const o of result.outputs) console.log(`built ${o.path} (${o.size} bytes)`);
