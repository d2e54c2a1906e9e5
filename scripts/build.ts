/**
 * Builds the single-file executables dist/vbridge-<target> (Bun --compile), each embedding its
 * own target's libverushash.so. Run by `make dist`, which builds the libraries first.
 *
 *   bun scripts/build.ts linux-x64 linux-arm64
 *
 * src/hash/native.ts imports "../../build/native/libverushash.so" (the host build); a plugin maps
 * that import to build/<target>/libverushash.so. Cross-compiling fetches Bun's runtime for the
 * target from the npm registry (@oven/bun-linux-aarch64) into Bun's install cache.
 */
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { BunPlugin } from "bun";

const ROOT = join(import.meta.dir, "..");
const TARGETS = { "linux-x64": "bun-linux-x64", "linux-arm64": "bun-linux-arm64" } as const;
type Target = keyof typeof TARGETS;

/** Worker entry points must be listed at build time to exist inside the binary. */
const ENTRYPOINTS = ["src/main.ts", "src/perf/scan-worker.ts", "src/miner/mine-worker.ts"];
const LIB_IMPORT = /(^|\/)build\/native\/libverushash\.so$/;

function isTarget(s: string): s is Target {
  return s in TARGETS;
}

/** Maps the library import to this target's build and remembers that it did. */
function nativeLibPlugin(libPath: string, seen: { mapped: boolean }): BunPlugin {
  return {
    name: "vbridge-native-lib",
    setup(build) {
      build.onResolve({ filter: LIB_IMPORT }, () => {
        seen.mapped = true;
        return { path: libPath };
      });
    },
  };
}

/** The browser miner's files (src/downstream/web-assets.ts), embedded in every binary. */
const WEB_ASSETS = [
  "build/web/app.js",
  "build/web/miner-worker.js",
  "build/web/dashboard.js",
  "build/wasm/verushash.wasm",
  "build/wasm/verushash-simd.wasm",
];

async function buildTarget(target: Target): Promise<void> {
  const libPath = join(ROOT, "build", target, "libverushash.so");
  // Bun skips a missing `with { type: "file" }` import of a dynamic import() silently; a binary
  // without its library (or without the browser miner) must not be produced.
  for (const file of [libPath, ...WEB_ASSETS.map((f) => join(ROOT, f))])
    if (!existsSync(file)) throw new Error(`${file} is missing: run \`make dist\`, not this script`);
  const outfile = join(ROOT, "dist", `vbridge-${target}`);
  const seen = { mapped: false };
  const result = await Bun.build({
    entrypoints: ENTRYPOINTS.map((e) => join(ROOT, e)),
    compile: { target: TARGETS[target], outfile },
    // Flat names put the worker beside the main entry in the binary's file system, where
    // `new URL("./scan-worker.ts", import.meta.url)` in the bundled code points.
    naming: { entry: "[name].[ext]" },
    minify: true,
    sourcemap: "linked", // embedded in the binary (stack traces name src/ lines)
    plugins: [nativeLibPlugin(libPath, seen)],
  });
  if (!result.success) {
    for (const log of result.logs) console.error(log);
    throw new Error(`bun build failed for ${target}`);
  }
  // The embedded copy is the one used; the side files Bun also writes next to the binary are not.
  for (const map of new Bun.Glob("*.map").scanSync(join(ROOT, "dist"))) rmSync(join(ROOT, "dist", map));
  if (!seen.mapped)
    throw new Error(`${target}: the libverushash.so import was never resolved; nothing embedded`);
  console.log(`built ${outfile} (embeds ${libPath})`);
}

const targets = process.argv.slice(2);
if (targets.length === 0) targets.push(...Object.keys(TARGETS));
for (const t of targets) {
  if (!isTarget(t)) {
    console.error(`build: unknown target ${JSON.stringify(t)} (expected ${Object.keys(TARGETS).join(", ")})`);
    process.exit(2);
  }
  await buildTarget(t);
}
